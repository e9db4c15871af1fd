/**
 * The CLI's everyday verbs against a real server process: --json output round-trips through the client's types
 * (compared with what the typed client reads back), tables for people, one clear line and exit 1 for a wrong
 * token or a server that is down, the store-only `webhooks`/`tokens` commands still working beside the remote
 * ones, `onair watch`, and `onair doctor` (including a PATH without ffmpeg).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OnairClient } from '../../src/client/index.js';
import type { LiveStream, PlaybackId, Simulcast, SigningKeyCreated, SigningKeyItem, WebhookEndpoint } from '../../src/client/index.js';
import { freePort } from '../helpers/ports.js';
import { runCli, startTestServer, type TestServer } from '../helpers/server.js';

describe('onair CLI against a running server', () => {
  let srv: TestServer;
  let client: OnairClient;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await cli(...args, '--json');
    assert.equal(r.code, 0, `onair ${args.join(' ')} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  before(async () => {
    srv = await startTestServer();
    client = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: srv.tokenSecret });
    env = { ONAIR_URL: srv.url, ONAIR_TOKEN_ID: srv.tokenId, ONAIR_TOKEN_SECRET: srv.tokenSecret };
  });
  after(async () => { await srv?.stop(); });

  test('streams: create, get, list, update, disable, enable, finish, delete', async () => {
    const created = await json<LiveStream>('streams', 'create', '--metadata', 'name=CLI test', '--metadata', 'team=ops', '--reconnect-window', '120', '--access-policy', 'private');
    const got = await client.liveStreams.get(created.streamId);
    assert.deepEqual({ ...got, simulcastResponses: undefined, mediaIds: undefined }, { ...created, simulcastResponses: undefined, mediaIds: undefined });
    assert.equal(created.reconnectWindow, 120);
    assert.equal(created.playbackIds[0]!.accessPolicy, 'private');
    assert.deepEqual(await json<LiveStream>('streams', 'get', created.streamId), got);

    const human = await cli('streams', 'get', created.streamId);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`rtmp: +rtmp://127\\.0\\.0\\.1:${srv.ports.rtmp}/live/${created.streamKey}`));
    assert.match(human.stdout, new RegExp(`srt: +srt://127\\.0\\.0\\.1:${srv.ports.srt}\\?streamid=${created.streamId}&passphrase=`));
    assert.match(human.stdout, /metadata: +name=CLI test, team=ops/);

    const list = await cli('streams', 'list');
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.match(lines[0]!, /^STREAM ID +STATUS +CREATED +PLAYBACK ID +METADATA$/);
    assert.ok(lines.some((l) => l.startsWith(created.streamId) && /\bidle\b/.test(l)), list.stdout);
    assert.deepEqual(await json<LiveStream[]>('streams', 'list', '--all'), await client.liveStreams.listAll());

    const updated = await json<LiveStream>('streams', 'update', created.streamId, '--metadata', 'name=renamed');
    assert.deepEqual(updated.metadata, { name: 'renamed' });

    assert.equal((await cli('streams', 'disable', created.streamId)).stdout.trim(), `disabled ${created.streamId}`);
    assert.equal((await client.liveStreams.get(created.streamId)).status, 'disabled');
    const again = await cli('streams', 'disable', created.streamId);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'onair: stream already disabled: The requested stream is already disabled.');
    assert.equal((await cli('streams', 'enable', created.streamId)).code, 0);
    assert.equal((await client.liveStreams.get(created.streamId)).status, 'idle');
    const finish = await cli('streams', 'finish', created.streamId);
    assert.equal(finish.code, 1);
    assert.match(finish.stderr, /^onair: stream cannot be completed/);

    const pid = await json<PlaybackId>('playback-ids', 'create', created.streamId);
    assert.equal(pid.accessPolicy, 'public');
    assert.ok((await json<PlaybackId[]>('playback-ids', 'list', created.streamId)).some((p) => p.id === pid.id));
    assert.equal((await cli('playback-ids', 'delete', created.streamId, pid.id)).code, 0);
    assert.ok(!(await client.liveStreams.get(created.streamId)).playbackIds.some((p) => p.id === pid.id));

    const sim = await json<Simulcast>('simulcasts', 'create', created.streamId, 'rtmp://127.0.0.1:9/app', 'key1');
    assert.deepEqual(await json<Simulcast[]>('simulcasts', 'list', created.streamId), [await client.simulcasts.get(created.streamId, sim.simulcastId)]);
    assert.equal((await json<Simulcast>('simulcasts', 'update', created.streamId, sim.simulcastId, '--disable')).isEnabled, false);

    assert.equal((await cli('streams', 'delete', created.streamId)).code, 0);
    const gone = await cli('streams', 'get', created.streamId);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr.trim(), "onair: stream not found: The requested resource (eg: streamId) doesn't exist in the workspace");
  });

  test('keys and remote webhooks; store-only webhooks and tokens keep working', async () => {
    const key = await json<SigningKeyCreated>('keys', 'create');
    assert.match(Buffer.from(key.privateKey, 'base64').toString(), /BEGIN PRIVATE KEY/);
    assert.ok((await json<SigningKeyItem[]>('keys', 'list')).some((k) => k.id === key.id));
    assert.equal((await cli('keys', 'delete', key.id)).code, 0);
    assert.equal((await client.signingKeys.list()).data.length, 0);

    const hook = await json<WebhookEndpoint>('webhooks', 'add', 'http://127.0.0.1:9/remote', '--url', srv.url);
    assert.ok(hook.secret);
    assert.ok((await client.webhooks.list()).some((w) => w.id === hook.id && w.url === 'http://127.0.0.1:9/remote'));
    // store-only form, on the same SQLite file the server uses (no ONAIR_URL: --data decides)
    const local = await runCli(['webhooks', 'list', '--data', srv.dataDir, '--json'], {});
    assert.equal(local.code, 0, local.stderr);
    assert.ok((JSON.parse(local.stdout) as { id: string; source: string }[]).some((w) => w.id === hook.id && w.source === 'api'));
    assert.equal((await cli('webhooks', 'remove', hook.id, '--url', srv.url)).code, 0);
    assert.equal((await client.webhooks.list()).length, 0);

    const tok = await runCli(['tokens', 'create', '--data', srv.dataDir, '--permission', 'read', '--json'], {});
    assert.equal(tok.code, 0, tok.stderr);
    const t = JSON.parse(tok.stdout) as { id: string; secret: string };
    const readOnly = await runCli(['streams', 'create', '--token', `${t.id}:${t.secret}`, '--url', srv.url], {});
    assert.equal(readOnly.code, 1);
    assert.equal(readOnly.stderr.trim(), 'onair: unauthorized: The access token does not have permission for this operation.');
    assert.equal((await runCli(['streams', 'list', '--token', `${t.id}:${t.secret}`, '--url', srv.url], {})).code, 0);
  });

  test('a wrong token, a missing token and a down server: one line, exit 1, no stack trace', async () => {
    const port = await freePort();
    const [wrong, none, down] = await Promise.all([
      runCli(['streams', 'list', '--url', srv.url, '--token', `${srv.tokenId}:nope`], {}),
      runCli(['streams', 'list', '--url', srv.url], { ONAIR_TOKEN_ID: '', ONAIR_TOKEN_SECRET: '' }),
      runCli(['streams', 'list', '--url', `http://127.0.0.1:${port}`, '--token', 'a:b'], {}),
    ]);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.equal(wrong.stderr.trim(), 'onair: unauthorized: The access token id and secret do not match.');
    assert.equal(none.code, 1);
    assert.match(none.stderr.trim(), /^onair: no access token: pass --token ID:SECRET or set ONAIR_TOKEN_ID and ONAIR_TOKEN_SECRET/);
    assert.equal(down.code, 1);
    assert.equal(down.stderr.trim(), `onair: cannot reach http://127.0.0.1:${port}: connection refused (is onair running?)`);
    for (const r of [wrong, none, down]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  test('watch prints the live state once per update', async () => {
    const s = await client.liveStreams.create({ playbackSettings: {}, inputMediaSettings: {} });
    const [r, human] = await Promise.all([cli('watch', s.streamId, '--count', '2', '--interval', '200', '--json'), cli('watch', s.streamId, '--count', '1')]);
    assert.equal(r.code, 0, r.stderr);
    const updates = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { streamId: string; status: string; viewers: number });
    assert.equal(updates.length, 2);
    for (const u of updates) assert.deepEqual([u.streamId, u.status, u.viewers], [s.streamId, 'idle', 0]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`${s.streamId} +idle +viewers 0 +uptime -`));
  });

  test('doctor: all good with a running onair on the API port; without ffmpeg on PATH it says so and how to install it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'onair-doctor-'));
    try {
      const ports = ['--playback-port', String(await freePort()), '--rtmp-port', String(await freePort()), '--srt-port', String(await freePort()), '--host', '127.0.0.1'];
      const ok = await runCli(['doctor', '--data', srv.dataDir, '--api-port', String(srv.ports.api), ...ports, '--json'], {});
      const checks = JSON.parse(ok.stdout) as { check: string; status: string; detail: string; fix?: string }[];
      const byName = new Map(checks.map((c) => [c.check, c]));
      assert.equal(byName.get('ffmpeg')!.status, 'ok');
      assert.equal(byName.get('libsrt')!.status, 'ok');
      assert.match(byName.get('api port')!.detail, /onair is running/);
      assert.equal(byName.get('database')!.status, 'ok');
      assert.match(byName.get('database')!.detail, /1 access token|access tokens/);
      assert.equal(ok.code, checks.some((c) => c.status === 'fail') ? 1 : 0);

      const emptyBin = mkdtempSync(join(tmpdir(), 'onair-nopath-'));
      const noFfmpeg = await runCli(['doctor', '--data', dataDir, '--api-port', String(await freePort()), ...ports], { PATH: emptyBin });
      rmSync(emptyBin, { recursive: true, force: true });
      assert.equal(noFfmpeg.code, 1);
      assert.match(noFfmpeg.stdout, /FAIL +ffmpeg +ffmpeg not found on PATH/);
      assert.match(noFfmpeg.stdout, /fix: install it: `sudo apt-get install ffmpeg`/);
      assert.match(noFfmpeg.stdout, /problems? to fix/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
