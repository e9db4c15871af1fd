/**
 * Issue 8, fault 3: a second publisher is refused in its handshake whatever the protocol. With an RTMP
 * publisher delivering, an SRT caller for the same stream is rejected by the SRT listener (conflict, 1409) —
 * ffmpeg sees a connection rejection, not an I/O error after connecting — and the RTMP session is untouched.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';

let srv: TestServer;
let clip: string;
const publishers: Publisher[] = [];

before(async () => {
  clip = await clip720p(6);
  srv = await startTestServer();
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
});

test('RTMP holds the stream: an SRT publisher is rejected in the SRT handshake (busy)', { timeout: 90_000 }, async () => {
  const res = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
  assert.equal(res.status, 201, res.text);
  const s = res.body.data as { streamId: string; streamKey: string; srtSecret: string };
  const rtmp = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.streamKey}`);
  publishers.push(rtmp);
  await waitFor('stream active', async () => (await srv.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.status === 'active' || undefined, 30_000);

  const srt = publish(clip, `srt://127.0.0.1:${srv.ports.srt}?streamid=${s.streamId}&passphrase=${s.srtSecret}`, { format: 'mpegts', loop: false });
  publishers.push(srt);
  assert.notEqual(await srt.exited, 0, 'the SRT caller is refused');
  // libsrt on the caller's side: the listener's handshake answer carried a rejection (not a drop after connecting)
  assert.match(srt.stderr(), /REJECT reported from HS processing/, `ffmpeg says the handshake was rejected: ${srt.stderr()}`);

  // the RTMP publisher keeps the stream
  assert.equal(rtmp.proc.exitCode, null, 'the RTMP publisher is still connected');
  assert.equal((await srv.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.status, 'active');
});
