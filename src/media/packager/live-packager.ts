/** One stream's LL-HLS packager: frames in, CMAF init/parts/segments and media playlists out, all in memory. */
import { EventEmitter } from 'node:events';
import type { FrameSink, MediaFrame, TrackConfig, TrackKind } from '../frame.js';
import { buildFragment, buildInitSegment, type FragmentTrack } from '../../protocols/fmp4/index.js';
import { writeMediaPlaylist, type MediaPlaylist } from '../../protocols/hls/index.js';
import { AvailabilityWaiters } from './availability-waiters.js';
import type { GopInfo, LivePart, LiveSegment, VariantInfo } from './live-segment.js';
import { forcedSegmentCuts, longGopSessions, packagerGopSeconds, packagerTargetDuration, segmentsProduced } from './packager-metrics.js';
import { buildMediaPlaylist } from './packager-playlist.js';
import { releaseSlab, retainSlab, SlabCursor, type Slab } from '../../protocols/slab-pool.js';
import {
  resolvePackagerOptions, type ClosedSegment, type LivePackagerOptions, type ResolvedPackagerOptions,
} from './packager-options.js';
import { sameTrackConfig } from './same-track-config.js';
import { maxSegmentTicks, targetForGop } from './target-duration.js';
import { releaseSamples, TrackQueue, type QueuedSample } from './track-queue.js';

/** A part may run this far (90 kHz) past the part target because of timestamp jitter. */
const PART_TOLERANCE = 90;
/**
 * The live window and the retained segments are also bounded in time (this many segment targets per
 * counted segment), so one-GOP segments of a long-GOP stream do not multiply the memory per stream.
 */
const WINDOW_TIME_FACTOR = 1.5;

interface InitSegment {
  id: number;
  data: Buffer;
  configs: TrackConfig[];
}

/**
 * Events: 'part' (LivePart), 'segment' (LiveSegment), 'end'. Readers (the playback listener) use
 * the getters and waitFor(); nothing here touches disk, network or the database.
 */
export class LivePackager extends EventEmitter implements FrameSink {
  readonly options: ResolvedPackagerOptions;
  private readonly configs = new Map<TrackKind, TrackConfig>();
  private queues: TrackQueue[] = [];
  private driver: TrackQueue | undefined;
  private init: InitSegment | undefined;
  private readonly inits = new Map<number, Buffer>();
  private nextInitId: number;
  /** waiting for a (new) start: build the init if needed, then wait for a keyframe */
  private needsRestart = true;
  private discontinuityNext = false;
  private partsSinceRestart = 0;
  /** first dts of the current run: other tracks' samples before it are dropped */
  private runStartDts = Number.NaN;
  private anchor = { wall: 0, dts: 0 };
  /** complete segments still fetchable, oldest first; the playlist lists those from `listedFrom` */
  private segments: LiveSegment[] = [];
  private listedFrom = 0;
  private open: LiveSegment | undefined;
  private partStart = 0;
  private nextMsn: number;
  private fragmentSeq = 1;
  private discontinuitySequence = 0;
  private ended = false;
  /** rebased dts of the driving video track's last keyframe in this run */
  private lastKeyDts = Number.NaN;
  private firstGop: number | undefined;
  private longestGop = 0;
  private forcedCuts = 0;
  private longGop = false;
  private reportedSession = false;
  private readonly hooks: Pick<LivePackagerOptions, 'logger' | 'onSegment' | 'onInit'>;
  private readonly waiters = new AvailabilityWaiters();
  /** queued frames' payloads and closed parts live in recycled slabs (slab-pool.ts) */
  private readonly staging = new SlabCursor();
  private readonly partSlabs = new SlabCursor();
  private disposed = false;
  private version = 0;
  private cache: { version: number; suffix: string; text: string } | undefined;

  constructor(options?: LivePackagerOptions) {
    super();
    this.options = resolvePackagerOptions(options);
    this.hooks = { logger: options?.logger, onSegment: options?.onSegment, onInit: options?.onInit };
    this.nextMsn = this.options.firstMsn;
    this.nextInitId = this.options.firstMsn;
    if (options?.continuesAfter) {
      this.discontinuityNext = true;
      this.discontinuitySequence = Math.max(0, options.continuesAfter.discontinuities - 1);
    }
  }

  // ---- FrameSink ----

  onConfig(config: TrackConfig): void {
    const prev = this.configs.get(config.track);
    if (prev && sameTrackConfig(prev, config)) return; // encoders resend unchanged sequence headers
    this.configs.set(config.track, config);
    if (this.ended || !this.init) return;
    if (this.partsSinceRestart === 0) {
      // Nothing published with the current init yet (e.g. the audio config arrived just after
      // the first video frames): start over quietly.
      this.dropQueued();
      if (this.open) this.nextMsn = this.open.msn;
      this.open = undefined;
      this.needsRestart = true;
      return;
    }
    // A new init segment: "EXT-X-MAP ... applies to every Media Segment that appears after it";
    // a codec change also needs EXT-X-DISCONTINUITY (decoders reset).
    this.flush();
    this.needsRestart = true;
    this.discontinuityNext = true;
  }

  onFrame(frame: MediaFrame): void {
    if (this.ended) return;
    if (this.needsRestart && !this.restart(frame)) return;
    const q = this.queueFor(frame.track);
    if (!q) return;
    const dts = q.rebase(frame);
    if (q === this.driver) {
      if (q.kind === 'video' && frame.keyframe) this.measureGop(dts);
      if (!this.open) this.openSegment(dts);
      else this.maybeCut(q, dts, frame.keyframe);
      if (q.kind === 'video') this.open!.videoFrames++;
    } else if (!(dts >= this.runStartDts)) {
      return; // before the run's first keyframe: no decoder could use it
    }
    q.push(frame, dts, this.staging);
  }

  /** The encoder reconnected: the next segment starts with EXT-X-DISCONTINUITY (and a keyframe). */
  discontinuity(): void {
    if (this.ended) return;
    this.flush();
    if (this.segments.length > 0 || this.partsSinceRestart > 0) this.discontinuityNext = true;
    this.needsRestart = true;
  }

  /** The stream stopped: publish what is queued, write EXT-X-ENDLIST, release every waiter. */
  end(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.dropQueued();
    this.staging.close();
    this.partSlabs.close();
    this.version++;
    this.waiters.releaseAll();
    this.emit('end');
  }

  /**
   * The owner lets go of the packager (the stream's outputs are released): end it, empty the window and hand its
   * memory back for reuse. Readers that still hold parts retained them; later lookups find nothing.
   */
  dispose(): void {
    this.end();
    if (this.disposed) return;
    this.disposed = true;
    for (const seg of this.segments) for (const p of seg.parts) p.release();
    if (this.open) for (const p of this.open.parts) p.release();
    this.segments = [];
    this.open = undefined;
    this.listedFrom = 0;
    this.version++;
  }

  // ---- readers ----

  get isEnded(): boolean {
    return this.ended;
  }

  /** At least one part exists. */
  get hasMedia(): boolean {
    return this.segments.length > 0 || (this.open?.parts.length ?? 0) > 0;
  }

  /** At least one complete segment exists (what a player needs to start). */
  get hasSegment(): boolean {
    return this.segments.length > 0;
  }

  get waiterCount(): number {
    return this.waiters.size;
  }

  get currentInitId(): number | undefined {
    return this.init?.id;
  }

  /**
   * Wall clock (ms) and rebased dts of the current run's first frame: EXT-X-PROGRAM-DATE-TIME is
   * wall + (dts - anchor dts) / 90. The ladder's renditions reuse it so the same segment has the same date.
   */
  get clockAnchor(): { readonly wall: number; readonly dts: number } {
    return this.anchor;
  }

  /** EXT-X-TARGETDURATION, seconds: final once `gopInfo.targetFixed` (after the first segment when measured). */
  get targetDurationS(): number {
    return this.options.targetDurationS;
  }

  /**
   * Every segment so far starts with a keyframe (so the multivariant playlist may say
   * EXT-X-INDEPENDENT-SEGMENTS); false after a GOP longer than the target allows forced a cut.
   */
  get independentSegments(): boolean {
    return this.forcedCuts === 0;
  }

  /** The measured GOP and the target duration it led to (for logs and diagnostics). */
  get gopInfo(): GopInfo {
    const s = (ticks: number | undefined): number | undefined => (ticks === undefined ? undefined : ticks / 90_000);
    return {
      firstGopS: s(this.firstGop),
      longestGopS: s(this.longestGop > 0 ? this.longestGop : undefined),
      targetDurationS: this.options.targetDurationS,
      targetFixed: this.options.targetFixed,
      longGop: this.longGop,
      forcedCuts: this.forcedCuts,
    };
  }

  getInit(id: number): Buffer | undefined {
    return this.inits.get(id);
  }

  getPart(msn: number, index: number): LivePart | undefined {
    return this.findSegment(msn)?.parts[index];
  }

  /**
   * A complete segment's bytes: its parts' data (each a moof+mdat), in order. Valid until the segment leaves the
   * window: a reader that uses them after an await takes getSegmentParts() and retains the parts.
   */
  getSegment(msn: number): Buffer[] | undefined {
    const s = this.findSegment(msn);
    return s?.complete ? s.parts.map((p) => p.data) : undefined;
  }

  /** A complete segment's parts (see LivePart.retain). */
  getSegmentParts(msn: number): readonly LivePart[] | undefined {
    const s = this.findSegment(msn);
    return s?.complete ? s.parts : undefined;
  }

  /** The msn of the newest segment that appears in the playlist (open or complete). */
  get lastMsn(): number {
    if (this.open && this.open.parts.length > 0) return this.open.msn;
    return this.segments[this.segments.length - 1]?.msn ?? this.nextMsn - 1;
  }

  /**
   * Blocking-reload condition. With a part: "a Playlist contains Partial Segment N of Media Segment
   * M or later"; without: "a Playlist contains a Media Segment with Media Sequence Number of M or later".
   */
  isAvailable(msn: number, part?: number): boolean {
    if (part === undefined) {
      const last = this.segments[this.segments.length - 1];
      return last !== undefined && last.msn >= msn;
    }
    let lm: number;
    let lp: number;
    if (this.open && this.open.parts.length > 0) {
      lm = this.open.msn;
      lp = this.open.parts.length - 1;
    } else {
      const last = this.segments[this.segments.length - 1];
      if (!last) return false;
      lm = last.msn;
      lp = last.parts.length - 1;
    }
    return lm > msn || (lm === msn && lp >= part);
  }

  /** Resolves true once isAvailable(msn, part) holds, false after timeoutMs or when the stream ends first. */
  waitFor(msn: number, part: number | undefined, timeoutMs: number): Promise<boolean> {
    if (this.ended) return Promise.resolve(this.isAvailable(msn, part));
    return this.waiters.wait(() => this.isAvailable(msn, part), timeoutMs);
  }

  /** The media playlist as a model (DVR playlists extend it with the session's older segments). */
  playlistModel(uriSuffix = ''): MediaPlaylist {
    return buildMediaPlaylist({
      listed: this.segments.slice(this.listedFrom),
      open: this.open,
      nextMsn: this.nextMsn,
      discontinuitySequence: this.discontinuitySequence,
      ended: this.ended,
    }, this.options, uriSuffix);
  }

  /** The media playlist; `uriSuffix` (e.g. "?token=...") is appended to every URI in it. */
  mediaPlaylist(uriSuffix = ''): string {
    const c = this.cache;
    if (c && c.version === this.version && c.suffix === uriSuffix) return c.text;
    const text = writeMediaPlaylist(buildMediaPlaylist({
      listed: this.segments.slice(this.listedFrom),
      open: this.open,
      nextMsn: this.nextMsn,
      discontinuitySequence: this.discontinuitySequence,
      ended: this.ended,
    }, this.options, uriSuffix));
    this.cache = { version: this.version, suffix: uriSuffix, text };
    return text;
  }

  /** Codecs, resolution, frame rate and measured bandwidth, for the multivariant playlist. */
  variantInfo(): VariantInfo | undefined {
    if (!this.init) return undefined;
    const video = this.init.configs.find((c) => c.track === 'video');
    let peak = 0;
    let bytes = 0;
    let ticks = 0;
    let frameRate: number | undefined;
    const measured = this.segments.slice(this.listedFrom);
    if (this.open && this.open.ticks > 0 && measured.length === 0) measured.push(this.open);
    for (const s of measured) {
      if (s.ticks <= 0) continue;
      peak = Math.max(peak, (s.bytes * 8 * 90_000) / s.ticks);
      bytes += s.bytes;
      ticks += s.ticks;
      if (video && s.videoFrames > 1) frameRate = (s.videoFrames * 90_000) / s.ticks;
    }
    const average = ticks > 0 ? (bytes * 8 * 90_000) / ticks : 0;
    const info: VariantInfo = {
      codecs: this.init.configs.map((c) => c.codecString),
      bandwidth: peak > 0 ? peak : 1_000_000,
      averageBandwidth: average > 0 ? average : 1_000_000,
      independentSegments: this.independentSegments,
    };
    if (video?.track === 'video') info.resolution = { width: video.width, height: video.height };
    if (frameRate !== undefined) info.frameRate = frameRate;
    return info;
  }

  // ---- segmenting ----

  /** Start (or start over): build the init segment if the configs changed, then wait for a keyframe. */
  private restart(frame: MediaFrame): boolean {
    const configs = (['video', 'audio'] as const)
      .map((k) => this.configs.get(k))
      .filter((c): c is TrackConfig => c !== undefined);
    if (configs.length === 0) return false;
    // Video leads: a segment (and a decoder) can only start at a keyframe. Audio-only: any frame.
    const drivingKind = configs[0]!.track;
    if (frame.track !== drivingKind || (drivingKind === 'video' && !frame.keyframe)) return false;
    if (!this.init || !sameConfigList(this.init.configs, configs)) {
      const id = this.nextInitId++;
      this.init = { id, data: buildInitSegment(configs), configs };
      this.inits.set(id, this.init.data);
      this.callHook('onInit', () => this.hooks.onInit?.(id, this.init!.data));
      const old = this.queues;
      for (const q of old) releaseSamples(q.take());
      this.queues = configs.map((c, i) => new TrackQueue(i + 1, c));
      for (const q of this.queues) {
        const prev = old.find((p) => p.kind === q.kind);
        if (prev) q.inheritTimeline(prev);
      }
      this.driver = this.queues[0];
    }
    this.dropQueued();
    this.needsRestart = false;
    this.partsSinceRestart = 0;
    this.runStartDts = Number.NaN;
    this.lastKeyDts = Number.NaN;
    return true;
  }

  private queueFor(kind: TrackKind): TrackQueue | undefined {
    for (const q of this.queues) if (q.kind === kind) return q;
    return undefined;
  }

  private dropQueued(): void {
    for (const q of this.queues) releaseSamples(q.take());
  }

  private openSegment(dts: number): void {
    if (Number.isNaN(this.runStartDts)) {
      this.runStartDts = dts;
      this.anchor = { wall: this.options.now(), dts };
    }
    this.open = {
      msn: this.nextMsn++,
      initId: this.init!.id,
      startDts: dts,
      ticks: 0,
      programDateTime: Math.round(this.anchor.wall + (dts - this.anchor.dts) / 90),
      discontinuity: this.discontinuityNext,
      parts: [],
      bytes: 0,
      videoFrames: 0,
      complete: false,
    };
    this.discontinuityNext = false;
    this.partStart = dts;
    this.version++;
    this.waiters.notify();
  }

  /** Called for each driving-track frame before it is queued: close the part/segment it ends. */
  private maybeCut(q: TrackQueue, dts: number, keyframe: boolean): void {
    const o = this.options;
    const seg = this.open!;
    const est = q.expectedDuration;
    const segElapsed = dts - seg.startDts;
    const partElapsed = dts - this.partStart;
    if (partElapsed <= 0) return;
    let cutSegment: boolean;
    let forced = false;
    if (q.kind === 'video') {
      // First keyframe at (about) the segment target. The target duration is chosen from the first
      // GOP (target-duration.ts); only a later GOP longer than it allows is cut without a keyframe,
      // so EXTINF never rounds above EXT-X-TARGETDURATION.
      cutSegment = (keyframe && segElapsed + est / 2 >= o.segmentTarget) || segElapsed + est > o.maxSegment;
      forced = cutSegment && !keyframe;
    } else {
      cutSegment = segElapsed + est / 2 >= o.segmentTarget;
    }
    // Cut before the part would outgrow PART-TARGET ("The duration of each Partial Segment ... MUST
    // be less than or equal to the Part Target Duration"); a keyframe past 85% of it starts a new
    // part so that part can be INDEPENDENT=YES.
    const cutPart = cutSegment
      || partElapsed + est > o.partTarget + PART_TOLERANCE
      || (keyframe && q.kind === 'video' && partElapsed >= o.partTarget * 0.85);
    if (!cutPart) return;
    q.closeAt(dts);
    this.closePart(dts);
    if (cutSegment) {
      this.closeSegment();
      if (forced) this.countForcedCut(segElapsed);
      this.openSegment(dts);
    } else {
      this.partStart = dts;
    }
  }

  /** Build the part ending at `endDts` (driving-track time), or with everything queued when undefined. */
  private closePart(endDts: number | undefined): void {
    const seg = this.open;
    const driver = this.driver;
    if (!seg || !driver || driver.samples.length === 0) return;
    const first = driver.samples[0]!;
    const last = driver.samples[driver.samples.length - 1]!;
    const end = endDts ?? last.dts + (last.duration > 0 ? last.duration : driver.expectedDuration);
    const tracks: FragmentTrack[] = [];
    const taken: QueuedSample[][] = [];
    for (const q of this.queues) {
      const samples = q === driver || endDts === undefined ? q.take() : q.take(endDts);
      if (samples.length === 0) continue;
      taken.push(samples);
      const t = q.toFragmentTrack(samples);
      if (t.samples.length > 0) tracks.push(t);
    }
    // The queued payloads are copied into the part (see PartBytes), then their staging slabs are let go.
    const chunks = buildFragment(this.fragmentSeq++, tracks);
    const part = new PartBytes(seg.msn, seg.parts.length, Math.max(1, end - first.dts), driver.kind === 'audio' || first.keyframe, chunks, this.partSlabs);
    for (const samples of taken) releaseSamples(samples);
    seg.parts.push(part);
    seg.ticks += part.ticks;
    seg.bytes += part.size;
    this.partsSinceRestart++;
    this.version++;
    this.emit('part', part);
    this.waiters.notify();
  }

  private closeSegment(): void {
    const seg = this.open;
    if (!seg) return;
    this.open = undefined;
    if (seg.parts.length === 0) {
      this.nextMsn = seg.msn; // nothing was published under this msn: reuse it
      this.discontinuityNext ||= seg.discontinuity;
      return;
    }
    seg.complete = true;
    if (!this.options.targetFixed) this.fixTarget(seg);
    if (!this.reportedSession) this.reportSession(seg);
    this.segments.push(seg);
    segmentsProduced.inc();
    this.trimWindow();
    this.version++;
    const onSegment = this.hooks.onSegment;
    if (onSegment) {
      // the hook's reference: the parts stay unrecycled until it calls release() (a hook that never does only
      // leaves them to the garbage collector)
      for (const p of seg.parts) p.retain();
      let released = false;
      const closed: ClosedSegment = {
        msn: seg.msn,
        durationS: seg.ticks / 90_000,
        programDateTime: seg.programDateTime,
        parts: segmentChunks(seg),
        initId: seg.initId,
        discontinuity: seg.discontinuity,
        independent: seg.parts[0]!.independent,
        release: () => {
          if (released) return;
          released = true;
          for (const p of seg.parts) p.release();
        },
      };
      this.callHook('onSegment', () => onSegment(closed));
    }
    this.emit('segment', seg);
    this.waiters.notify();
  }

  // ---- GOP and target duration ----

  /** A keyframe of the driving video track at rebased `dts`: the interval since the last one is a GOP. */
  private measureGop(dts: number): void {
    if (!Number.isNaN(this.lastKeyDts) && dts > this.lastKeyDts) {
      const gop = dts - this.lastKeyDts;
      this.firstGop ??= gop;
      if (gop > this.longestGop) this.longestGop = gop;
    }
    this.lastKeyDts = dts;
  }

  /** The first segment closed: its duration (the first GOP) decides EXT-X-TARGETDURATION for good. */
  private fixTarget(first: LiveSegment): void {
    const o = this.options;
    o.targetDurationS = targetForGop(first.ticks / 90_000, o.minTargetDurationS, o.maxTargetDurationS);
    o.maxSegment = maxSegmentTicks(o.targetDurationS);
    o.targetFixed = true;
  }

  /** Once per session, at the first segment: metrics, and a warning when the GOP costs latency. */
  private reportSession(first: LiveSegment): void {
    this.reportedSession = true;
    const o = this.options;
    const video = this.driver?.kind === 'video';
    const gopS = (this.firstGop ?? first.ticks) / 90_000;
    packagerTargetDuration.observe(o.targetDurationS);
    if (!video) return;
    packagerGopSeconds.observe(gopS);
    // "Long": the GOP needs a target duration above the minimum (2 s by default).
    this.longGop = targetForGop(gopS, o.minTargetDurationS, o.maxTargetDurationS) > o.minTargetDurationS;
    if (!this.longGop) return;
    longGopSessions.inc();
    this.hooks.logger?.warn(
      { gopS: round3(gopS), targetDurationS: o.targetDurationS, holdBackS: 3 * o.targetDurationS },
      `long GOP: the encoder sends a keyframe every ${round3(gopS)} s; segments start at keyframes, so each lasts a GOP `
      + `(EXT-X-TARGETDURATION ${o.targetDurationS}) and players start further from live. Set the encoder's keyframe interval to 1-2 s for low latency`,
    );
  }

  /** A segment was cut without a keyframe (a GOP longer than the target allows). */
  private countForcedCut(elapsed: number): void {
    this.forcedCuts++;
    forcedSegmentCuts.inc();
    if (this.forcedCuts === 1) {
      this.hooks.logger?.warn(
        { segmentS: round3(elapsed / 90_000), targetDurationS: this.options.targetDurationS, longestGopS: round3(this.longestGop / 90_000) },
        'a GOP is longer than EXT-X-TARGETDURATION allows: segments are cut without a keyframe from now on when needed; '
        + 'players may show artefacts after a seek (keep the encoder\'s keyframe interval constant)',
      );
    }
  }

  private callHook(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.hooks.logger?.error({ err }, `packager ${name} hook threw (ignored)`);
    }
  }

  /** Close the open part and segment with estimated last durations (discontinuity, config change, end). */
  private flush(): void {
    this.closePart(undefined);
    this.closeSegment();
  }

  private trimWindow(): void {
    const o = this.options;
    // "the server MUST NOT remove a Media Segment from a Playlist file without an
    // EXT-X-ENDLIST tag if that would produce a Playlist whose duration is less than three
    // times the target duration."
    const minTicks = 3 * o.targetDurationS * 90_000;
    const windowTicks = o.windowSegments * o.segmentTarget * WINDOW_TIME_FACTOR;
    let listedTicks = 0;
    for (let i = this.listedFrom; i < this.segments.length; i++) listedTicks += this.segments[i]!.ticks;
    while (this.segments.length - this.listedFrom > o.windowSegments || listedTicks > windowTicks) {
      const oldest = this.segments[this.listedFrom]!;
      if (listedTicks - oldest.ticks < minTicks || this.listedFrom + 1 >= this.segments.length) break;
      listedTicks -= oldest.ticks;
      // EXT-X-DISCONTINUITY-SEQUENCE counts the discontinuities that left the playlist.
      if (oldest.discontinuity) this.discontinuitySequence++;
      this.listedFrom++;
    }
    // Retained for slow clients: `retainSegments`, fewer (at least one) when they are long.
    const retainTicks = o.retainSegments * o.segmentTarget * WINDOW_TIME_FACTOR;
    let retainedTicks = 0;
    for (let i = 0; i < this.listedFrom; i++) retainedTicks += this.segments[i]!.ticks;
    while (this.listedFrom > o.retainSegments || (this.listedFrom > 1 && retainedTicks > retainTicks)) {
      const gone = this.segments.shift()!;
      retainedTicks -= gone.ticks;
      // the window's reference: readers that still write these parts pinned them (LivePart.retain)
      for (const p of gone.parts) p.release();
      this.listedFrom--;
    }
    const used = new Set<number>(this.segments.map((s) => s.initId));
    if (this.open) used.add(this.open.initId);
    if (this.init) used.add(this.init.id);
    for (const id of this.inits.keys()) if (!used.has(id)) this.inits.delete(id);
  }

  private findSegment(msn: number): LiveSegment | undefined {
    if (this.open?.msn === msn) return this.open;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.msn === msn) return s;
      if (s.msn < msn) break;
    }
    return undefined;
  }
}

/**
 * A LivePart copied into one piece of a recycled slab when it closes (slab-pool.ts): the window holds one Buffer per
 * part instead of a view per frame, and no fresh ArrayBuffer per part reaches V8's old generation, where every
 * 64 MB of them cost a mark-compact of the whole heap. The window holds one reference; a reader that writes the
 * part asynchronously (a viewer's response, the recorder) retains it until done. Measured with bench/profile.ts
 * --fanout --trace-gc: see bench/README.md.
 */
class PartBytes implements LivePart {
  readonly size: number;
  /** wall clock (ms) when the part completed: the bench's x-onair-part-ready header */
  readonly readyAt = Date.now();
  readonly data: Buffer;
  /** the slab `data` was carved from; null: a Buffer of its own */
  private readonly slab: Slab | null;

  constructor(
    readonly msn: number,
    readonly index: number,
    readonly ticks: number,
    readonly independent: boolean,
    chunks: Buffer[],
    slabs: SlabCursor,
  ) {
    let n = 0;
    for (const c of chunks) n += c.length;
    this.size = n;
    const data = slabs.carve(n);
    this.slab = slabs.slab; // the window's reference, released when the segment leaves the window
    let o = 0;
    for (const c of chunks) o += c.copy(data, o);
    this.data = data;
  }

  retain(): void {
    if (this.slab !== null) retainSlab(this.slab);
  }

  release(): void {
    if (this.slab !== null) releaseSlab(this.slab);
  }
}

function segmentChunks(seg: LiveSegment): Buffer[] {
  const out: Buffer[] = [];
  for (const p of seg.parts) out.push(p.data);
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function sameConfigList(a: TrackConfig[], b: TrackConfig[]): boolean {
  return a.length === b.length && a.every((c, i) => sameTrackConfig(c, b[i]!));
}
