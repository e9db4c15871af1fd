/**
 * The dashboard's per-stream and operator pages in Debian's Chromium against a real server, ffmpeg and a real webhook
 * receiver: the session timeline (connected/active/disconnected/idle), ingest bitrate and fps from the live feed,
 * simulcast targets with their live state, the DVR player, the recording with its thumbnail and a VOD that plays,
 * webhook deliveries with a working retry button, access tokens created (secret shown once) and revoked; hostile
 * strings in metadata and simulcast URLs stay text. Screenshots under .tmp/screens/dashboard-features/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openDashboardBrowser } from './dashboard-browser.js';
import { OnairClient } from '../../src/client/index.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';
import { waitFor } from '../helpers/ports.js';
import { REPO_ROOT, startTestServer, type TestServer } from '../helpers/server.js';

const SHOTS = join(REPO_ROOT, '.tmp', 'screens', 'dashboard-features');
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"'&amp; \u202Eevil עברית`;
const HOSTILE_URL = `rtmp://127.0.0.1:1/live?"><img src=x onerror="window.__pwned=3">&x='<script>window.__pwned=4</script>`;

/** A webhook endpoint that answers 500 until told otherwise. */
class Receiver {
  status = 500;
  readonly received: { type: string; objectId: string }[] = [];
  private server!: Server;
  url = '';
  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (this.status < 300) {
          const j = JSON.parse(body) as { type: string; object: { id: string } };
          this.received.push({ type: j.type, objectId: j.object?.id });
        }
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
  }
  down(): Promise<void> { return new Promise((r) => this.server.close(() => r())); }
}

describe('dashboard features in Chromium', () => {
  let srv: TestServer;
  let client: OnairClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const publishers: Publisher[] = [];
  const receiver = new Receiver();
  const pwned = () => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await receiver.up();
    srv = await startTestServer({
      // the first retry waits 10 min: a failed delivery stays failed until the retry button
      args: ['--webhook-retry-base-ms', '600000'],
      // reconnectWindow 60 s -> 1.2 s; transcoding off (the source rendition is all these tests need)
      env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.02', ONAIR_ENDED_LINGER_MS: '1000', ONAIR_WEBHOOK_POLL_MS: '100', ONAIR_TRANSCODE: 'off' },
    });
    client = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: srv.tokenSecret });
    ({ browser, context, page } = await openDashboardBrowser(srv.url));
    await page.goto(`${srv.url}/`);
    await page.fill('input[name=tokenId]', srv.tokenId);
    await page.fill('input[name=secret]', srv.tokenSecret);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=create]');
  });
  after(async () => {
    for (const p of publishers) await p.stop();
    await browser?.close();
    await srv?.stop();
    await receiver.down();
  });

  test('a session on the stream page: bitrate/fps, simulcast state, DVR, timeline, recording with thumbnail, VOD plays', { timeout: 90_000 }, async () => {
    const clip = await clip720p(12);
    const s = await client.liveStreams.create({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { enableDvrMode: true, metadata: { name: HOSTILE } } });
    const target = await client.simulcasts.create(s.streamId, { url: HOSTILE_URL, streamKey: 'k"<b>', metadata: { note: HOSTILE } });
    await page.goto(`${srv.url}/#stream/${s.streamId}`);
    await page.waitForSelector('[data-testid=title]');
    assert.equal(await page.textContent('[data-testid=title]'), HOSTILE);
    assert.equal(await page.textContent(`tr[data-simulcast="${target.simulcastId}"] [data-testid=simulcast-url]`), HOSTILE_URL);
    assert.equal(await page.textContent(`tr[data-simulcast="${target.simulcastId}"] [data-testid=simulcast-state]`), 'not live');
    assert.equal(await page.$('[data-testid=no-media]') !== null, true);

    const p = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.streamKey}`);
    publishers.push(p);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'active', undefined, { timeout: 30_000 });
    // ingest bitrate and frame rate from the live feed (the clip: ~3 Mbit/s, 30 fps)
    await page.waitForFunction(() => /frames\/s (2[4-9]|3[0-6])(\.\d)? · bitrate \d{4}(\.\d)? kb\/s/.test(document.querySelector('main')?.textContent ?? ''), undefined, { timeout: 15_000 });
    // the simulcast target's live state (nothing listens on port 1: it connects and errs, and the page says so)
    await page.waitForFunction((id) => {
      const t = document.querySelector(`tr[data-simulcast="${id}"] [data-testid=simulcast-state]`)?.textContent ?? '';
      return t !== '' && t !== 'not live';
    }, target.simulcastId, { timeout: 15_000 });
    // DVR: the player on ?dvrMode=true plays
    await page.check('[data-testid=dvr]');
    await page.waitForSelector('[data-testid=dvr-player]');
    await page.waitForFunction(() => ((document.querySelector('[data-testid=dvr-player]') as HTMLVideoElement | null)?.currentTime ?? 0) > 1, undefined, { timeout: 30_000 });
    assert.equal(await pwned(), undefined);
    await page.screenshot({ path: join(SHOTS, '01-stream-live.png'), fullPage: true });

    await p.stop();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'idle', undefined, { timeout: 30_000 });
    // the timeline: the session's lifecycle in order
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid=timeline] li')).some((li) => li.getAttribute('data-type') === 'idle'), undefined, { timeout: 15_000 });
    const types = await page.$$eval('[data-testid=timeline] li', (els) => els.map((e) => e.getAttribute('data-type')));
    const at = (t: string) => types.indexOf(t);
    for (const t of ['created', 'connected', 'active', 'disconnected', 'idle']) assert.ok(at(t) >= 0, `${t} on the timeline: ${types.join(',')}`);
    assert.ok(at('created') < at('connected') && at('connected') < at('active') && at('active') < at('disconnected') && at('disconnected') < at('idle'), types.join(','));

    // the recording: Ready, with a thumbnail that loaded, and its VOD plays
    const mediaId = await waitFor('recording', async () => (await client.liveStreams.get(s.streamId)).mediaIds?.[0], 15_000);
    await page.waitForSelector(`[data-media="${mediaId}"][data-status=Ready] img[data-testid=thumbnail]`, { timeout: 40_000 });
    await page.waitForFunction((id) => {
      const img = document.querySelector(`[data-media="${id}"] img`) as HTMLImageElement | null;
      return img !== null && img.complete && img.naturalWidth >= 160;
    }, mediaId, { timeout: 15_000 });
    await page.click(`[data-media="${mediaId}"] [data-testid=play-media]`);
    await page.waitForFunction(() => ((document.querySelector('[data-testid=vod-player]') as HTMLVideoElement | null)?.currentTime ?? 0) > 1, undefined, { timeout: 30_000 });
    assert.equal(await pwned(), undefined);
    await page.screenshot({ path: join(SHOTS, '02-stream-recorded.png'), fullPage: true });
  });

  test('webhook deliveries: a failed one is shown with its error and the retry button delivers it', { timeout: 60_000 }, async () => {
    const hook = await client.webhooks.create({ url: receiver.url });
    const s = await client.liveStreams.create({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { metadata: { name: 'webhook test' } } });
    await page.goto(`${srv.url}/#webhooks`);
    const row = `tr[data-webhook="${hook.id}"]`;
    await page.waitForSelector(row);
    await page.click(`${row} [data-testid=show-deliveries]`);
    const delivery = `tr[data-object="${s.streamId}"][data-type="video.live_stream.created"]`;
    await page.waitForFunction((sel) => {
      const r = document.querySelector(sel);
      return r !== null && Number(r.querySelector('[data-testid=delivery-attempts]')?.textContent) >= 1 && /HTTP 500/.test(r.textContent ?? '');
    }, delivery, { timeout: 15_000 });
    assert.equal(await page.getAttribute(delivery, 'data-state'), 'pending');
    assert.equal(receiver.received.length, 0);
    await page.screenshot({ path: join(SHOTS, '03-webhook-failed.png'), fullPage: true });

    receiver.status = 200;
    await page.click(`${delivery} [data-testid=retry]`);
    await page.waitForSelector(`${delivery}[data-state=delivered]`, { timeout: 15_000 });
    assert.equal(await page.textContent(`${delivery} [data-testid=delivery-attempts]`), '2');
    assert.deepEqual(receiver.received.filter((r) => r.objectId === s.streamId).map((r) => r.type), ['video.live_stream.created']);
    assert.equal(await page.$(`${delivery} [data-testid=retry]`), null, 'nothing to retry once delivered');
    await page.screenshot({ path: join(SHOTS, '04-webhook-retried.png'), fullPage: true });
  });

  test('access tokens: create (secret shown once), log in with it, revoke', { timeout: 30_000 }, async () => {
    await page.goto(`${srv.url}/#tokens`);
    await page.waitForSelector('[data-testid=create-token]');
    await page.fill('[data-testid=token-name]', HOSTILE);
    await page.selectOption('[data-testid=token-permission]', 'read');
    await page.click('[data-testid=create-token]');
    await page.waitForSelector('[data-testid=token-created]');
    const id = (await page.textContent('[data-testid=new-token-id]'))!;
    const secret = (await page.textContent('[data-testid=new-token-secret]'))!;
    await page.click('[data-testid=copy-token-secret]');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    assert.equal(await page.textContent(`tr[data-token="${id}"] td:nth-child(3)`), HOSTILE);
    assert.equal(await pwned(), undefined);
    await page.screenshot({ path: join(SHOTS, '05-token-created.png'), fullPage: true });
    const login = (sec: string) => fetch(`${srv.url}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tokenId: id, secret: sec }) });
    assert.equal((await login(secret)).status, 200);

    // the secret is not shown again
    await page.click('[data-testid=token-done]');
    await page.reload();
    await page.waitForSelector(`tr[data-token="${id}"]`);
    assert.ok(!(await page.textContent('main'))!.includes(secret));

    await page.click(`tr[data-token="${id}"] [data-testid=revoke]`);
    await waitFor('the row to go', async () => ((await page.$(`tr[data-token="${id}"]`)) === null ? true : undefined), 10_000, 100);
    assert.equal((await login(secret)).status, 401);
    // (the admin token of this session still works)
    assert.equal((await client.liveStreams.list()).data.length >= 1, true);
  });

  test('dashboard endpoints: CSRF, write permission, errors in the FastPix shape', { timeout: 30_000 }, async () => {
    const loginAs = async (tokenId: string, secret: string) => {
      const r = await fetch(`${srv.url}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tokenId, secret }) });
      assert.equal(r.status, 200);
      return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { data: { csrf: string } }).data.csrf };
    };
    const admin = await loginAs(srv.tokenId, srv.tokenSecret);
    const go = (who: { cookie: string; csrf?: string }, method: string, path: string, body?: unknown) => fetch(`${srv.url}/dashboard/${path}`, {
      method, headers: { cookie: who.cookie, ...(who.csrf ? { 'x-onair-csrf': who.csrf } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const errorOf = async (r: Response) => ((await r.json()) as { success: boolean; error: { code: number; message: string } });

    assert.equal((await go({ cookie: admin.cookie }, 'GET', 'tokens')).status, 403, 'CSRF header required');
    assert.equal((await go({ cookie: admin.cookie }, 'POST', 'tokens', { permission: 'read' })).status, 403);
    const bad = await go(admin, 'POST', 'tokens', { permission: 'root' });
    assert.equal(bad.status, 422);
    assert.deepEqual(await errorOf(bad).then((e) => [e.success, e.error.code]), [false, 422]);
    const made = await go(admin, 'POST', 'tokens', { permission: 'read', name: 'reader' });
    assert.equal(made.status, 201);
    assert.equal(made.headers.get('cache-control'), 'no-store');
    const reader = (await made.json()) as { data: { id: string; secret: string; permission: string } };
    assert.equal(reader.data.permission, 'read');

    // a read session reads, never writes
    const ro = await loginAs(reader.data.id, reader.data.secret);
    assert.equal((await go(ro, 'GET', 'tokens')).status, 200);
    const forbidden = await go(ro, 'POST', 'tokens', { permission: 'write' });
    assert.equal(forbidden.status, 403);
    assert.equal((await errorOf(forbidden)).error.code, 403);
    assert.equal((await go(ro, 'DELETE', `tokens/${srv.tokenId}`)).status, 403);
    assert.equal((await go(ro, 'POST', 'webhooks/deliveries/1/retry')).status, 403);

    // retry: unknown and already delivered deliveries
    assert.equal((await errorOf(await go(admin, 'POST', 'webhooks/deliveries/999999/retry'))).error.code, 404);
    assert.equal((await go(admin, 'POST', 'webhooks/deliveries/abc/retry')).status, 404);
    const [hook] = await client.webhooks.list();
    const deliveries = (await (await go(admin, 'GET', `webhooks/${hook!.id}/deliveries`)).json()) as { data: { id: number; state: string }[] };
    const delivered = deliveries.data.find((d) => d.state === 'delivered');
    assert.ok(delivered, JSON.stringify(deliveries.data));
    assert.equal((await go(admin, 'POST', `webhooks/deliveries/${delivered.id}/retry`)).status, 409);

    // revoking a token ends its sessions at once
    assert.equal((await go(admin, 'DELETE', `tokens/${reader.data.id}`)).status, 200);
    assert.equal((await go(ro, 'GET', 'tokens')).status, 401);
    assert.equal((await go(admin, 'DELETE', `tokens/${reader.data.id}`)).status, 404);
    // unknown stream: an empty timeline, no error
    assert.deepEqual(((await (await go(admin, 'GET', 'streams/nope/events')).json()) as { data: unknown[] }).data, []);
  });

  test('the stream page fits a phone', { timeout: 30_000 }, async () => {
    const [s] = (await client.liveStreams.list()).data;
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const route of [`stream/${s!.streamId}`, 'webhooks', 'tokens']) {
      await phone.goto(`${srv.url}/#${route}`);
      await phone.waitForSelector('h3');
      assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `${route} fits a 390 px screen`);
      await phone.screenshot({ path: join(SHOTS, `06-phone-${route.split('/')[0]}.png`), fullPage: true });
    }
    await phone.close();
  });
});
