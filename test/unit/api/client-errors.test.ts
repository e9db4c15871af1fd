/** answerClientError on a real node http.Server over raw sockets: parser refusals in the FastPix envelope. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { answerClientError, clientErrorAnswer } from '../../../src/api/client-errors.js';

let server: Server;
let port: number;

before(async () => {
  server = createServer((_req, res) => { res.end('ok'); });
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => { await new Promise((resolve) => server.close(resolve)); });

/** Send raw bytes, read until the server closes the connection (bounded by a timeout). */
function raw(bytes: string): Promise<{ status: number; headers: Record<string, string>; body: any }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('no answer within 5 s')); }, 5000);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', () => { /* the server may reset after answering; the answer is what counts */ });
    sock.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      let parsed: unknown;
      try { parsed = JSON.parse(body); } catch { parsed = undefined; }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: parsed });
    });
    sock.write(bytes);
  });
}

test('a 20 KB header gets 431 in the FastPix envelope', async () => {
  const r = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
  assert.equal(r.status, 431);
  assert.deepEqual(r.body, { success: false, error: { code: 431, message: 'request header fields too large', description: 'The request headers exceed the size this server accepts.' } });
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(Number(r.headers['content-length']), Buffer.byteLength(JSON.stringify(r.body)));
});

test('an unknown method and a malformed request line get 400 in the envelope', async () => {
  for (const req of ['FROB / HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /\x01bad HTTP/1.1\r\n\r\n', 'hello\r\n\r\n']) {
    const r = await raw(req);
    assert.equal(r.status, 400, JSON.stringify(req));
    assert.equal(r.body.success, false);
    assert.equal(r.body.error.code, 400);
    assert.equal(r.body.error.message, 'bad request');
    assert.equal(typeof r.body.error.description, 'string');
    assert.deepEqual(Object.keys(r.body.error), ['code', 'message', 'description']);
  }
});

test('a well-formed request on the same server is untouched', async () => {
  const r = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(await r.text(), 'ok');
});

test('clientErrorAnswer maps parser codes', () => {
  assert.equal(clientErrorAnswer('HPE_HEADER_OVERFLOW').status, 431);
  assert.equal(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT').status, 408);
  assert.equal(clientErrorAnswer('HPE_INVALID_METHOD').status, 400);
  assert.equal(clientErrorAnswer(undefined).status, 400);
});
