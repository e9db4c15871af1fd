/**
 * The live lifecycle: who may publish, the idle -> preparing -> active state machine, the reconnect
 * window, maxDuration, silent-publisher replacement and timestamp continuity. The database is asked
 * once per publish; frames never touch it.
 */
import type { Logger } from 'pino';
import type {
  LifecycleEvent,
  MediaStore,
  PublishDecision,
  PublishGateway,
  PublishRequest,
  PublishSession,
  StreamRecord,
  StreamStatus,
} from './contracts.js';
import type { MediaFrame, TrackConfig } from '../media/frame.js';
import type { LiveStream, StreamHub } from './live-stream.js';
import { TimestampRebaser } from './timestamp-rebaser.js';

/** A publisher with no media for this long counts as gone: a newcomer replaces it instead of being refused. */
export const SILENT_PUBLISHER_MS = 4000;

export interface LiveSessionsOptions {
  store: MediaStore;
  hub: StreamHub;
  logger: Logger;
  /** A publisher with no media for this long is replaced by a newcomer instead of refusing it. */
  silentPublisherMs?: number;
  /** Multiplies reconnectWindow and maxDuration (tests shorten them; 1 in production). */
  timeScale?: number;
  /** An ended session's outputs stay readable this long (players see EXT-X-ENDLIST), then are released. */
  endedLingerMs?: number;
  /** A session started: attach its outputs to the stream's owner. */
  onSessionStart?: (streamId: string, owner: LiveStream) => void;
  onSessionEnd?: (streamId: string) => void;
  /** The stream has (true) or no longer has (false) a delivering publisher (SRT answers busy in its handshake). */
  onPublisher?: (streamId: string, publishing: boolean, protocol: string) => void;
  /**
   * Cluster (src/cluster/): asked before a session starts on this node. Refuses when another node's publisher
   * delivers; `resume` says the session continues one another node held (media, sequence numbers, timeline).
   */
  claim?: (streamId: string, record: StreamRecord) => Promise<{ ok: true; resume?: SessionResume } | { ok: false; reason: 'busy'; message: string }>;
  /** The session's state changed (the cluster writes it to the session's row). */
  onStateChange?: (streamId: string, state: SessionState) => void;
}

/** Where a session taken over from another node continues (see cluster/cluster-node.ts). */
export interface SessionResume {
  mediaId?: string;
  nextMsn?: number;
  timelineDts?: number;
  programDateTimeMs?: number;
  discontinuities: number;
}

interface Publisher {
  id: number;
  protocol: string;
  remote: string;
  kick: (reason: string) => void;
  connectedAt: number;
  lastMediaAt: number;
  ended: boolean;
}

export type SessionState = 'preparing' | 'active' | 'disconnected';

/** One live session of one stream: from the first connect until it goes idle. Owned by the stream's LiveStream. */
export class LiveSession {
  state: SessionState = 'preparing';
  publisher: Publisher | undefined;
  readonly rebaser = new TimestampRebaser();
  reconnectTimer: NodeJS.Timeout | undefined;
  maxDurationTimer: NodeJS.Timeout | undefined;
  /** lifecycle writes of one stream happen in order */
  writes: Promise<unknown> = Promise.resolve();
  framesIn = 0;
  /** media payload bytes and video frames received (observability: ingest bitrate and frame rate) */
  bytesIn = 0;
  videoFramesIn = 0;
  private rateAt = Date.now();
  private rateBytes = 0;
  private rateFrames = 0;
  private bitrate: number | undefined;
  private fps: number | undefined;
  readonly startedAt = Date.now();
  /** set when the session continues one another node held */
  resume: SessionResume | undefined;
  constructor(readonly record: StreamRecord) {}

  /** Ingest bitrate (bits/s of media payload) and video frame rate, averaged over at least the last 2 s (sampled lazily). */
  rates(now: number): { bitrateBps: number | undefined; fps: number | undefined } {
    const dt = now - this.rateAt;
    if (dt >= 2000) {
      this.bitrate = Math.round(((this.bytesIn - this.rateBytes) * 8000) / dt);
      this.fps = Math.round(((this.videoFramesIn - this.rateFrames) * 10_000) / dt) / 10;
      this.rateAt = now;
      this.rateBytes = this.bytesIn;
      this.rateFrames = this.videoFramesIn;
    }
    return { bitrateBps: this.bitrate, fps: this.fps };
  }
}

export class LiveSessions implements PublishGateway {
  private readonly store: MediaStore;
  private readonly hub: StreamHub;
  private readonly log: Logger;
  private readonly silentMs: number;
  private readonly timeScale: number;
  private readonly lingerMs: number;
  private nextPublisherId = 1;
  private closing = false;

  constructor(private readonly opts: LiveSessionsOptions) {
    this.store = opts.store;
    this.hub = opts.hub;
    this.log = opts.logger;
    this.silentMs = opts.silentPublisherMs ?? SILENT_PUBLISHER_MS;
    this.timeScale = opts.timeScale ?? 1;
    this.lingerMs = opts.endedLingerMs ?? 30_000;
  }

  /** The stream's session: it lives on the stream's owner, nowhere else. */
  private sessionOf(streamId: string): LiveSession | undefined {
    return this.hub.get(streamId)?.session as LiveSession | undefined;
  }

  private allSessions(): LiveSession[] {
    const out: LiveSession[] = [];
    for (const s of this.hub.all()) if (s.session) out.push(s.session as LiveSession);
    return out;
  }

  /** Live sessions by stream id (for operators and metrics). */
  list(): { streamId: string; state: SessionState; protocol?: string; remote?: string; startedAt: number; frames: number; lastMediaAt?: number; bytes: number; videoFrames: number; bitrateBps?: number; fps?: number }[] {
    const now = Date.now();
    return this.allSessions().map((s) => ({
      ...s.rates(now),
      bytes: s.bytesIn,
      videoFrames: s.videoFramesIn,
      lastMediaAt: s.publisher?.lastMediaAt,
      streamId: s.record.streamId,
      state: s.state,
      protocol: s.publisher?.protocol,
      remote: s.publisher?.remote,
      startedAt: s.startedAt,
      frames: s.framesIn,
    }));
  }

  isLive(streamId: string): boolean {
    return this.sessionOf(streamId) !== undefined;
  }

  async publish(req: PublishRequest, kick: (reason: string) => void): Promise<PublishDecision> {
    if (this.closing) return { ok: false, reason: 'shutting-down', message: 'server is shutting down' };
    const record = req.byStreamId ? await this.store.findStreamById(req.key) : await this.store.findStreamByKey(req.key);
    if (!record) {
      this.log.info({ protocol: req.protocol, remote: req.remote }, 'publish refused: unknown stream key');
      return { ok: false, reason: 'unknown-key', message: 'unknown stream key: create a stream and use its streamKey' };
    }
    if (record.status === 'disabled') {
      this.log.info({ streamId: record.streamId, remote: req.remote }, 'publish refused: stream disabled');
      return { ok: false, reason: 'disabled', message: 'stream is disabled: enable it with PUT /v1/live/streams/{id}/live-enable' };
    }
    const streamId = record.streamId;
    let session = this.sessionOf(streamId);
    const now = Date.now();
    if (session?.publisher && !session.publisher.ended) {
      const silentFor = now - session.publisher.lastMediaAt;
      if (silentFor < this.silentMs) {
        this.log.info({ streamId, remote: req.remote, current: session.publisher.remote }, 'publish refused: stream busy');
        return { ok: false, reason: 'busy', message: 'another encoder is publishing to this stream' };
      }
      // A half-open or stalled publisher: let the newcomer (usually the same encoder reconnecting) in.
      this.log.warn({ streamId, silentFor, old: session.publisher.remote, remote: req.remote }, 'replacing a silent publisher');
      const old = session.publisher;
      old.ended = true;
      old.kick('replaced by a new publisher');
    }

    const publisher: Publisher = {
      id: this.nextPublisherId++,
      protocol: req.protocol,
      remote: req.remote,
      kick,
      connectedAt: now,
      lastMediaAt: now,
      ended: false,
    };

    let resume: SessionResume | undefined;
    if (!session && this.opts.claim) {
      const claimed = await this.opts.claim(streamId, record);
      if (!claimed.ok) {
        this.log.info({ streamId, remote: req.remote }, 'publish refused: another node holds the stream');
        return claimed;
      }
      resume = claimed.resume;
      session = this.sessionOf(streamId); // (a publish that raced this one may have started it meanwhile)
    }
    if (!session && resume) {
      // The session another node held continues here: same media, sequence numbers and timeline onwards.
      session = new LiveSession(record);
      session.resume = resume;
      if (resume.timelineDts !== undefined) session.rebaser.continueFrom(resume.timelineDts);
      const owner = this.hub.open(streamId);
      owner.session = session;
      this.opts.onSessionStart?.(streamId, owner);
      this.lifecycle(session, undefined, 'video.live_stream.connected');
      this.log.info({ streamId, protocol: req.protocol, remote: req.remote, resume }, 'session taken over from another node: it continues');
    } else if (!session) {
      session = new LiveSession(record);
      const owner = this.hub.open(streamId);
      owner.session = session;
      this.opts.onSessionStart?.(streamId, owner);
      this.lifecycle(session, 'preparing', 'video.live_stream.connected');
      this.lifecycle(session, undefined, 'video.live_stream.preparing');
      if (record.maxDuration > 0) {
        session.maxDurationTimer = setTimeout(() => {
          this.log.info({ streamId, maxDuration: record.maxDuration }, 'maxDuration reached: ending the session');
          this.endSession(session!, 'max-duration', 'idle');
        }, record.maxDuration * 1000 * this.timeScale);
        session.maxDurationTimer.unref();
      }
      this.log.info({ streamId, protocol: req.protocol, remote: req.remote }, 'session started');
    } else {
      // Inside the reconnect window (or replacing a silent publisher): the same session continues.
      if (session.reconnectTimer) clearTimeout(session.reconnectTimer);
      session.reconnectTimer = undefined;
      session.rebaser.reconnect();
      this.hub.discontinuity(streamId);
      if (session.state === 'disconnected') {
        session.state = 'preparing';
        this.opts.onStateChange?.(streamId, 'preparing');
      }
      this.lifecycle(session, undefined, 'video.live_stream.connected');
      this.log.info({ streamId, protocol: req.protocol, remote: req.remote }, 'publisher reconnected: session continues');
    }
    session.publisher = publisher;
    this.opts.onPublisher?.(streamId, true, req.protocol);
    return { ok: true, session: this.sessionHandle(session, publisher) };
  }

  private sessionHandle(session: LiveSession, publisher: Publisher): PublishSession {
    const streamId = session.record.streamId;
    const hub = this.hub;
    return {
      streamId,
      onConfig: (config: TrackConfig) => {
        if (publisher.ended) return;
        hub.config(streamId, config);
      },
      onFrame: (frame: MediaFrame) => {
        if (publisher.ended) return;
        publisher.lastMediaAt = Date.now();
        session.framesIn++;
        session.bytesIn += frame.data.length;
        if (frame.track === 'video') session.videoFramesIn++;
        if (session.rebaser.apply(frame)) hub.discontinuity(streamId);
        if (session.state !== 'active') {
          session.state = 'active';
          this.opts.onStateChange?.(streamId, 'active');
          this.lifecycle(session, 'active', 'video.live_stream.active');
        }
        hub.frame(streamId, frame);
      },
      end: (reason: string) => this.publisherEnded(session, publisher, reason),
    };
  }

  private publisherEnded(session: LiveSession, publisher: Publisher, reason: string): void {
    // A publisher that core itself cut (replaced, finished, disabled) has been dealt with already.
    if (publisher.ended) return;
    const wasCurrent = session.publisher === publisher;
    publisher.ended = true;
    if (!wasCurrent || this.sessionOf(session.record.streamId) !== session) return;
    session.publisher = undefined;
    this.opts.onPublisher?.(session.record.streamId, false, publisher.protocol);
    if (session.state === 'disconnected') return;
    session.state = 'disconnected';
    const streamId = session.record.streamId;
    this.opts.onStateChange?.(streamId, 'disconnected');
    const windowMs = session.record.reconnectWindow * 1000 * this.timeScale;
    this.log.info({ streamId, reason, reconnectWindow: session.record.reconnectWindow }, 'publisher disconnected: holding the session');
    this.lifecycle(session, undefined, 'video.live_stream.disconnected');
    session.reconnectTimer = setTimeout(() => {
      this.log.info({ streamId }, 'reconnect window expired');
      this.endSession(session, 'reconnect-window-expired', 'idle');
    }, windowMs);
    session.reconnectTimer.unref();
  }

  /** Ends a session: the publisher is cut, outputs are told, and the stream gets `finalStatus`. */
  private endSession(session: LiveSession, reason: string, finalStatus: StreamStatus | undefined): Promise<unknown> {
    const streamId = session.record.streamId;
    const owner = this.hub.get(streamId);
    if (!owner || owner.session !== session) return session.writes;
    owner.session = undefined;
    if (session.reconnectTimer) clearTimeout(session.reconnectTimer);
    if (session.maxDurationTimer) clearTimeout(session.maxDurationTimer);
    const p = session.publisher;
    session.publisher = undefined;
    if (p && !p.ended) {
      p.ended = true;
      p.kick(reason);
    }
    if (p) this.opts.onPublisher?.(streamId, false, p.protocol);
    if (reason === 'deleted') owner.release();
    else owner.end(this.lingerMs);
    this.opts.onSessionEnd?.(streamId);
    this.log.info({ streamId, reason }, 'session ended');
    if (finalStatus === 'idle') this.lifecycle(session, 'idle', 'video.live_stream.idle');
    return session.writes;
  }

  private lifecycle(session: LiveSession, status: StreamStatus | undefined, event: LifecycleEvent): void {
    const streamId = session.record.streamId;
    session.writes = session.writes
      .then(() => this.store.recordLifecycle(streamId, status, event))
      .catch((err) => this.log.error({ err, streamId, event }, 'could not record a lifecycle change'));
  }

  /** PUT .../finish: the session ends now and the stream goes idle. */
  async finish(streamId: string): Promise<void> {
    const session = this.sessionOf(streamId);
    if (session) {
      await this.endSession(session, 'finished', 'idle');
      return;
    }
    // No session in memory but the record says live (e.g. left over): settle it.
    await this.store.recordLifecycle(streamId, 'idle', 'video.live_stream.idle');
  }

  /** Disable / delete: the encoder is cut; the status was already written by the API. */
  async kick(streamId: string, reason: 'disabled' | 'deleted'): Promise<void> {
    const session = this.sessionOf(streamId);
    if (session) await this.endSession(session, reason, undefined);
    // a deleted stream's owner goes at once, with whatever lingered from an earlier session
    if (reason === 'deleted') this.hub.release(streamId);
  }

  /**
   * Cluster: another node took the session over (the encoder came back there) or holds its lease now (a split
   * healed): it ends here without webhooks; the publisher, if any, is cut. Returns the ended session.
   */
  release(streamId: string, reason: string): LiveSession | undefined {
    const session = this.sessionOf(streamId);
    if (!session) return undefined;
    void this.endSession(session, reason, undefined);
    return session;
  }

  /** The stream's live session on this node, if any. */
  session(streamId: string): LiveSession | undefined {
    return this.sessionOf(streamId);
  }

  /** Graceful shutdown: every session ends and its stream goes idle. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.allSessions().map((s) => this.endSession(s, 'server shutting down', 'idle')));
  }
}
