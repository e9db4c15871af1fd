/**
 * The live lifecycle (core/live-sessions.ts) through its public behaviour: publish(), the session handle,
 * finish, kick and close, observed through the store calls (an in-memory MediaStore) and through a hub
 * subscriber (configs, frames, discontinuities, end). Time is node:test's mocked clock (setTimeout + Date),
 * so reconnect windows, maxDuration and silent publishers are exercised to the millisecond without waiting.
 */
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { LiveSessions, SILENT_PUBLISHER_MS } from '../../../src/core/live-sessions.js';
import { StreamHub } from '../../../src/core/live-stream.js';
import type {
  LifecycleEvent, LiveSubscriber, MediaStore, PlaybackIdRoute, PublishDecision, PublishRequest, PublishSession,
  SimulcastEvent, SimulcastTarget, StreamRecord, StreamStatus,
} from '../../../src/core/contracts.js';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';

/** An in-memory MediaStore: records with a status, and every lifecycle write in order. */
class MemoryStore implements MediaStore {
  readonly streams = new Map<string, StreamRecord>();
  readonly writes: { streamId: string; status: StreamStatus | undefined; event: LifecycleEvent }[] = [];

  add(over: Partial<StreamRecord> & { streamId: string }): StreamRecord {
    const rec: StreamRecord = {
      streamKey: `key-${over.streamId}`,
      srtSecret: 'srt-secret',
      srtPlaybackStreamId: `play-${over.streamId}`,
      srtPlaybackSecret: 'srt-play-secret',
      status: 'idle',
      reconnectWindow: 60,
      maxDuration: 0,
      maxResolution: '1080p',
      enableRecording: false,
      enableDvrMode: false,
      playbackIds: [],
      ...over,
    };
    this.streams.set(rec.streamId, rec);
    return rec;
  }

  /** The lifecycle events of one stream, without the `video.live_stream.` prefix. */
  events(streamId: string): string[] {
    return this.writes.filter((w) => w.streamId === streamId).map((w) => w.event.replace('video.live_stream.', ''));
  }

  status(streamId: string): StreamStatus | undefined {
    return this.streams.get(streamId)?.status;
  }

  async findStreamByKey(streamKey: string): Promise<StreamRecord | undefined> {
    for (const r of this.streams.values()) if (r.streamKey === streamKey) return { ...r };
    return undefined;
  }
  async findStreamById(streamId: string): Promise<StreamRecord | undefined> {
    const r = this.streams.get(streamId);
    return r && { ...r };
  }
  async findStreamBySrtPlaybackId(id: string): Promise<StreamRecord | undefined> {
    for (const r of this.streams.values()) if (r.srtPlaybackStreamId === id) return { ...r };
    return undefined;
  }
  async listPlaybackIds(): Promise<PlaybackIdRoute[]> {
    return [...this.streams.values()].flatMap((r) => r.playbackIds.map((p) => ({ playbackId: p.id, streamId: r.streamId, accessPolicy: p.accessPolicy })));
  }
  async recordLifecycle(streamId: string, status: StreamStatus | undefined, event: LifecycleEvent): Promise<StreamRecord | undefined> {
    const r = this.streams.get(streamId);
    if (!r) return undefined;
    if (status) r.status = status;
    this.writes.push({ streamId, status, event });
    return { ...r };
  }
  async resetLiveStatuses(): Promise<void> {
    for (const r of this.streams.values()) if (r.status === 'preparing' || r.status === 'active') r.status = 'idle';
  }
  async listSrtCredentials() {
    return [...this.streams.values()].map(({ streamId, srtSecret, srtPlaybackStreamId, srtPlaybackSecret, status }) =>
      ({ streamId, srtSecret, srtPlaybackStreamId, srtPlaybackSecret, status }));
  }
  async listSigningPublicKeys(): Promise<{ id: string; publicKey: string }[]> {
    return [];
  }
  async listSimulcastTargets(_streamId: string): Promise<SimulcastTarget[]> {
    return [];
  }
  async recordSimulcastEvent(_target: SimulcastTarget, _event: SimulcastEvent, _errorMessage?: string): Promise<void> {}
}

/** A hub subscriber that writes down what the outputs of a stream see. */
function watch(hub: StreamHub, streamId: string) {
  const seen: string[] = [];
  const frames: MediaFrame[] = [];
  const sub: LiveSubscriber = {
    onConfig: (c) => seen.push(`config:${c.track}`),
    onFrame: (f) => {
      seen.push(`frame:${f.dts}`);
      frames.push(f);
    },
    onDiscontinuity: () => seen.push('discontinuity'),
    onEnd: () => seen.push('end'),
  };
  const unsubscribe = hub.subscribe(streamId, sub);
  return { seen, frames, unsubscribe };
}

const VIDEO: TrackConfig = { track: 'video', codec: 'h264', record: Buffer.of(1, 0x42, 0xc0, 0x1e), width: 320, height: 240, codecString: 'avc1.42c01e' };
/** A video frame at `ms` on the encoder's timeline (a fresh object: the rebaser rewrites it in place). */
const frameAt = (ms: number, keyframe = true): MediaFrame =>
  ({ track: 'video', codec: 'h264', dts: ms * 90, pts: ms * 90, keyframe, data: Buffer.of(0, 0, 0, 1, 0x65) });

/** One encoder connection as an ingest server drives it. */
interface Encoder {
  decision: PublishDecision;
  session: PublishSession;
  kicks: string[];
}

let store: MemoryStore;
let hub: StreamHub;
let sessions: LiveSessions;

function makeSessions(opts: { timeScale?: number } = {}): LiveSessions {
  return new LiveSessions({ store, hub, logger: pino({ level: 'silent' }), ...opts });
}

async function connect(key: string, remote = '203.0.113.7:50000', extra: Partial<PublishRequest> = {}): Promise<Encoder & { ok: boolean }> {
  const kicks: string[] = [];
  const decision = await sessions.publish({ protocol: 'rtmp', key, remote, ...extra }, (reason) => kicks.push(reason));
  return { decision, kicks, ok: decision.ok, session: decision.ok ? decision.session : (undefined as never) };
}

async function mustConnect(key: string, remote?: string): Promise<Encoder> {
  const e = await connect(key, remote);
  assert.ok(e.decision.ok, `publish accepted: ${JSON.stringify(e.decision)}`);
  return e;
}

/** Lets the store's queued lifecycle writes (a promise chain per stream) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_700_000_000_000 });
  store = new MemoryStore();
  hub = new StreamHub();
  sessions = makeSessions();
});

afterEach(async () => {
  await sessions.close();
  mock.timers.reset();
});

test('connected and preparing at publish, active at the first frame, with the statuses in the same writes', async () => {
  store.add({ streamId: 's1' });
  const out = watch(hub, 's1');
  const enc = await mustConnect('key-s1');
  assert.equal(enc.session.streamId, 's1');
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing']);
  assert.equal(store.status('s1'), 'preparing');
  assert.equal(hub.isLive('s1'), true);
  assert.equal(sessions.isLive('s1'), true);

  enc.session.onConfig(VIDEO);
  enc.session.onFrame(frameAt(0));
  enc.session.onFrame(frameAt(40, false));
  await settle();
  assert.deepEqual(store.writes.map((w) => [w.status ?? '-', w.event]), [
    ['preparing', 'video.live_stream.connected'],
    ['-', 'video.live_stream.preparing'],
    ['active', 'video.live_stream.active'],
  ]);
  assert.equal(store.status('s1'), 'active');
  // the first session's timeline starts at 1 s (90 kHz), frames keep their spacing
  assert.deepEqual(out.seen, ['config:video', 'frame:90000', 'frame:93600']);
});

test('unknown keys and disabled streams are refused with their reasons; nothing is written', async () => {
  store.add({ streamId: 'off', status: 'disabled' });
  const unknown = await connect('no-such-key');
  assert.deepEqual(unknown.decision.ok ? 'accepted' : unknown.decision.reason, 'unknown-key');
  const disabled = await connect('key-off');
  assert.deepEqual(disabled.decision.ok ? 'accepted' : disabled.decision.reason, 'disabled');
  // SRT names the stream by id rather than by key
  const bySrtId = await connect('off', '198.51.100.1:9000', { protocol: 'srt', byStreamId: true });
  assert.deepEqual(bySrtId.decision.ok ? 'accepted' : bySrtId.decision.reason, 'disabled');
  await settle();
  assert.deepEqual(store.writes, []);
  assert.equal(hub.isLive('off'), false);
});

test('a reconnect inside the window continues the session: no new preparing, a discontinuity, a continuing timeline', async () => {
  store.add({ streamId: 's1', reconnectWindow: 10 });
  const out = watch(hub, 's1');
  const first = await mustConnect('key-s1');
  first.session.onConfig(VIDEO);
  first.session.onFrame(frameAt(0));
  first.session.onFrame(frameAt(1000));
  first.session.end('socket closed');
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active', 'disconnected']);
  assert.equal(store.status('s1'), 'active', 'the status stays while the session is held');
  assert.equal(sessions.isLive('s1'), true);

  mock.timers.tick(9_999);
  const again = await mustConnect('key-s1', '203.0.113.7:50001');
  // the encoder restarts its clock at 0: the output continues after the last frame instead
  again.session.onConfig(VIDEO);
  again.session.onFrame(frameAt(0));
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active', 'disconnected', 'connected', 'active']);
  assert.deepEqual(out.seen, ['config:video', 'frame:90000', 'frame:180000', 'discontinuity', 'config:video', 'frame:183000']);
  assert.deepEqual(first.kicks, []);

  // the old window's timer was cancelled: nothing ends the session when it would have run out
  mock.timers.tick(60_000);
  await settle();
  assert.equal(store.events('s1').at(-1), 'active');
  assert.equal(sessions.isLive('s1'), true);
  assert.deepEqual(again.kicks, []);
});

test('the reconnect window running out ends the session: idle webhook and status, outputs told the end', async () => {
  store.add({ streamId: 's1', reconnectWindow: 5 });
  const out = watch(hub, 's1');
  const enc = await mustConnect('key-s1');
  enc.session.onFrame(frameAt(0));
  enc.session.end('socket closed');
  enc.session.end('socket closed'); // ingest calling end twice changes nothing
  mock.timers.tick(4_999);
  await settle();
  assert.equal(store.events('s1').at(-1), 'disconnected');
  assert.equal(sessions.isLive('s1'), true);
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active', 'disconnected', 'idle']);
  assert.equal(store.status('s1'), 'idle');
  assert.equal(sessions.isLive('s1'), false);
  assert.equal(hub.isLive('s1'), false);
  assert.equal(out.seen.at(-1), 'end');
  assert.deepEqual(enc.kicks, [], 'a gone publisher is not kicked');

  // the next publish is a new session: connected + preparing again, the timeline starts over
  const next = await mustConnect('key-s1');
  next.session.onFrame(frameAt(5000));
  await settle();
  assert.deepEqual(store.events('s1').slice(5), ['connected', 'preparing', 'active']);
  assert.equal(out.frames.at(-1)!.dts, 90_000);
});

test('timeScale shortens the reconnect window (60 s x 0.05 = 3 s)', async () => {
  await sessions.close();
  sessions = makeSessions({ timeScale: 0.05 });
  store.add({ streamId: 's1', reconnectWindow: 60 });
  const enc = await mustConnect('key-s1');
  enc.session.end('socket closed');
  mock.timers.tick(2_999);
  await settle();
  assert.equal(sessions.isLive('s1'), true);
  mock.timers.tick(1);
  await settle();
  assert.equal(sessions.isLive('s1'), false);
  assert.equal(store.events('s1').at(-1), 'idle');
});

test('maxDuration cuts the encoder and ends the session, reconnects included', async () => {
  store.add({ streamId: 's1', maxDuration: 30, reconnectWindow: 60 });
  const out = watch(hub, 's1');
  const first = await mustConnect('key-s1');
  first.session.onFrame(frameAt(0));
  mock.timers.tick(10_000);
  first.session.end('socket closed');
  mock.timers.tick(5_000);
  const second = await mustConnect('key-s1');
  second.session.onFrame(frameAt(0));
  mock.timers.tick(14_999);
  await settle();
  assert.deepEqual(second.kicks, [], 'the clock runs from the start of the session, not of the connection');
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(second.kicks, ['max-duration']);
  assert.equal(store.status('s1'), 'idle');
  assert.equal(sessions.isLive('s1'), false);
  // ingest reports the cut connection afterwards: no disconnected, and frames after the cut go nowhere
  second.session.onFrame(frameAt(40));
  second.session.end('kicked');
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active', 'disconnected', 'connected', 'active', 'idle']);
  assert.equal(out.seen.at(-1), 'end');
  mock.timers.tick(120_000);
  await settle();
  assert.equal(store.events('s1').length, 7, 'no timer of the ended session fires later');
});

test('finish ends the session now: the encoder is kicked, idle is written once, timers are cleared', async () => {
  store.add({ streamId: 's1', maxDuration: 60 });
  const out = watch(hub, 's1');
  const enc = await mustConnect('key-s1');
  enc.session.onFrame(frameAt(0));
  await sessions.finish('s1');
  assert.deepEqual(enc.kicks, ['finished']);
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active', 'idle']);
  assert.equal(store.status('s1'), 'idle');
  assert.equal(out.seen.at(-1), 'end');
  enc.session.end('kicked');
  mock.timers.tick(3_600_000);
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active', 'idle']);

  // finish with no session in memory settles a record left live (e.g. by another process)
  store.add({ streamId: 's2', status: 'active' });
  await sessions.finish('s2');
  assert.deepEqual(store.events('s2'), ['idle']);
  assert.equal(store.status('s2'), 'idle');
});

test('kick (disable) cuts the encoder without an idle write; the disabled stream is then refused', async () => {
  store.add({ streamId: 's1' });
  const out = watch(hub, 's1');
  const enc = await mustConnect('key-s1');
  enc.session.onFrame(frameAt(0));
  await settle();
  store.streams.get('s1')!.status = 'disabled'; // the API wrote the status before calling kick
  await sessions.kick('s1', 'disabled');
  assert.deepEqual(enc.kicks, ['disabled']);
  enc.session.end('kicked');
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active']);
  assert.equal(sessions.isLive('s1'), false);
  assert.equal(out.seen.at(-1), 'end');
  const back = await connect('key-s1');
  assert.equal(back.decision.ok ? 'accepted' : back.decision.reason, 'disabled');
  // kicking a stream with no session is a no-op
  await sessions.kick('s1', 'deleted');
  assert.deepEqual(enc.kicks, ['disabled']);
});

test('a second publisher is refused busy while the first delivers media; a silent one is replaced', async () => {
  store.add({ streamId: 's1' });
  const out = watch(hub, 's1');
  const a = await mustConnect('key-s1', '203.0.113.7:1');
  a.session.onConfig(VIDEO);
  a.session.onFrame(frameAt(0));
  mock.timers.tick(SILENT_PUBLISHER_MS - 1);
  const refused = await connect('key-s1', '203.0.113.8:2');
  assert.equal(refused.decision.ok ? 'accepted' : refused.decision.reason, 'busy');
  assert.ok(!refused.decision.ok && /another encoder/.test(refused.decision.message));

  // media keeps the first publisher in place
  a.session.onFrame(frameAt(SILENT_PUBLISHER_MS - 1));
  mock.timers.tick(SILENT_PUBLISHER_MS - 1);
  assert.equal((await connect('key-s1', '203.0.113.8:3')).ok, false);

  // silent for SILENT_PUBLISHER_MS: the newcomer takes over the same session
  mock.timers.tick(1);
  const b = await mustConnect('key-s1', '203.0.113.8:4');
  assert.deepEqual(a.kicks, ['replaced by a new publisher']);
  a.session.onFrame(frameAt(99_999)); // a late frame of the replaced publisher goes nowhere
  a.session.end('kicked');
  b.session.onConfig(VIDEO);
  b.session.onFrame(frameAt(0));
  await settle();
  assert.deepEqual(store.events('s1'), ['connected', 'preparing', 'active', 'connected']);
  assert.deepEqual(out.seen, ['config:video', 'frame:90000', `frame:${90_000 + (SILENT_PUBLISHER_MS - 1) * 90}`,
    'discontinuity', 'config:video', `frame:${90_000 + (SILENT_PUBLISHER_MS - 1) * 90 + 3000}`]);
  assert.equal(sessions.isLive('s1'), true);
  assert.deepEqual(b.kicks, []);
});

test('close ends every session (idle) and refuses new publishers', async () => {
  store.add({ streamId: 's1' });
  store.add({ streamId: 's2' });
  const a = await mustConnect('key-s1');
  const b = await mustConnect('key-s2');
  b.session.end('socket closed'); // held in its reconnect window
  await sessions.close();
  assert.deepEqual(a.kicks, ['server shutting down']);
  assert.equal(store.status('s1'), 'idle');
  assert.equal(store.status('s2'), 'idle');
  assert.equal(store.events('s2').at(-1), 'idle');
  const late = await connect('key-s1');
  assert.equal(late.decision.ok ? 'accepted' : late.decision.reason, 'shutting-down');
});
