/**
 * The dashboard in Debian's Chromium (playwright-core, no browser download) against the real server and a real
 * ffmpeg publisher: log in -> create a stream (with a hostile name) -> copy the key -> ffmpeg publishes -> the
 * stream turns live without a reload, the preview plays and the viewer count moves -> disable -> delete; a phone
 * viewport; screenshots of each page under .tmp/screens/dashboard/. Plus the session rules over plain HTTP: cookie
 * attributes, CSRF header, wrong and revoked tokens, logout, expiry.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openDashboardBrowser } from './dashboard-browser.js';
import { OnairClient } from '../../src/client/index.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';
import { waitFor } from '../helpers/ports.js';
import { REPO_ROOT, runCli, startTestServer, type TestServer } from '../helpers/server.js';

const SHOTS = join(REPO_ROOT, '.tmp', 'screens', 'dashboard');
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"'&amp; \u202Eevil עברית`;

async function login(base: string, tokenId: string, secret: string): Promise<{ status: number; cookie?: string; setCookie?: string; csrf?: string }> {
  const r = await fetch(`${base}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tokenId, secret }) });
  const body = await r.json() as { data?: { csrf: string } };
  const setCookie = r.headers.get('set-cookie') ?? undefined;
  return { status: r.status, ...(setCookie ? { setCookie, cookie: setCookie.split(';')[0]! } : {}), ...(body.data ? { csrf: body.data.csrf } : {}) };
}

describe('dashboard in Chromium', () => {
  let srv: TestServer;
  let client: OnairClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let publisher: Publisher | undefined;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    srv = await startTestServer();
    client = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: srv.tokenSecret });
    ({ browser, context, page } = await openDashboardBrowser(srv.url));
  });
  after(async () => {
    await publisher?.stop();
    await browser?.close();
    await srv?.stop();
  });

  test('log in, create, copy the key, go live, preview, viewers, disable, delete; phone viewport', async (t) => {
    const clip = await clip720p(12);
    await page.goto(`${srv.url}/`);
    await page.fill('input[name=tokenId]', srv.tokenId);
    await page.fill('input[name=secret]', 'wrong-secret');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=login-error]');
    assert.match(await page.textContent('[data-testid=login-error]') ?? '', /unauthorized/);
    await page.screenshot({ path: join(SHOTS, '01-login-refused.png') });

    await page.fill('input[name=secret]', srv.tokenSecret);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=create]');
    await page.fill('[data-testid=new-name]', HOSTILE);
    await page.click('[data-testid=create]');
    await page.waitForSelector('[data-testid=title]');
    assert.equal(await page.textContent('[data-testid=title]'), HOSTILE, 'the hostile name is shown as text');
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no injected script ran');
    const [stream] = (await client.liveStreams.list()).data;
    assert.ok(stream);
    assert.equal(stream.metadata?.name, HOSTILE);

    // the key is hidden until asked, and the copy button puts it on the clipboard
    assert.notEqual(await page.textContent('[data-testid=secret-key]'), stream.streamKey);
    await page.click('[data-testid=toggle-key]');
    assert.equal(await page.textContent('[data-testid=secret-key]'), stream.streamKey);
    await page.click('[data-testid=copy-key]');
    const key = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(key, stream.streamKey);
    const rtmp = await page.textContent('[data-testid=rtmp-url]');
    assert.equal(rtmp, `rtmp://127.0.0.1:${srv.ports.rtmp}/live`);
    await page.screenshot({ path: join(SHOTS, '02-stream-idle.png'), fullPage: true });

    publisher = publish(clip, `${rtmp}/${key}`);
    // live without a reload: the SSE feed turns the status badge to active
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'active', undefined, { timeout: 30_000 });
    await page.waitForSelector('[data-testid=preview]');
    await page.waitForFunction(() => ((document.querySelector('[data-testid=preview]') as HTMLVideoElement | null)?.currentTime ?? 0) > 1, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=detail-viewers]')?.textContent) >= 1, undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, '03-stream-live.png'), fullPage: true });

    await page.click('text=← streams');
    const row = `tr[data-stream="${stream.streamId}"]`;
    await page.waitForSelector(row);
    await page.waitForFunction((sel) => document.querySelector(`${sel} [data-testid=status]`)?.textContent === 'active', row);
    assert.equal(await page.textContent(`${row} [data-testid=stream-name]`), HOSTILE);
    await page.screenshot({ path: join(SHOTS, '04-streams-live.png'), fullPage: true });

    // a phone: same session (cookie), no sideways scrolling
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${srv.url}/`);
    await phone.waitForSelector(row);
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'fits a 390 px screen');
    await phone.screenshot({ path: join(SHOTS, '05-phone-streams.png'), fullPage: true });
    await phone.close();

    await page.click(`${row} [data-testid=stream-name]`);
    await page.click('[data-testid=disable]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'disabled', undefined, { timeout: 15_000 });
    assert.equal((await client.liveStreams.get(stream.streamId)).status, 'disabled');
    await waitFor('the encoder to be cut', () => (publisher!.proc.exitCode !== null || publisher!.proc.signalCode !== null ? true : undefined), 15_000, 100);
    await page.screenshot({ path: join(SHOTS, '06-stream-disabled.png'), fullPage: true });

    await page.click('[data-testid=delete]');
    await page.waitForSelector('[data-testid=streams]');
    await waitFor('the row to go', async () => ((await page.$(row)) === null ? true : undefined), 10_000, 100);
    assert.equal((await client.liveStreams.list()).pagination.totalRecords, 0);
    await page.screenshot({ path: join(SHOTS, '07-streams-empty.png'), fullPage: true });

    for (const p of ['keys', 'webhooks', 'tokens']) {
      await page.goto(`${srv.url}/#${p}`);
      await page.waitForSelector('h3');
      await page.screenshot({ path: join(SHOTS, `08-${p}.png`), fullPage: true });
    }
    assert.match(await page.textContent('main') ?? '', new RegExp(srv.tokenId));

    await page.click('[data-testid=logout]');
    await page.waitForSelector('input[name=tokenId]');
    t.diagnostic(`screenshots in ${SHOTS}`);
  });

  test('session rules: HttpOnly SameSite=Strict cookie, CSRF header, revoked tokens, logout', async () => {
    const bad = await login(srv.url, srv.tokenId, 'nope');
    assert.equal(bad.status, 401);
    assert.equal(bad.setCookie, undefined);

    const ok = await login(srv.url, srv.tokenId, srv.tokenSecret);
    assert.equal(ok.status, 200);
    assert.match(ok.setCookie!, /HttpOnly/);
    assert.match(ok.setCookie!, /SameSite=Strict/);
    const noCsrf = await fetch(`${srv.url}/dashboard/api/live/streams`, { headers: { cookie: ok.cookie! } });
    assert.equal(noCsrf.status, 403);
    const withCsrf = await fetch(`${srv.url}/dashboard/api/live/streams`, { headers: { cookie: ok.cookie!, 'x-onair-csrf': ok.csrf! } });
    assert.equal(withCsrf.status, 200);
    assert.equal(((await withCsrf.json()) as { success: boolean }).success, true);
    const noCookie = await fetch(`${srv.url}/dashboard/api/live/streams`, { headers: { 'x-onair-csrf': ok.csrf! } });
    assert.equal(noCookie.status, 401);
    assert.deepEqual(((await noCookie.json()) as { error: { code: number } }).error.code, 401);

    // a token revoked while its session is open: the next call fails and the session is gone
    const made = await runCli(['tokens', 'create', '--data', srv.dataDir, '--permission', 'read', '--json']);
    const tok = JSON.parse(made.stdout) as { id: string; secret: string };
    const s2 = await login(srv.url, tok.id, tok.secret);
    assert.equal(s2.status, 200);
    const readOnly = await fetch(`${srv.url}/dashboard/api/live/streams`, { method: 'POST', headers: { cookie: s2.cookie!, 'x-onair-csrf': s2.csrf!, 'content-type': 'application/json' }, body: '{"playbackSettings":{},"inputMediaSettings":{}}' });
    assert.equal(readOnly.status, 403, 'a read token cannot write through the dashboard either');
    assert.equal((await runCli(['tokens', 'revoke', '--data', srv.dataDir, tok.id])).code, 0);
    const revoked = await fetch(`${srv.url}/dashboard/api/live/streams`, { headers: { cookie: s2.cookie!, 'x-onair-csrf': s2.csrf! } });
    assert.equal(revoked.status, 401);
    assert.equal((await fetch(`${srv.url}/dashboard/session`, { headers: { cookie: s2.cookie! } })).status, 401);
    assert.equal((await login(srv.url, tok.id, tok.secret)).status, 401);

    const out = await fetch(`${srv.url}/dashboard/logout`, { method: 'POST', headers: { cookie: ok.cookie!, 'x-onair-csrf': ok.csrf! } });
    assert.equal(out.status, 200);
    assert.equal((await fetch(`${srv.url}/dashboard/session`, { headers: { cookie: ok.cookie! } })).status, 401);
  });
});

describe('dashboard sessions expire', () => {
  let srv: TestServer;
  before(async () => { srv = await startTestServer({ env: { ONAIR_DASHBOARD_SESSION_TTL_MS: '1500' } }); });
  after(async () => { await srv?.stop(); });

  test('a session stops working after its lifetime', async () => {
    const ok = await login(srv.url, srv.tokenId, srv.tokenSecret);
    assert.match(ok.setCookie!, /Max-Age=2\b/);
    const started = Date.now();
    assert.equal((await fetch(`${srv.url}/dashboard/session`, { headers: { cookie: ok.cookie! } })).status, 200);
    await waitFor('the session to expire', async () => ((await fetch(`${srv.url}/dashboard/session`, { headers: { cookie: ok.cookie! } })).status === 401 ? true : undefined), 10_000, 100);
    assert.ok(Date.now() - started >= 1000, 'not before its lifetime');
  });
});
