/**
 * Observability against a real server (debug logs) and real encoders (ffmpeg over RTMP and SRT):
 * - per-stream ingest bitrate and frame rate on /metrics (parsed with a Prometheus text parser), series gone when
 *   the session ends; segments produced; blocking-reload waits; webhook delivery failures;
 * - a request id in the API's log lines, echoed in `x-request-id` (the caller's when sane, else generated);
 * - at debug level the RTMP ingest logs the handshake kind and each command with the stream key redacted, and
 *   SRT logs the caller's stream id and latency.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { OnairClient } from '../../src/client/index.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';
import { waitFor } from '../helpers/ports.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let client: OnairClient;
const publishers: Publisher[] = [];

/** a port nobody listens on: webhook deliveries to it fail with a network error */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

before(async () => {
  srv = await startTestServer({
    args: ['--log-level', 'debug', '--webhook-url', `http://127.0.0.1:${await closedPort()}/hook`],
    // reconnectWindow 60 s -> 1.2 s
    env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.02', ONAIR_WEBHOOK_POLL_MS: '100', ONAIR_ENDED_LINGER_MS: '1000', ONAIR_TRANSCODE: 'off' },
  });
  client = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: srv.tokenSecret });
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
});

async function metrics(): Promise<Map<string, PromFamily>> {
  const families = parsePrometheusTextFormat(await client.system.metrics());
  return new Map(families.map((f) => [f.name, f]));
}
const valueOf = (m: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined => {
  const s = m.get(name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return s?.value === undefined ? undefined : Number(s.value);
};
const logLines = (): Record<string, unknown>[] => srv.logs().split('\n').filter((l) => l.startsWith('{')).map((l) => {
  try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; }
});

test('API log lines carry a request id, echoed in x-request-id', async () => {
  const given = await fetch(`${srv.url}/v1/live/streams`, { headers: { authorization: srv.auth, 'x-request-id': 'trace-abc.123' } });
  assert.equal(given.status, 200);
  assert.equal(given.headers.get('x-request-id'), 'trace-abc.123');
  const made = await fetch(`${srv.url}/v1/live/streams/nope`, { headers: { authorization: srv.auth } });
  assert.equal(made.status, 404);
  const id = made.headers.get('x-request-id');
  assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  // a hostile id (log injection, too long) is replaced, never echoed
  const hostile = await fetch(`${srv.url}/v1/live/streams`, { headers: { authorization: 'Basic eDp5', 'x-request-id': 'a"b<script>' } });
  assert.equal(hostile.status, 401);
  assert.notEqual(hostile.headers.get('x-request-id'), 'a"b<script>');
  assert.match(hostile.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const line = await waitFor('the request log line', () => logLines().find((l) => l.msg === 'request' && l.reqId === 'trace-abc.123'));
  assert.equal(line.status, 200);
  await waitFor('the 404 request log line with the generated id', () => logLines().find((l) => l.msg === 'request' && l.reqId === id && l.status === 404));
});

test('RTMP publish: ingest bitrate/fps per stream, segments, blocking waits; debug logs of the encoder; series gone at the end', { timeout: 60_000 }, async () => {
  const clip = await clip720p(12);
  const s = await client.liveStreams.create({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
  const segmentsBefore = valueOf(await metrics(), 'onair_packager_segments_total') ?? 0;
  const p = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.streamKey}`);
  publishers.push(p);
  // the clip: 720p30, ~3 Mbit/s video + 128 kbit/s audio
  const m = await waitFor('ingest gauges', async () => {
    const now = await metrics();
    return valueOf(now, 'onair_stream_ingest_fps', { stream: s.streamId }) !== undefined && (valueOf(now, 'onair_packager_segments_total') ?? 0) >= segmentsBefore + 3 ? now : undefined;
  }, 20_000, 250);
  const bps = valueOf(m, 'onair_stream_ingest_bitrate_bps', { stream: s.streamId })!;
  const fps = valueOf(m, 'onair_stream_ingest_fps', { stream: s.streamId })!;
  assert.ok(bps > 1.5e6 && bps < 6e6, `bitrate ${bps}`);
  assert.ok(fps > 24 && fps < 36, `fps ${fps}`);
  assert.equal(m.get('onair_stream_ingest_bitrate_bps')!.type, 'GAUGE');
  assert.deepEqual(Object.keys(m.get('onair_stream_ingest_fps')!.metrics[0]!.labels ?? {}), ['stream']);

  // the dashboard's live state says the same (GET /v1/onair/live)
  const live = (await client.request<{ bitrateKbps: number | null; framesPerSecond: number | null }>('GET', `/v1/onair/live/${s.streamId}`)).data!;
  assert.ok(live.bitrateKbps! > 1500 && live.bitrateKbps! < 6000, `kbps ${live.bitrateKbps}`);
  assert.ok(live.framesPerSecond! > 24 && live.framesPerSecond! < 36);

  // a blocking playlist reload is held until the next part: one wait, and held time counted
  const waitsBefore = valueOf(m, 'onair_playback_blocking_waits_total') ?? 0;
  const pl = await (await fetch(`http://127.0.0.1:${srv.ports.playback}/${s.playbackIds[0]!.id}/media.m3u8`)).text();
  const lastMsn = Math.max(...[...pl.matchAll(/#EXT-X-MEDIA-SEQUENCE:(\d+)/g)].map((x) => Number(x[1])));
  const segs = pl.split('\n').filter((l) => l.startsWith('seg-')).length;
  const res = await fetch(`http://127.0.0.1:${srv.ports.playback}/${s.playbackIds[0]!.id}/media.m3u8?_HLS_msn=${lastMsn + segs + 1}`);
  assert.equal(res.status, 200);
  await res.text();
  const m2 = await metrics();
  assert.ok((valueOf(m2, 'onair_playback_blocking_waits_total') ?? 0) >= waitsBefore + 1);
  assert.ok((valueOf(m2, 'onair_playback_blocking_wait_seconds_total') ?? 0) > 0.05);
  assert.ok((valueOf(m2, 'onair_playback_requests_total', { kind: 'playlist', status: '200' }) ?? 0) >= 2);

  // debug logs: what the encoder did, without its stream key
  const lines = logLines();
  // (ffmpeg's RTMP client signs C1: the digest handshake)
  assert.ok(lines.some((l) => l.msg === 'rtmp handshake done' && l.handshake === 'digest (FP9)'), 'handshake kind logged');
  const commands = lines.filter((l) => l.msg === 'rtmp command').map((l) => l.command);
  for (const c of ['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish']) assert.ok(commands.includes(c), `${c} logged: ${commands.join(',')}`);
  const publishLine = lines.find((l) => l.msg === 'rtmp command' && l.command === 'publish')!;
  assert.match(String((publishLine.args as unknown[])[0]), /^<redacted \d+ chars>$/);
  assert.ok(!srv.logs().includes(s.streamKey), 'the stream key never reaches the logs');

  // the session ends: its series go
  await p.stop();
  await waitFor('session gone from the gauges', async () => {
    const end = await metrics();
    return valueOf(end, 'onair_stream_ingest_bitrate_bps', { stream: s.streamId }) === undefined
      && valueOf(end, 'onair_stream_ingest_fps', { stream: s.streamId }) === undefined ? true : undefined;
  }, 15_000, 250);

  // the webhook endpoint is down: lifecycle deliveries fail with a network error and wait in the queue
  const wm = await waitFor('webhook failures counted', async () => {
    const now = await metrics();
    return (valueOf(now, 'onair_webhook_delivery_failures_total', { reason: 'network' }) ?? 0) > 0 ? now : undefined;
  }, 10_000, 200);
  assert.ok((valueOf(wm, 'onair_webhook_queue_depth') ?? 0) > 0);
  assert.ok((wm.get('onair_webhook_delivery_seconds')?.metrics.length ?? 0) > 0);
});

test('SRT publish: debug log of the caller\'s stream id and latency', { timeout: 40_000 }, async () => {
  const clip = await clip720p(12);
  const s = await client.liveStreams.create({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
  const p = publish(clip, `srt://127.0.0.1:${srv.ports.srt}?streamid=${s.streamId}&passphrase=${s.srtSecret}&latency=250000`, { format: 'mpegts' });
  publishers.push(p);
  const line = await waitFor('srt accept logged', () => logLines().find((l) => l.msg === 'srt caller accepted' && l.srtStreamId === s.streamId), 15_000, 100);
  assert.equal(line.mode, 'publish');
  assert.equal(line.latencyMs, 250, `negotiated latency: ${JSON.stringify(line)}`);
  assert.ok(!srv.logs().includes(s.srtSecret), 'the passphrase never reaches the logs');
  await waitFor('active over SRT', async () => ((await client.liveStreams.get(s.streamId)).status === 'active' ? true : undefined), 15_000, 200);
  await p.stop();
});
