/** Issue 8: connection limits of the RTMP(S) listener and message size limits before and after publish. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RtmpServer } from '../../../src/ingest/rtmp/rtmp-server.js';
import { registry } from '../../../src/metrics.js';
import { encodeAmf0 } from '../../../src/protocols/amf0/amf0-encoder.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { FakeGateway, waitFor } from './rtmp-test-gateway.js';
import { publishOn, rtmpPeer, type RtmpPeer } from './rtmp-attack-client.js';

const tmp = mkdtempSync(join(tmpdir(), 'onair-rtmp-limits-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function hits(limit: string): Promise<number> {
  const m = await registry.getSingleMetric('onair_limit_hits_total')?.get();
  return m?.values.find((v) => v.labels.limit === limit)?.value ?? 0;
}

/** A pino logger whose lines land in `lines` (parsed). */
function capturingLogger(lines: Record<string, unknown>[]) {
  return pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
}

test('per-address limit refuses the N+1th connection from one address; others and freed slots are admitted', async () => {
  const lines: Record<string, unknown>[] = [];
  const server = new RtmpServer({ gateway: new FakeGateway(), logger: capturingLogger(lines), port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 3, maxConnections: 0 });
  await server.listen();
  const peers: RtmpPeer[] = [];
  try {
    const port = server.address().port;
    const before = await hits('rtmp_connections_per_address');
    for (let i = 0; i < 3; i++) peers.push(await rtmpPeer(port, '127.0.0.1'));
    assert.ok(peers.every((p) => !p.closedByServer() && !p.socket.destroyed), 'three admitted (handshake answered)');
    assert.equal(server.limiter.countOf('127.0.0.1'), 3);

    const fourth = await rtmpPeer(port, '127.0.0.1');
    await fourth.closed;
    assert.ok(fourth.closedByServer(), 'the fourth from the same address is closed by the server');
    assert.equal(await hits('rtmp_connections_per_address'), before + 1);
    const warn = lines.find((l) => l.msg === 'rtmp connection refused: too many connections per address');
    assert.ok(warn, 'logged');
    assert.equal(warn.level, 40);
    assert.equal(warn.address, '127.0.0.1');

    const other = await rtmpPeer(port, '127.0.0.2');
    peers.push(other);
    assert.ok(!other.closedByServer() && !other.socket.destroyed, 'another address is admitted');

    peers[0]!.destroy();
    await waitFor(() => server.limiter.countOf('127.0.0.1') === 2, 2000, 'slot freed');
    const again = await rtmpPeer(port, '127.0.0.1');
    peers.push(again);
    assert.ok(!again.closedByServer() && !again.socket.destroyed, 'a freed slot admits again');
    assert.equal(server.limiter.size, 4);
  } finally {
    for (const p of peers) p.destroy();
    await server.close();
  }
});

test('total limit counts RTMP and RTMPS together and refuses the N+1th connection before TLS', async () => {
  const key = join(tmp, 'key.pem');
  const cert = join(tmp, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const server = new RtmpServer({
    gateway: new FakeGateway(), logger: pino({ level: 'silent' }), port: 0, host: '127.0.0.1',
    tls: { cert: readFileSync(cert), key: readFileSync(key), port: 0 }, maxConnections: 2,
  });
  await server.listen();
  const peers: RtmpPeer[] = [];
  try {
    const { port, tlsPort } = server.address();
    const before = await hits('rtmp_connections');
    peers.push(await rtmpPeer(port, '127.0.0.3'));
    // one RTMPS connection: the TLS handshake completes
    const secure = tlsConnect({ port: tlsPort!, host: '127.0.0.1', rejectUnauthorized: false });
    secure.on('error', () => {});
    await new Promise<void>((r) => secure.once('secureConnect', () => r()));
    await waitFor(() => server.limiter.size === 2, 2000, 'two counted');

    const third = await rtmpPeer(port, '127.0.0.4');
    await third.closed;
    assert.ok(third.closedByServer(), 'third (plain) refused');
    const thirdTls = tlsConnect({ port: tlsPort!, host: '127.0.0.1', rejectUnauthorized: false });
    let secured = false;
    thirdTls.on('secureConnect', () => (secured = true));
    thirdTls.on('error', () => {});
    await new Promise<void>((r) => thirdTls.once('close', () => r()));
    assert.equal(secured, false, 'third (TLS) refused before its handshake');
    assert.equal(await hits('rtmp_connections'), before + 2);
    assert.equal(server.limiter.size, 2);

    secure.destroy();
    await waitFor(() => server.limiter.size === 1, 2000, 'TLS connection released');
    const fourth = await rtmpPeer(port, '127.0.0.4');
    peers.push(fourth);
    assert.ok(!fourth.closedByServer() && !fourth.socket.destroyed, 'admitted once a slot is free');
  } finally {
    for (const p of peers) p.destroy();
    await server.close();
  }
});

test('before publish is accepted, a message over 64 KiB closes the connection with a warning; after, up to maxMessageBytes', async () => {
  const lines: Record<string, unknown>[] = [];
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger: capturingLogger(lines), port: 0, host: '127.0.0.1', maxMessageBytes: 1024 * 1024 });
  await server.listen();
  const w = new RtmpChunkWriter();
  const peers: RtmpPeer[] = [];
  try {
    const port = server.address().port;
    const before = await hits('rtmp_message_size');

    // A connect command padded to 64 KiB + 1 byte: refused at its header, before any of it is buffered.
    const early = await rtmpPeer(port);
    peers.push(early);
    const big = encodeAmf0('connect', 1, { app: 'live', pad: 'x'.repeat(64 * 1024) });
    assert.ok(big.length > 64 * 1024);
    early.socket.write(w.write(3, 20, 0, 0, big));
    await early.closed;
    assert.ok(early.closedByServer());
    assert.equal(await hits('rtmp_message_size'), before + 1);
    const warn = lines.find((l) => l.code === 'RTMP_MESSAGE_LENGTH');
    assert.ok(warn, 'logged');
    assert.equal(warn.level, 40);
    assert.equal(warn.limit, 'rtmp_message_size');
    assert.equal(warn.state, 'connecting');
    assert.equal(lines.filter((l) => l.code === 'RTMP_MESSAGE_LENGTH').length, 1, 'logged once for the connection');
    assert.equal(server.budget.inUse, 0);

    // After Publish.Start: a 512 KiB video message passes (the connection answers the next command) ...
    const pub = await rtmpPeer(port);
    peers.push(pub);
    assert.ok(await publishOn(pub, port, 'LIMITS'));
    const pw = new RtmpChunkWriter(); // (a fresh writer: its chunk stream state must match the peer's own writes)
    pub.socket.write(pw.write(6, 9, 1, 0, Buffer.alloc(512 * 1024)));
    pub.socket.write(pw.write(3, 20, 0, 0, encodeAmf0('getStreamLength', 5, null, 'LIMITS')));
    await waitFor(() => pub.statuses.includes('_error:NetStream.Play.Failed'), 3000, 'answer after the big message');
    assert.ok(!pub.closedByServer());
    // ... and one over maxMessageBytes (1 MiB here) closes it.
    pub.socket.write(pw.write(6, 9, 1, 40, Buffer.alloc(1024 * 1024 + 1)));
    await pub.closed;
    assert.ok(pub.closedByServer());
    assert.equal(await hits('rtmp_message_size'), before + 2);
    assert.equal(lines.filter((l) => l.code === 'RTMP_MESSAGE_LENGTH').at(-1)!.state, 'publishing');
    await waitFor(() => gateway.sessions[0]?.endReasons.length === 1, 2000, 'session end');
    assert.deepEqual(gateway.sessions[0]!.endReasons, ['protocol error: RTMP_MESSAGE_LENGTH']);
    assert.equal(server.budget.inUse, 0);
  } finally {
    for (const p of peers) p.destroy();
    await server.close();
  }
});
