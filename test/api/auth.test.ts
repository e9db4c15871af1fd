/**
 * Access tokens over HTTP: 401 without/with wrong credentials, read tokens get 403 on writes, and failed-login limits
 * keyed per (address, token id) and per address that refuse further failures (429) but never valid credentials.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { basicAuth, runCli, startTestServer, type TestServer } from '../helpers/server.js';

/** GET from a chosen local address (127.0.0.x), to act as a different client. */
function getFrom(localAddress: string, url: string, auth?: string): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', localAddress, headers: auth ? { authorization: auth } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

forEachEngine((engine, database) => {
  describe(`auth (${engine})`, () => {
    let srv: TestServer;
    let dbArgs: string[];
    before(async () => {
      const db = await database();
      srv = await startTestServer({ ...(db ? { database: db } : {}) });
      dbArgs = ['--data', srv.dataDir, ...(db ? ['--database', db] : [])];
    });
    after(async () => { await srv?.stop(); });

    test('no credentials, wrong secret, unknown id, malformed header: 401 in the FastPix shape', async () => {
      for (const auth of [null, basicAuth(srv.tokenId, 'wrong'), basicAuth('nobody', srv.tokenSecret), 'Bearer abc', 'Basic !!!']) {
        const r = await srv.request('GET', '/v1/live/streams', undefined, { auth });
        assert.equal(r.status, 401, String(auth));
        assert.equal(r.body.success, false);
        assert.equal(r.body.error.code, 401);
        assert.equal(r.body.error.message, 'unauthorized');
        assert.equal(typeof r.body.error.description, 'string');
      }
      // a bad login is refused before the body is looked at
      const bad = await srv.request('POST', '/v1/live/streams', undefined, { auth: null, raw: '{broken' });
      assert.equal(bad.status, 401);
    });

    test('tokens create --permission read: reads pass, writes get 403; revoke makes it 401', async () => {
      const made = await runCli(['tokens', 'create', ...dbArgs, '--permission', 'read', '--json']);
      assert.equal(made.code, 0, made.stderr);
      const tok = JSON.parse(made.stdout.trim());
      assert.equal(typeof tok.id, 'string');
      assert.equal(typeof tok.secret, 'string');
      const auth = basicAuth(tok.id, tok.secret);
      assert.equal((await srv.request('GET', '/v1/live/streams', undefined, { auth })).status, 200);
      assert.equal((await srv.request('GET', '/v1/iam/signing-keys', undefined, { auth })).status, 200);
      const w = await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} }, { auth });
      assert.equal(w.status, 403);
      assert.deepEqual(Object.keys(w.body.error), ['code', 'message', 'description']);
      assert.equal(w.body.error.message, 'unauthorized');
      const k = await srv.request('POST', '/v1/iam/signing-keys', undefined, { auth });
      assert.equal(k.status, 403);
      assert.equal(k.body.error.message, 'forbidden');
      assert.equal((await srv.request('GET', '/v1/live/streams', undefined, { auth: srv.auth })).body.pagination.totalRecords, 0, 'the refused write stored nothing');

      const list = await runCli(['tokens', 'list', ...dbArgs, '--json']);
      assert.equal(list.code, 0, list.stderr);
      const ids = JSON.parse(list.stdout).map((t: { id: string }) => t.id);
      assert.ok(ids.includes(tok.id) && ids.includes(srv.tokenId));
      assert.equal(list.stdout.includes(tok.secret), false, 'secrets are not stored');
      const rev = await runCli(['tokens', 'revoke', ...dbArgs, tok.id]);
      assert.equal(rev.code, 0, rev.stderr);
      assert.equal((await srv.request('GET', '/v1/live/streams', undefined, { auth })).status, 401);
    });

    test('ten failures for one token id from one address: further FAILURES get 429 + Retry-After, valid credentials still pass', async () => {
      const url = `${srv.url}/v1/live/streams`;
      const wrong = basicAuth(srv.tokenId, 'guess');
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await getFrom('127.0.0.2', url, wrong)).status);
      assert.deepEqual(statuses, [...Array<number>(10).fill(401), 429, 429], 'ten failures are counted, then refused');
      const blocked = await getFrom('127.0.0.2', url, wrong);
      assert.equal(blocked.status, 429);
      assert.deepEqual(blocked.body, { success: false, error: { code: 429, message: 'too many requests', description: blocked.body.error.description } });
      const retryAfter = Number(blocked.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= 60, String(blocked.headers['retry-after']));
      assert.equal((await getFrom('127.0.0.2', url, srv.auth)).status, 200, 'the right secret is accepted from the same address');
      assert.equal((await getFrom('127.0.0.2', url, basicAuth('other-token-id', 'guess'))).status, 401, 'another token id is not limited');
      assert.equal((await getFrom('127.0.0.1', url, wrong)).status, 401, 'another address is not limited');
    });

    test('an attacker with 50 failures cannot lock out valid tokens (or another token id) on the same address', async () => {
      const made = await runCli(['tokens', 'create', ...dbArgs, '--permission', 'read', '--json']);
      assert.equal(made.code, 0, made.stderr);
      const other = JSON.parse(made.stdout.trim()) as { id: string; secret: string };
      const url = `${srv.url}/v1/live/streams`;
      let refused = 0;
      for (let i = 0; i < 50; i++) {
        const r = await getFrom('127.0.0.3', url, basicAuth(srv.tokenId, `guess-${i}`));
        assert.ok(r.status === 401 || r.status === 429, String(r.status));
        if (r.status === 429) refused++;
      }
      assert.equal(refused, 40, 'failures beyond the tenth are refused');
      assert.equal((await getFrom('127.0.0.3', url, srv.auth)).status, 200, 'the attacked token, with its secret');
      assert.equal((await getFrom('127.0.0.3', url, basicAuth(other.id, other.secret))).status, 200, 'another valid token');
      assert.equal((await getFrom('127.0.0.3', url, basicAuth(other.id, 'typo'))).status, 401, 'another token id is not locked out');
      assert.equal((await getFrom('127.0.0.3', url)).status, 401, 'no credentials: counted, not refused yet');
    });

    test('one address failing over many token ids is limited as a whole (100 per window); valid credentials still pass', async () => {
      const url = `${srv.url}/v1/live/streams`;
      for (let i = 0; i < 100; i++) {
        assert.equal((await getFrom('127.0.0.4', url, basicAuth(`random-${i}`, 'x'))).status, 401, `failure ${i + 1}`);
      }
      const r = await getFrom('127.0.0.4', url, basicAuth('random-new', 'x'));
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers['retry-after']) > 0);
      assert.equal((await getFrom('127.0.0.4', url, srv.auth)).status, 200);
      assert.equal((await getFrom('127.0.0.5', url, basicAuth('random-new', 'x'))).status, 401);
    });
  });

  describe(`first start without a token (${engine})`, () => {
    test('creates an admin token, prints id and secret once, and they work', async () => {
      const db = await database();
      const srv = await startTestServer({ envToken: false, ...(db ? { database: db } : {}) });
      try {
        const id = /ONAIR_TOKEN_ID=(\S+)/.exec(srv.logs())?.[1];
        const secret = /ONAIR_TOKEN_SECRET=(\S+)/.exec(srv.logs())?.[1];
        assert.ok(id && secret, srv.logs());
        const r = await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} }, { auth: basicAuth(id, secret) });
        assert.equal(r.status, 201);
        await srv.restart();
        assert.equal(/ONAIR_TOKEN_SECRET=/.exec(srv.logs().split('onair is ready').slice(1).join(''))?.length ?? 0, 0);
        assert.equal(srv.logs().match(/ONAIR_TOKEN_SECRET=/g)?.length, 1, 'printed once');
        assert.equal((await srv.request('GET', '/v1/live/streams', undefined, { auth: basicAuth(id, secret) })).status, 200);
      } finally {
        await srv.stop();
      }
    });
  });
});
