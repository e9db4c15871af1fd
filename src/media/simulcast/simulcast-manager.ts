/**
 * Simulcast: while a stream is live, one RTMP(S) push per enabled target, each fed from the hub.
 * Targets are read from the store when the session starts and again whenever the API changes them
 * (created, isEnabled toggled, deleted). A failed push is retried with exponential backoff for as long
 * as the session lives; webhooks tell the story: starting -> broadcasting, errored, idle.
 */
import type { Logger } from 'pino';
import type { LiveHub, MediaStore, SimulcastEvent, SimulcastTarget } from '../../core/contracts.js';
import { RtmpPushClient, type PushStats, type RtmpPushClientOptions } from './rtmp-push-client.js';
import { simulcastConnections } from './simulcast-metrics.js';

export interface SimulcastManagerOptions {
  store: Pick<MediaStore, 'listSimulcastTargets' | 'recordSimulcastEvent'>;
  hub: LiveHub;
  logger: Logger;
  /** reconnect backoff: first delay, doubling up to the cap (ms; defaults 1 s and 30 s) */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** passed to every push client */
  client?: Pick<RtmpPushClientOptions, 'maxQueueBytes' | 'chunkSize' | 'connectTimeoutMs' | 'stallTimeoutMs' | 'tlsRejectUnauthorized'>;
}

export type TargetState = 'starting' | 'broadcasting' | 'retrying';

export interface TargetStatus {
  streamId: string;
  simulcastId: string;
  url: string;
  state: TargetState;
  /** connection attempts so far in this session */
  attempts: number;
  lastError?: string;
  stats: PushStats;
}

const EV = {
  starting: 'video.live_stream.simulcast_target.starting',
  broadcasting: 'video.live_stream.simulcast_target.broadcasting',
  errored: 'video.live_stream.simulcast_target.errored',
  idle: 'video.live_stream.simulcast_target.idle',
} as const satisfies Record<string, SimulcastEvent>;

/** A push that broadcast at least this long resets the backoff when it drops. */
const STABLE_MS = 10_000;

/** One live session's simulcast: its targets' runners, reloads and webhooks kept in order. */
class LiveSimulcast {
  readonly runners = new Map<string, TargetRunner>();
  ended = false;
  reloads: Promise<void> = Promise.resolve();
  events: Promise<void> = Promise.resolve();
  constructor(readonly streamId: string) {}
}

export class SimulcastManager {
  private readonly live = new Map<string, LiveSimulcast>();
  /** ended sessions whose last webhooks (idle) are still being written */
  private readonly draining = new Set<LiveSimulcast>();
  /** counters of pushes that have stopped (live ones are added at read time) */
  private readonly retired: PushStats = { framesSent: 0, framesDropped: 0, dropEvents: 0, bytesSent: 0 };
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly opts: SimulcastManagerOptions) {
    this.log = opts.logger;
  }

  /** A live session started: push to the stream's enabled targets. */
  sessionStarted(streamId: string): void {
    if (this.closed) return;
    this.sessionEnded(streamId); // (a session never starts twice without ending; be safe)
    const entry = new LiveSimulcast(streamId);
    this.live.set(streamId, entry);
    this.reload(entry);
  }

  /** The session ended: every push stops (webhook idle). */
  sessionEnded(streamId: string): void {
    const entry = this.live.get(streamId);
    if (!entry) return;
    this.live.delete(streamId);
    entry.ended = true;
    for (const r of entry.runners.values()) this.retire(r, true);
    entry.runners.clear();
    this.draining.add(entry);
    void entry.events.then(() => this.draining.delete(entry));
  }

  /** The API changed a target of this stream; resolves once the live pushes follow the store. */
  targetsChanged(streamId: string): Promise<void> {
    const entry = this.live.get(streamId);
    return entry ? this.reload(entry) : Promise.resolve();
  }

  /** Every push of every live stream (for operators and tests). */
  list(): TargetStatus[] {
    const out: TargetStatus[] = [];
    for (const entry of this.live.values()) for (const r of entry.runners.values()) out.push(r.status());
    return out;
  }

  /** Totals over every push of this process (for the metrics). */
  totals(): PushStats {
    const t = { ...this.retired };
    for (const s of this.list()) addStats(t, s.stats);
    return t;
  }

  private retire(runner: TargetRunner, idle: boolean): void {
    runner.stop(idle);
    addStats(this.retired, runner.status().stats);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const e of [...this.live.values()]) this.sessionEnded(e.streamId);
    // The store closes after the media plane: let the idle webhooks reach the outbox first.
    await Promise.all([...this.draining].map((e) => e.events));
  }

  private reload(entry: LiveSimulcast): Promise<void> {
    entry.reloads = entry.reloads
      .then(() => this.sync(entry))
      .catch((err) => this.log.error({ err, streamId: entry.streamId }, 'could not load simulcast targets'));
    return entry.reloads;
  }

  private async sync(entry: LiveSimulcast): Promise<void> {
    if (entry.ended) return;
    const targets = await this.opts.store.listSimulcastTargets(entry.streamId);
    if (entry.ended) return;
    const seen = new Set<string>();
    for (const t of targets) {
      seen.add(t.simulcastId);
      const runner = entry.runners.get(t.simulcastId);
      if (runner && (!t.isEnabled || runner.target.url !== t.url || runner.target.streamKey !== t.streamKey)) {
        this.retire(runner, true); // disabled (or re-pointed): idle
        entry.runners.delete(t.simulcastId);
      } else if (runner) {
        runner.target = t; // metadata changed: later webhooks carry it
        continue;
      }
      if (!t.isEnabled) continue;
      const next = new TargetRunner(t, entry, this.opts, this.log.child({ streamId: t.streamId, simulcastId: t.simulcastId }));
      entry.runners.set(t.simulcastId, next);
      next.start();
    }
    for (const [id, runner] of entry.runners) {
      if (seen.has(id)) continue;
      this.retire(runner, false); // deleted: the API already sent simulcast_target.deleted
      entry.runners.delete(id);
    }
  }
}

/** One target's push across reconnects, for one live session. */
class TargetRunner {
  private client: RtmpPushClient | undefined;
  private unsubscribe: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private attempts = 0;
  private stopped = false;
  private lastError: string | undefined;
  private state: TargetState = 'starting';
  /** the last webhook sent, so a target that keeps failing does not flood the outbox */
  private announced: 'none' | 'starting' | 'broadcasting' | 'errored' = 'none';
  private readonly totals: PushStats = { framesSent: 0, framesDropped: 0, dropEvents: 0, bytesSent: 0 };

  constructor(
    public target: SimulcastTarget,
    private readonly entry: LiveSimulcast,
    private readonly opts: SimulcastManagerOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.connect();
  }

  status(): TargetStatus {
    const s: TargetStatus = {
      streamId: this.target.streamId,
      simulcastId: this.target.simulcastId,
      url: this.target.url,
      state: this.state,
      attempts: this.attempts,
      stats: this.stats(),
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  private stats(): PushStats {
    const c = this.client?.stats;
    const t = this.totals;
    return c
      ? { framesSent: t.framesSent + c.framesSent, framesDropped: t.framesDropped + c.framesDropped, dropEvents: t.dropEvents + c.dropEvents, bytesSent: t.bytesSent + c.bytesSent }
      : { ...t };
  }

  /** Stops pushing; `idle` sends the idle webhook (session over, or target disabled). */
  stop(idle: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.client?.stop();
    this.release();
    if (idle && this.announced !== 'none') this.emit(EV.idle);
    this.log.info({ stats: this.totals }, 'simulcast target stopped');
  }

  private connect(): void {
    if (this.stopped) return;
    this.attempts++;
    this.state = this.attempts === 1 ? 'starting' : 'retrying';
    if (this.announced === 'none' || this.announced === 'broadcasting') {
      this.announced = 'starting';
      this.emit(EV.starting);
    }
    let client: RtmpPushClient;
    try {
      client = new RtmpPushClient({
        ...this.opts.client,
        url: this.target.url,
        streamKey: this.target.streamKey,
        logger: this.log,
        onPublishing: () => {
          if (this.client !== client) return;
          simulcastConnections.labels('broadcasting').inc();
          this.state = 'broadcasting';
          this.announced = 'broadcasting';
          this.lastError = undefined;
          this.emit(EV.broadcasting);
        },
        onClose: (reason) => {
          if (this.client === client) this.failed(reason);
        },
      });
    } catch (err) {
      // An unusable URL will not get better by retrying.
      this.lastError = (err as Error).message;
      this.log.warn({ url: this.target.url, err: this.lastError }, 'simulcast target URL refused');
      this.state = 'retrying';
      if (this.announced !== 'errored') {
        this.announced = 'errored';
        this.emit(EV.errored, this.lastError);
      }
      return;
    }
    this.client = client;
    // The hub replays the track configs now and starts the frames at a video keyframe.
    this.unsubscribe = this.opts.hub.subscribe(this.target.streamId, client);
    client.start();
  }

  private failed(reason: string): void {
    const client = this.client;
    if (!client || client.publishedAt === 0) simulcastConnections.labels('failed').inc();
    const stableFor = client && client.publishedAt > 0 ? Date.now() - client.publishedAt : 0;
    this.release();
    if (this.stopped) return;
    this.lastError = reason;
    this.state = 'retrying';
    if (this.announced === 'starting' || this.announced === 'broadcasting') {
      this.announced = 'errored';
      this.emit(EV.errored, reason);
    }
    if (stableFor >= STABLE_MS) this.failures = 0;
    const initial = this.opts.retryInitialMs ?? 1000;
    const cap = this.opts.retryMaxMs ?? 30_000;
    const base = Math.min(cap, initial * 2 ** Math.min(this.failures, 20));
    const delay = Math.round(base * (0.8 + 0.4 * Math.random())); // jitter: targets behind one host do not retry in step
    this.failures++;
    this.log.warn({ url: this.target.url, reason, retryInMs: delay }, 'simulcast push failed: retrying');
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.retryTimer.unref();
  }

  /** Detaches the current client from the hub and folds its counters into the totals. */
  private release(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const c = this.client;
    this.client = undefined;
    if (c) {
      this.totals.framesSent += c.stats.framesSent;
      this.totals.framesDropped += c.stats.framesDropped;
      this.totals.dropEvents += c.stats.dropEvents;
      this.totals.bytesSent += c.stats.bytesSent;
    }
  }

  private emit(event: SimulcastEvent, errorMessage?: string): void {
    const target = this.target;
    const entry = this.entry;
    entry.events = entry.events
      .then(() => this.opts.store.recordSimulcastEvent(target, event, errorMessage))
      .catch((err) => this.log.error({ err, event }, 'could not record a simulcast event'));
  }
}

function addStats(into: PushStats, s: PushStats): void {
  into.framesSent += s.framesSent;
  into.framesDropped += s.framesDropped;
  into.dropEvents += s.dropEvents;
  into.bytesSent += s.bytesSent;
}
