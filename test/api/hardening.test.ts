/**
 * The real server (SQLite: nothing here touches the store engine): --trust-proxy decides whose address the login
 * limiter counts, and requests node's parser refuses (over-long headers, unknown methods, garbage) are answered in
 * the FastPix error envelope.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { basicAuth, runCli, startTestServer, type TestServer } from '../helpers/server.js';

interface Answer { status: number; headers: Record<string, unknown>; body: any }

function call(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => {
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Raw bytes in, the status and JSON body of the answer out (read until the server closes). */
function raw(port: number, bytes: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('no answer within 5 s')); }, 5000);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', () => { /* a reset after the answer is fine */ });
    sock.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const sep = text.indexOf('\r\n\r\n');
      let body: unknown;
      try { body = JSON.parse(text.slice(sep + 4)); } catch { body = undefined; }
      resolve({ status: Number(text.split(' ')[1]), body });
    });
    sock.write(bytes);
  });
}

/** Fail 10 times as `client` (X-Forwarded-For), then answer what the 11th failure and a second client's failure get. */
async function limitRun(srv: TestServer, tag: string): Promise<{ statuses: number[]; eleventh: number; otherClient: number; validSameClient: number }> {
  const url = `${srv.url}/v1/live/streams`;
  const wrong = basicAuth(srv.tokenId, `wrong-${tag}`);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await call(url, { headers: { authorization: wrong, 'x-forwarded-for': `10.1.0.1` } })).status);
  const eleventh = (await call(url, { headers: { authorization: wrong, 'x-forwarded-for': '10.1.0.1' } })).status;
  const otherClient = (await call(url, { headers: { authorization: wrong, 'x-forwarded-for': '10.1.0.2' } })).status;
  const validSameClient = (await call(url, { headers: { authorization: srv.auth, 'x-forwarded-for': '10.1.0.1' } })).status;
  return { statuses, eleventh, otherClient, validSameClient };
}

describe('behind a reverse proxy', () => {
  let proxied: TestServer;
  let direct: TestServer;
  before(async () => {
    [proxied, direct] = await Promise.all([startTestServer({ args: ['--trust-proxy', '127.0.0.1'] }), startTestServer()]);
  });
  after(async () => { await Promise.all([proxied?.stop(), direct?.stop()]); });

  test('with --trust-proxy, two clients behind the proxy (different X-Forwarded-For) are limited separately', async () => {
    const r = await limitRun(proxied, 'a');
    assert.deepEqual(r.statuses, Array<number>(10).fill(401));
    assert.equal(r.eleventh, 429);
    assert.equal(r.otherClient, 401, 'the second client behind the same proxy is not limited');
    assert.equal(r.validSameClient, 200);
  });

  test('without --trust-proxy, X-Forwarded-For is ignored: both "clients" are the proxy', async () => {
    const r = await limitRun(direct, 'b');
    assert.deepEqual(r.statuses, Array<number>(10).fill(401));
    assert.equal(r.eleventh, 429);
    assert.equal(r.otherClient, 429, 'a forged header does not make a new client');
    assert.equal(r.validSameClient, 200, 'valid credentials still pass');
  });

  test('ONAIR_TRUST_PROXY with a bad value stops the start with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onair-tp-'));
    try {
      const r = await runCli(['serve', '--data', dir, '--host', '127.0.0.1', '--api-port', '0', '--playback-port', '0', '--rtmp-port', '0', '--srt-port', '0'], { ONAIR_TRUST_PROXY: 'proxy.example.com' });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /invalid --trust-proxy entry "proxy\.example\.com"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('requests the HTTP parser refuses get the FastPix envelope', () => {
  let srv: TestServer;
  before(async () => { srv = await startTestServer(); });
  after(async () => { await srv?.stop(); });

  test('a 20 KB header: 431', async () => {
    const r = await call(`${srv.url}/v1/live/streams`, { headers: { authorization: srv.auth, 'x-big': 'a'.repeat(20 * 1024) } });
    assert.equal(r.status, 431);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(r.body, { success: false, error: { code: 431, message: 'request header fields too large', description: 'The request headers exceed the size this server accepts.' } });
  });

  test('an unknown method and a malformed request: 400', async () => {
    const unknown = await call(`${srv.url}/v1/live/streams`, { method: 'FROB', headers: { authorization: srv.auth } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(Object.keys(unknown.body.error), ['code', 'message', 'description']);
    assert.equal(unknown.body.success, false);
    assert.equal(unknown.body.error.code, 400);
    const garbage = await raw(srv.ports.api, 'hello there\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.error.message, 'bad request');
    // and the server keeps serving
    assert.equal((await call(`${srv.url}/v1/live/streams`, { headers: { authorization: srv.auth } })).status, 200);
  });
});
