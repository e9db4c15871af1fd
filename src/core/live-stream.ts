/**
 * One owner per live stream. A `LiveStream` holds everything a stream has at run time: its session
 * (lifecycle, timers), the fan-out of its frames to subscribers, and the outputs attached for the
 * session (packager per rendition, simulcast, recorder, ...). Outputs attach and detach through it;
 * when the session ends every output is told (`end`), and after a short linger (so players read the
 * final playlist with ENDLIST) everything is released (`close`) and the stream leaves the registry.
 * A deleted stream is released at once. An output that throws is detached and logged; the publisher
 * and the other outputs carry on.
 *
 * `StreamHub` is the registry of these owners (one map per process, the only one).
 */
import type { LiveHub, LiveSubscriber } from './contracts.js';
import type { MediaFrame, TrackConfig } from '../media/frame.js';

/** Something an owner releases: `end` when the session ends (optional), `close` when the stream is released. */
export interface OwnedOutput {
  /** the session is over (write the end of the playlist, stop pushing, ...) */
  end?(): void;
  /** release everything (buffers, timers, children); called exactly once */
  close(): void;
}

/** The read side of a rendition's packager, as playback needs it (LivePackager implements it). */
export interface RenditionReader {
  readonly isEnded: boolean;
}

export interface HubEvents {
  /** an output threw: it has been detached */
  outputFailed?(streamId: string, output: string, err: unknown): void;
  /** a stream's owner released everything and left the registry */
  released?(streamId: string): void;
}

interface Subscription {
  name: string;
  subscriber: LiveSubscriber;
  /** a video subscriber starts at a keyframe, so a decoder never sees a broken GOP */
  waitingForKey: boolean;
}

interface Owned {
  output: OwnedOutput;
  /** the subscription feeding it, when it is fed frames */
  sub?: Subscription;
}

export class LiveStream<S = unknown> {
  readonly configs = new Map<string, TrackConfig>();
  readonly subs = new Set<Subscription>();
  /** the current session (core/live-sessions), undefined between sessions */
  session: S | undefined;
  live = false;
  private readonly owned = new Map<string, Owned>();
  private readonly readers = new Map<string, RenditionReader>();
  private lingerTimer: NodeJS.Timeout | undefined;
  released = false;

  constructor(readonly streamId: string, private readonly hub: StreamHub) {}

  /** Subscribe a frame sink; the configs are replayed at once. Returns the detach function. */
  subscribe(subscriber: LiveSubscriber, name = 'subscriber'): () => void {
    const sub: Subscription = { name, subscriber, waitingForKey: this.configs.has('video') };
    this.subs.add(sub);
    for (const cfg of this.configs.values()) {
      if (!this.call(sub, () => subscriber.onConfig(cfg))) break;
    }
    return () => this.unsubscribe(sub);
  }

  private unsubscribe(sub: Subscription): void {
    if (!this.subs.delete(sub)) return;
    this.hub.maybeForget(this);
  }

  /**
   * Attach an output for the current session under `name` (replacing and closing an older one of that
   * name). With `subscriber`, the output is fed this stream's frames. With `reader`, playback finds it
   * by rendition name (`readerOf(name)`).
   */
  attach(name: string, output: OwnedOutput, subscriber?: LiveSubscriber, reader?: RenditionReader): void {
    this.detach(name);
    const entry: Owned = { output };
    this.owned.set(name, entry);
    if (reader) this.readers.set(name, reader);
    if (subscriber) {
      const sub: Subscription = { name, subscriber, waitingForKey: this.configs.has('video') };
      entry.sub = sub;
      this.subs.add(sub);
      for (const cfg of this.configs.values()) if (!this.call(sub, () => subscriber.onConfig(cfg))) break;
    }
  }

  /** Detach and close one output. */
  detach(name: string): void {
    const entry = this.owned.get(name);
    if (!entry) return;
    this.owned.delete(name);
    this.readers.delete(name);
    if (entry.sub) this.subs.delete(entry.sub);
    try {
      entry.output.close();
    } catch (err) {
      this.hub.events.outputFailed?.(this.streamId, name, err);
    }
  }

  output<T extends OwnedOutput>(name: string): T | undefined {
    return this.owned.get(name)?.output as T | undefined;
  }

  readerOf(name: string): RenditionReader | undefined {
    return this.readers.get(name);
  }

  get outputCount(): number {
    return this.owned.size;
  }

  get hasLinger(): boolean {
    return this.lingerTimer !== undefined;
  }

  config(cfg: TrackConfig): void {
    this.configs.set(cfg.track, cfg);
    for (const sub of this.subs) {
      if (cfg.track === 'video') sub.waitingForKey = true;
      this.call(sub, () => sub.subscriber.onConfig(cfg));
    }
  }

  frame(frame: MediaFrame): void {
    for (const sub of this.subs) {
      if (sub.waitingForKey) {
        // Outputs start on a video keyframe (audio before it is held back so A/V start together).
        if (frame.track !== 'video' || !frame.keyframe) continue;
        sub.waitingForKey = false;
      }
      try {
        sub.subscriber.onFrame(frame);
      } catch (err) {
        this.failed(sub, err);
      }
    }
  }

  discontinuity(): void {
    for (const sub of this.subs) this.call(sub, () => sub.subscriber.onDiscontinuity?.());
  }

  /** Start of a session: whatever an ended session left lingering is released first. */
  open(): void {
    this.releaseOutputs();
    this.live = true;
  }

  /**
   * The session is over: subscribers are told (`onEnd`), outputs get `end()`, configs are forgotten;
   * after `lingerMs` the outputs are closed and the stream leaves the registry (unless a new session
   * started meanwhile).
   */
  end(lingerMs: number): void {
    this.live = false;
    this.configs.clear();
    for (const sub of [...this.subs]) this.call(sub, () => sub.subscriber.onEnd?.());
    for (const [name, entry] of [...this.owned]) {
      try {
        entry.output.end?.();
      } catch (err) {
        this.hub.events.outputFailed?.(this.streamId, name, err);
      }
    }
    this.clearLinger();
    if (this.owned.size === 0 || lingerMs <= 0) {
      this.releaseOutputs();
      this.hub.maybeForget(this);
      return;
    }
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.releaseOutputs();
      this.hub.maybeForget(this);
    }, lingerMs);
    this.lingerTimer.unref();
  }

  /** Release everything now (stream deleted, process closing). Subscribers are told the end. */
  release(): void {
    if (this.live) {
      this.live = false;
      this.configs.clear();
      for (const sub of [...this.subs]) this.call(sub, () => sub.subscriber.onEnd?.());
    }
    this.releaseOutputs();
    this.session = undefined;
    this.hub.maybeForget(this, true);
  }

  private releaseOutputs(): void {
    this.clearLinger();
    for (const name of [...this.owned.keys()]) this.detach(name);
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  /** Runs a subscriber callback; a throw detaches that subscriber only. */
  private call(sub: Subscription, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      this.failed(sub, err);
      return false;
    }
  }

  private failed(sub: Subscription, err: unknown): void {
    this.hub.events.outputFailed?.(this.streamId, sub.name, err);
    for (const [name, entry] of this.owned) {
      if (entry.sub === sub) {
        this.detach(name);
        return;
      }
    }
    this.unsubscribe(sub);
  }

  /** Nothing left to own: no session, no subscriber, no output, no timer. */
  get idle(): boolean {
    return !this.live && this.session === undefined && this.subs.size === 0 && this.owned.size === 0 && !this.lingerTimer;
  }
}

/** The registry of live-stream owners (one per process) and the fan-out entry points core uses. */
export class StreamHub implements LiveHub {
  private readonly streams = new Map<string, LiveStream>();
  readonly events: HubEvents;

  constructor(events: HubEvents = {}) {
    this.events = events;
  }

  get(streamId: string): LiveStream | undefined {
    return this.streams.get(streamId);
  }

  /** The owner of a stream, created on first use. */
  stream(streamId: string): LiveStream {
    let s = this.streams.get(streamId);
    if (!s) {
      s = new LiveStream(streamId, this);
      this.streams.set(streamId, s);
    }
    return s;
  }

  all(): IterableIterator<LiveStream> {
    return this.streams.values();
  }

  /** Drop an owner that holds nothing (or, with `force`, that was released). */
  maybeForget(s: LiveStream, force = false): void {
    if (this.streams.get(s.streamId) !== s) return;
    if (!force && !s.idle) return;
    if (force && s.subs.size > 0) return; // subscribers waiting for a next session keep it
    this.streams.delete(s.streamId);
    s.released = true;
    this.events.released?.(s.streamId);
  }

  subscribe(streamId: string, subscriber: LiveSubscriber): () => void {
    return this.stream(streamId).subscribe(subscriber);
  }

  isLive(streamId: string): boolean {
    return this.streams.get(streamId)?.live ?? false;
  }

  /** Called by core when a session starts (first publisher of a session). */
  open(streamId: string): LiveStream {
    const s = this.stream(streamId);
    s.open();
    return s;
  }

  config(streamId: string, cfg: TrackConfig): void {
    this.streams.get(streamId)?.config(cfg);
  }

  frame(streamId: string, frame: MediaFrame): void {
    this.streams.get(streamId)?.frame(frame);
  }

  discontinuity(streamId: string): void {
    this.streams.get(streamId)?.discontinuity();
  }

  /** The session is over for good: outputs are told and released after `lingerMs`. */
  close(streamId: string, lingerMs = 0): void {
    this.streams.get(streamId)?.end(lingerMs);
  }

  /** Release a stream's owner at once (deleted stream). */
  release(streamId: string): void {
    this.streams.get(streamId)?.release();
  }

  /** Counts for operators and the leak tests. */
  stats(): { streams: number; live: number; subscribers: number; outputs: number; lingering: number } {
    let live = 0, subscribers = 0, outputs = 0, lingering = 0;
    for (const s of this.streams.values()) {
      if (s.live) live++;
      subscribers += s.subs.size;
      outputs += s.outputCount;
      if (s.hasLinger) lingering++;
    }
    return { streams: this.streams.size, live, subscribers, outputs, lingering };
  }

  /** Process shutdown: every owner releases what it holds. */
  releaseAll(): void {
    for (const s of [...this.streams.values()]) {
      s.release();
      // subscribers that outlive the process close themselves; forget the owner regardless
      this.streams.delete(s.streamId);
    }
  }
}
