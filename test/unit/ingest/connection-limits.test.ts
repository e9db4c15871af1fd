/**
 * Issue 8: connection limits of every TCP listener, through the real `onair serve` process: the ONAIR_* settings
 * reach the API, playback and RTMP listeners, refusals are counted in /metrics, and a refused client does not
 * disturb the admitted ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startTestServer } from '../../helpers/server.js';
import { rtmpPeer } from './rtmp-attack-client.js';

interface HttpPeer {
  socket: Socket;
  closed: Promise<void>;
  /** sends a GET on the kept-alive connection; resolves with the status line, or undefined if the socket closed */
  get(path: string): Promise<string | undefined>;
}

async function httpPeer(port: number, localAddress: string): Promise<HttpPeer> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await Promise.race([new Promise<void>((r) => socket.once('connect', () => r())), closed]);
  return {
    socket,
    closed,
    get(path) {
      return new Promise((resolve) => {
        let text = '';
        const onData = (d: Buffer) => {
          text += d.toString('latin1');
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
          if (text.length < end + 4 + length) return;
          socket.off('data', onData);
          resolve(text.slice(0, text.indexOf('\r\n')));
        };
        socket.on('data', onData);
        void closed.then(() => resolve(undefined));
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
      });
    },
  };
}

test('ONAIR_*_MAX_CONNECTIONS_PER_ADDRESS limit the API, playback and RTMP listeners of onair serve', async () => {
  const srv = await startTestServer({
    env: {
      ONAIR_API_MAX_CONNECTIONS_PER_ADDRESS: '2',
      ONAIR_PLAYBACK_MAX_CONNECTIONS_PER_ADDRESS: '2',
      ONAIR_RTMP_MAX_CONNECTIONS_PER_ADDRESS: '1',
    },
  });
  const open: { destroy(): void }[] = [];
  try {
    // API (from 127.0.0.6: the helper's own requests come from 127.0.0.1)
    const api = [await httpPeer(srv.ports.api, '127.0.0.6'), await httpPeer(srv.ports.api, '127.0.0.6')];
    open.push(...api.map((p) => p.socket));
    for (const p of api) assert.match((await p.get('/healthz')) ?? 'closed', /^HTTP\/1\.1 200/);
    const apiThird = await httpPeer(srv.ports.api, '127.0.0.6');
    assert.equal(await apiThird.get('/healthz'), undefined, 'third API connection closed unanswered');
    assert.match((await api[0]!.get('/healthz')) ?? 'closed', /^HTTP\/1\.1 200/, 'admitted connections keep working');

    // playback
    const play = [await httpPeer(srv.ports.playback, '127.0.0.6'), await httpPeer(srv.ports.playback, '127.0.0.6')];
    open.push(...play.map((p) => p.socket));
    for (const p of play) assert.match((await p.get('/nosuchid.m3u8')) ?? 'closed', /^HTTP\/1\.1 404/);
    const playThird = await httpPeer(srv.ports.playback, '127.0.0.6');
    assert.equal(await playThird.get('/nosuchid.m3u8'), undefined, 'third playback connection closed unanswered');
    const playOther = await httpPeer(srv.ports.playback, '127.0.0.7');
    open.push(playOther.socket);
    assert.match((await playOther.get('/nosuchid.m3u8')) ?? 'closed', /^HTTP\/1\.1 404/, 'another address is served');

    // RTMP
    const first = await rtmpPeer(srv.ports.rtmp, '127.0.0.6');
    open.push(first);
    assert.ok(!first.closedByServer() && !first.socket.destroyed, 'first RTMP connection shakes hands');
    const second = await rtmpPeer(srv.ports.rtmp, '127.0.0.6');
    await second.closed;
    assert.ok(second.closedByServer(), 'second RTMP connection from the address refused');

    const metrics = await srv.request('GET', '/metrics');
    assert.equal(metrics.status, 200);
    for (const limit of ['api', 'playback', 'rtmp']) {
      assert.match(metrics.text, new RegExp(`^onair_limit_hits_total\\{limit="${limit}_connections_per_address"\\} 1$`, 'm'), limit);
    }
    assert.match(metrics.text, /^onair_connections\{listener="playback"\} 3$/m);
    assert.match(metrics.text, /^onair_connections\{listener="rtmp"\} 1$/m);
    assert.match(metrics.text, /^onair_rtmp_assembly_budget_bytes 268435456$/m);
    assert.match(srv.logs(), /connection refused: too many connections per address/);
  } finally {
    for (const o of open) o.destroy();
    await srv.stop();
  }
});
