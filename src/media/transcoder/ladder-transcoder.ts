/**
 * The ladder of one live stream: one ffmpeg child decodes the source once and encodes every rung; onair
 * feeds it the source as MPEG-TS on stdin and reads each rung back as MPEG-TS on its own pipe through its
 * own demuxer, into one LivePackager per rung attached to the stream's owner (`owner.attach('720p', ...)`).
 *
 * Alignment: ffmpeg keeps the source's timestamps (-copyts) and puts keyframes exactly at the source's
 * keyframes; a rung's packager starts at a keyframe where the source packager started a segment, with that
 * segment's media sequence number and the source's wall-clock anchor, so segments, parts, MSNs and
 * EXT-X-PROGRAM-DATE-TIME match the source rendition's. A rung's dts is its pts minus the source's
 * composition offset at the keyframe (rungs have no B-frames), so tfdt matches too.
 *
 * Faults: the source never waits for the ladder (stdin is written without waiting; when ffmpeg does not
 * drain it, input is dropped up to the next keyframe). A rung that lags the source is reported unhealthy
 * (left out of the multivariant playlist); a child that exits, stalls or lags too far is restarted with
 * backoff. A resolution or codec change of the source, or a reconnect, starts a new child with a new plan.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { LiveSubscriber } from '../../core/contracts.js';
import type { OwnedOutput, RenditionReader } from '../../core/live-stream.js';
import type { AudioConfig, MediaFrame, TrackConfig, VideoConfig } from '../frame.js';
import { TsMuxer } from '../../protocols/mpegts/ts-muxer.js';
import { releaseSlab, retainSlab } from '../../protocols/slab-pool.js';
import { Fmp4Feed } from './fmp4-feed.js';
import { sameTrackConfig } from '../packager/same-track-config.js';
import { TsDemuxer } from '../../protocols/mpegts/ts-demuxer.js';
import { LivePackager } from '../packager/index.js';
import type { LiveSegment } from '../packager/live-segment.js';
import type { ClosedSegment } from '../packager/packager-options.js';
import { ffmpegLadderArgs, rungFd } from './ffmpeg-args.js';
import { planLadder, type LadderPlan, type LadderRung, type PlannedRung } from './ladder.js';
import { TranscodeSlots } from './transcode-slots.js';
import {
  laddersRefused, renditionsUnhealthy, transcoderLag, transcoderRestarts, transcoderSpeed, transcoders,
} from './transcoder-metrics.js';

/** The part of a LiveStream owner the ladder uses. */
export interface RenditionOwner {
  attach(name: string, output: OwnedOutput, subscriber?: LiveSubscriber, reader?: RenditionReader): void;
  detach(name: string): void;
}

export interface LadderTranscoderOptions {
  streamId: string;
  /** the stream's maxResolution ("1080p", "720p", "480p") */
  maxResolution: string;
  ladder: LadderRung[];
  owner: RenditionOwner;
  /** the source rendition's packager: rungs align their segments with its segments */
  source: LivePackager;
  slots: TranscodeSlots;
  logger: Logger;
  /** ffmpeg binary (default "ffmpeg", or ONAIR_FFMPEG) */
  ffmpeg?: string;
  /** the rungs' part target, as the source's (default 200) */
  partTargetMs?: number;
  /** restart backoff: base doubling up to cap, ms (default 1000 / 30 000) */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** a rung further behind the source than this (media seconds) leaves the multivariant playlist (default 2.5) */
  unhealthyLagS?: number;
  /** a ladder further behind than this is restarted (default 8) */
  restartLagS?: number;
  /** bytes waiting on ffmpeg's stdin beyond which input is dropped to the next keyframe (default 16 MiB) */
  maxQueuedBytes?: number;
  /**
   * Recording and DVR of the rungs: called each time a rung's packager starts (again after a restart, with the
   * new packager); the hooks returned get that packager's init segments and closed segments, as the source
   * packager's `onInit`/`onSegment` do. Undefined: the rung is not recorded.
   */
  recordRung?: (name: string, packager: LivePackager) => RungRecording | undefined;
}

/** What a rung's packager hands to the recorder (SessionRecorder.rendition(name)). */
export interface RungRecording {
  onInit(id: number, bytes: Buffer): void;
  onSegment(seg: ClosedSegment): void;
}

/** A rendition as playback lists it. */
export interface LadderRendition {
  name: string;
  width: number;
  height: number;
  bitrateKbps: number;
  packager: LivePackager;
  healthy: boolean;
}

/** Timestamps fed to ffmpeg start this far above 0 (PCR = DTS - 0.7 s must not go negative). */
const FEED_HEADROOM = 10 * 90_000;
/** Frames a rung holds while waiting for a keyframe where the source started a segment. */
const MAX_PENDING = 900;
const HEALTH_TICK_MS = 500;

/** The source as ffmpeg reads it on stdin: MPEG-TS (H.264, HEVC) or fragmented MP4 (AV1). */
interface Feed {
  /** a changed config of a declared track; false: this feed cannot take it (start a new child) */
  config(cfg: TrackConfig): boolean;
  frame(f: MediaFrame): Buffer | Buffer[];
}

function tsFeed(configs: TrackConfig[]): Feed {
  const muxer = new TsMuxer();
  for (const c of configs) muxer.onConfig(c);
  return {
    config: (c) => {
      muxer.onConfig(c);
      return true;
    },
    frame: (f) => muxer.onFrame(f),
  };
}

function mp4Feed(configs: TrackConfig[]): Feed {
  const feed = new Fmp4Feed(configs);
  return { config: () => false, frame: (f) => feed.frame(f) };
}

interface Run {
  id: number;
  child: ChildProcess;
  feed: Feed;
  plan: LadderPlan;
  rungs: RungOutput[];
  /** fed dts = source dts - feedBase */
  feedBase: number;
  startedAt: number;
  /** input dropped until the next video keyframe (ffmpeg not draining stdin) */
  dropping: boolean;
  stderr: string;
  /** source video dts when the run started (a stall is measured from here) */
  firstSourceDts: number;
  exited: boolean;
  warnedAlignment?: boolean;
}

export class LadderTranscoder implements OwnedOutput, LiveSubscriber {
  private readonly o: LadderTranscoderOptions;
  private readonly log: Logger;
  private video: VideoConfig | undefined;
  private audio: AudioConfig | undefined;
  private plan: LadderPlan | undefined;
  private run: Run | undefined;
  private runIds = 0;
  private needRun = false;
  private holdsSlot = false;
  private refused = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly healthTimer: NodeJS.Timeout;
  private closed = false;
  /** recent source keyframes: pts -> dts */
  private readonly keyframes = new Map<number, number>();
  /** recent source segments: start dts -> msn */
  private readonly sourceSegments = new Map<number, number>();
  /** the newest source video dts */
  private sourceDts = Number.NaN;
  /** the latest started packager per rendition name (of this or an earlier run) */
  private readonly renditions = new Map<string, { rung: PlannedRung; packager: LivePackager; run: number; healthy: boolean }>();
  private speedSample: { wall: number; out: number; src: number } | undefined;
  private readonly onSourceSegment = (seg: LiveSegment): void => {
    this.sourceSegments.set(seg.startDts, seg.msn);
    trimMap(this.sourceSegments, 64);
    this.run?.rungs.forEach((r) => r.tryStart());
  };

  constructor(options: LadderTranscoderOptions) {
    this.o = options;
    this.log = options.logger;
    options.source.on('segment', this.onSourceSegment);
    this.healthTimer = setInterval(() => this.checkHealth(), HEALTH_TICK_MS);
    this.healthTimer.unref();
  }

  /** What the multivariant playlist lists: the plan and every rendition started so far, highest first. */
  renditionList(): { sourceListed: boolean; renditions: LadderRendition[] } {
    const renditions: LadderRendition[] = [];
    for (const [name, r] of this.renditions) {
      renditions.push({ name, width: r.rung.width, height: r.rung.height, bitrateKbps: r.rung.bitrateKbps, packager: r.packager, healthy: r.healthy });
    }
    renditions.sort((a, b) => Math.min(b.width, b.height) - Math.min(a.width, a.height));
    return { sourceListed: this.plan?.sourceListed ?? true, renditions };
  }

  /** The rendition named `name` (current or lingering), for its playlist and media files. */
  rendition(name: string): LivePackager | undefined {
    return this.renditions.get(name)?.packager;
  }

  /** Running an ffmpeg child right now. */
  get running(): boolean {
    return this.run !== undefined && !this.run.exited;
  }

  get childPid(): number | undefined {
    return this.run?.child.pid;
  }

  /** ffmpeg stopped and its restart waits for the backoff (source frames until then do not start a child). */
  get restartPending(): boolean {
    return this.restartTimer !== undefined;
  }

  // ---- LiveSubscriber (the source's frames) ----

  onConfig(cfg: TrackConfig): void {
    if (this.closed) return;
    const same = cfg.track === 'audio' ? this.audio : this.video;
    if (same && sameTrackConfig(same, cfg)) return; // encoders resend unchanged sequence headers
    if (cfg.track === 'audio') {
      const added = !this.audio;
      this.audio = cfg;
      if (this.run && (added || !this.run.feed.config(cfg))) this.restart('audio track changed', undefined);
      return;
    }
    const prev = this.video;
    this.video = cfg;
    const plan = planLadder(cfg, this.o.maxResolution, this.o.ladder);
    const changed = !prev || prev.width !== cfg.width || prev.height !== cfg.height || prev.codec !== cfg.codec;
    this.plan = plan;
    if (!changed) {
      if (this.run && !this.run.feed.config(cfg)) this.restart('codec configuration changed', undefined);
      return;
    }
    if (prev) this.log.info({ from: `${prev.width}x${prev.height} ${prev.codec}`, to: `${cfg.width}x${cfg.height} ${cfg.codec}` }, 'ladder: the source changed; new ladder');
    this.stopRun();
    // renditions of the old plan that the new one does not have leave at once
    for (const name of [...this.renditions.keys()]) {
      if (!plan.rungs.some((r) => r.name === name)) this.dropRendition(name);
    }
    this.needRun = plan.rungs.length > 0;
    if (!this.needRun) this.releaseSlot();
  }

  onFrame(frame: MediaFrame): void {
    if (this.closed) return;
    if (frame.track === 'video') {
      this.sourceDts = frame.dts;
      if (frame.keyframe) {
        this.keyframes.set(frame.pts, frame.dts);
        trimMap(this.keyframes, 64);
      }
    }
    if (!this.run && this.needRun && !this.restartTimer && frame.track === 'video' && frame.keyframe) this.startRun(frame);
    const run = this.run;
    if (!run || run.exited) return;
    if (run.dropping) {
      if (frame.track !== 'video' || !frame.keyframe) return;
      run.dropping = false;
    }
    const stdin = run.child.stdin;
    if (!stdin || stdin.destroyed) return;
    if (stdin.writableLength > (this.o.maxQueuedBytes ?? 16 * 1024 * 1024)) {
      run.dropping = true; // ffmpeg is not keeping up: never queue without bound, never wait
      return;
    }
    let bytes: Buffer | Buffer[];
    try {
      bytes = run.feed.frame({ ...frame, dts: frame.dts - run.feedBase, pts: frame.pts - run.feedBase });
    } catch (err) {
      this.log.warn({ err }, 'ladder: could not mux a source frame for ffmpeg');
      return;
    }
    // (a muxer may hand out the payload itself: one in a recycled slab stays pinned until written, see frame.ts)
    const slab = frame.slab;
    const done = slab ? () => releaseSlab(slab) : undefined;
    if (slab) retainSlab(slab);
    if (Array.isArray(bytes)) {
      if (bytes.length > 0) {
        stdin.cork();
        for (let i = 0; i < bytes.length - 1; i++) stdin.write(bytes[i]!);
        stdin.write(bytes[bytes.length - 1]!, done);
        stdin.uncork();
      } else done?.();
    } else if (bytes.length > 0) stdin.write(bytes, done);
    else done?.();
  }

  onDiscontinuity(): void {
    // The publisher reconnected: the source packager writes a discontinuity; the rungs start over aligned.
    if (this.run) this.restart('publisher reconnected', undefined);
  }

  onEnd(): void {
    this.end();
  }

  // ---- OwnedOutput ----

  end(): void {
    this.needRun = false;
    this.clearRestart();
    this.stopRun();
    this.releaseSlot();
    for (const r of this.renditions.values()) r.packager.end();
    this.updateGauges();
  }

  close(): void {
    if (this.closed) return;
    this.end();
    this.closed = true;
    clearInterval(this.healthTimer);
    this.o.source.off('segment', this.onSourceSegment);
    for (const name of [...this.renditions.keys()]) this.dropRendition(name);
    const labels = { stream: this.o.streamId };
    transcoderSpeed.remove(labels);
    transcoderLag.remove(labels);
    renditionsUnhealthy.remove(labels);
  }

  // ---- the child ----

  private startRun(first: MediaFrame): void {
    const plan = this.plan;
    const video = this.video;
    if (!plan || !video || plan.rungs.length === 0) return;
    if (!this.holdsSlot) {
      if (this.refused) return;
      if (!this.o.slots.tryAcquire()) {
        this.refused = true;
        this.needRun = false;
        laddersRefused.inc();
        this.log.warn({ maxTranscodes: this.o.slots.max, running: this.o.slots.used },
          'ladder refused: --max-transcodes ladders are already running; this stream is served as passthrough (source only)');
        return;
      }
      this.holdsSlot = true;
      transcoders.inc();
    }
    const configs: TrackConfig[] = this.audio ? [video, this.audio] : [video];
    // MPEG-TS carries H.264 and HEVC; AV1 goes as fragmented MP4
    const input = video.codec === 'av1' ? 'mp4' as const : 'mpegts' as const;
    let feed: Feed;
    try {
      feed = input === 'mp4' ? mp4Feed(configs) : tsFeed(configs);
    } catch (err) {
      this.log.warn({ err }, 'ladder: the source cannot be fed to ffmpeg; passthrough');
      this.needRun = false;
      this.releaseSlot();
      return;
    }
    const args = ffmpegLadderArgs({ rungs: plan.rungs, audio: this.audio !== undefined, input });
    const child = spawn(this.o.ffmpeg ?? process.env.ONAIR_FFMPEG ?? 'ffmpeg', args, {
      stdio: ['pipe', 'ignore', 'pipe', ...plan.rungs.map(() => 'pipe' as const)],
    });
    const run: Run = {
      id: ++this.runIds, child, feed, plan, rungs: [], feedBase: first.dts - FEED_HEADROOM, startedAt: Date.now(),
      dropping: false, stderr: '', firstSourceDts: first.dts, exited: false,
    };
    run.rungs = plan.rungs.map((rung, i) => new RungOutput(this, run, rung, child.stdio[rungFd(i)] as Readable));
    child.stdin!.on('error', () => { /* EPIPE when ffmpeg exits: the exit handler reports it */ });
    child.stderr!.on('data', (d: Buffer) => {
      run.stderr = (run.stderr + d.toString()).slice(-2000);
    });
    child.on('error', (err) => {
      this.log.error({ err }, 'ladder: could not start ffmpeg');
      this.childExited(run, null, null);
    });
    child.on('exit', (code, signal) => this.childExited(run, code, signal));
    this.run = run;
    this.needRun = false;
    this.speedSample = undefined;
    this.log.info({ pid: child.pid, source: `${video.width}x${video.height} ${video.codec}`, sourceListed: plan.sourceListed, rungs: plan.rungs.map((r) => `${r.name} ${r.width}x${r.height} ${r.bitrateKbps}k`) },
      'ladder: ffmpeg started');
  }

  private childExited(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    if (run.exited) return;
    run.exited = true;
    for (const r of run.rungs) r.closeInput();
    if (this.run !== run) return; // stopped on purpose
    this.run = undefined;
    this.scheduleRestart('exit', { code, signal, stderr: run.stderr.trim().split('\n').slice(-5).join('\n') }, run);
  }

  /** Stop the current child on purpose (no restart is scheduled by its exit). */
  private stopRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.child.stdin?.destroy();
    if (!run.exited) run.child.kill('SIGKILL');
    for (const r of run.rungs) r.closeInput();
  }

  private restart(reason: string, details: object | undefined): void {
    const run = this.run;
    this.stopRun();
    if (reason === 'publisher reconnected' || reason === 'audio track changed' || reason === 'codec configuration changed') {
      this.log.info({ reason }, 'ladder: restarting ffmpeg');
      this.needRun = true;
      return;
    }
    this.scheduleRestart(reason, details, run);
  }

  private scheduleRestart(reason: string, details: object | undefined, run: Run | undefined): void {
    if (this.closed) return;
    if (run && Date.now() - run.startedAt > 30_000) this.failures = 0;
    const base = this.o.backoffBaseMs ?? 1000;
    const delay = Math.min(this.o.backoffCapMs ?? 30_000, base * 2 ** this.failures);
    this.failures++;
    transcoderRestarts.inc({ stream: this.o.streamId, reason });
    this.log.warn({ reason, ...details, restartInMs: delay, failures: this.failures },
      'ladder: ffmpeg stopped; the source keeps playing, the rungs are left out of the multivariant playlist until it is back');
    this.clearRestart();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closed && this.plan && this.plan.rungs.length > 0) this.needRun = true;
    }, delay);
    this.restartTimer.unref();
    this.updateGauges();
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private releaseSlot(): void {
    if (!this.holdsSlot) return;
    this.holdsSlot = false;
    this.o.slots.release();
    transcoders.dec();
  }

  private dropRendition(name: string): void {
    if (!this.renditions.delete(name)) return;
    this.o.owner.detach(name);
  }

  // ---- what RungOutput needs ----

  /** The source segment (msn) that starts at source dts `dts`, if the source packager made one. */
  sourceSegmentAt(dts: number): number | undefined {
    return this.sourceSegments.get(dts);
  }

  /** The source's dts for the keyframe presented at `pts`. */
  sourceKeyframeDts(pts: number): number | undefined {
    return this.keyframes.get(pts);
  }

  /** A rung found no keyframe where the source starts a segment for a long time: say so once per run. */
  alignmentFailing(run: Run, rung: PlannedRung): void {
    if (run.warnedAlignment) return;
    run.warnedAlignment = true;
    this.log.warn({ rendition: rung.name, sourceSegments: [...this.sourceSegments.keys()].slice(-3) },
      'ladder: a rung\'s keyframes do not line up with the source\'s segments; it stays out of the multivariant playlist');
  }

  get hasAudio(): boolean {
    return this.audio !== undefined;
  }

  /** A rung's first keyframe matched a source segment: its packager starts, aligned, and replaces the older one. */
  rungStarted(run: Run, rung: PlannedRung, startDts: number, msn: number): LivePackager {
    const source = this.o.source;
    // (the hooks are set right after the packager exists: its first init and segment come with later frames)
    let recording: RungRecording | undefined;
    const packager = new LivePackager({
      partTargetMs: this.o.partTargetMs ?? 200,
      firstMsn: msn,
      // the source's date for this dts: the same EXT-X-PROGRAM-DATE-TIME for the same segment
      now: () => {
        const a = source.clockAnchor;
        return a.wall + (startDts - a.dts) / 90;
      },
      logger: this.log.child({ rendition: rung.name }),
      onInit: (id, bytes) => recording?.onInit(id, bytes),
      onSegment: (seg) => (recording ? recording.onSegment(seg) : seg.release()),
    });
    recording = this.o.recordRung?.(rung.name, packager);
    this.renditions.set(rung.name, { rung, packager, run: run.id, healthy: false });
    this.o.owner.attach(rung.name, { end: () => packager.end(), close: () => packager.dispose() }, undefined, packager);
    return packager;
  }

  // ---- health ----

  private checkHealth(): void {
    const run = this.run;
    const unhealthyLag = (this.o.unhealthyLagS ?? 2.5) * 90_000;
    const restartLag = (this.o.restartLagS ?? 8) * 90_000;
    let minOut = Number.POSITIVE_INFINITY;
    for (const [, r] of this.renditions) {
      const out = run && r.run === run.id ? run.rungs.find((x) => x.rung.name === r.rung.name) : undefined;
      if (!out || run!.exited || !r.packager.hasSegment || r.packager.isEnded) {
        r.healthy = false;
        continue;
      }
      const lag = this.sourceDts - out.lastDts;
      // hysteresis: out above 2.5 s behind, back in below a third of that
      r.healthy = r.healthy ? lag < unhealthyLag : lag < unhealthyLag / 3;
      minOut = Math.min(minOut, out.lastDts);
    }
    if (run && !run.exited && Number.isFinite(this.sourceDts)) {
      const outs = run.rungs.map((x) => x.lastDts);
      const slowest = outs.length > 0 ? Math.min(...outs) : Number.NaN;
      const reference = Number.isNaN(slowest) ? run.firstSourceDts : slowest;
      const lag = this.sourceDts - reference;
      transcoderLag.set({ stream: this.o.streamId }, Math.max(0, lag / 90_000));
      const now = Date.now();
      if (!Number.isNaN(slowest)) {
        const s = this.speedSample;
        if (s && now - s.wall >= 2000) {
          if (this.sourceDts > s.src) transcoderSpeed.set({ stream: this.o.streamId }, round2((slowest - s.out) / 90 / (now - s.wall)));
          this.speedSample = { wall: now, out: slowest, src: this.sourceDts };
        } else if (!s) this.speedSample = { wall: now, out: slowest, src: this.sourceDts };
      }
      if (lag > restartLag) this.restart(Number.isNaN(slowest) ? 'stalled' : 'behind', { lagS: round2(lag / 90_000) });
    }
    void minOut;
    this.updateGauges();
  }

  private updateGauges(): void {
    if (this.closed) return;
    let unhealthy = 0;
    for (const r of this.renditions.values()) if (!r.healthy) unhealthy++;
    renditionsUnhealthy.set({ stream: this.o.streamId }, unhealthy);
  }
}

/** One rung of one ffmpeg run: its pipe, its demuxer, the wait for an aligned start, then its packager. */
class RungOutput {
  /** newest video dts out of this rung, source time */
  lastDts = Number.NaN;
  private readonly demuxer: TsDemuxer;
  private video: VideoConfig | undefined;
  private audio: AudioConfig | undefined;
  private pending: MediaFrame[] = [];
  private packager: LivePackager | undefined;
  /** source composition offset at the last keyframe (rung dts = pts - cto) */
  private cto = 0;

  constructor(private readonly ladder: LadderTranscoder, private readonly run: Run, readonly rung: PlannedRung, private readonly input: Readable) {
    this.demuxer = new TsDemuxer({
      onConfig: (cfg) => this.onConfig(cfg),
      onFrame: (f) => this.onFrame(f),
    });
    input.on('data', (chunk: Buffer) => this.demuxer.push(chunk));
    input.on('error', () => { /* the child's exit is what counts */ });
  }

  closeInput(): void {
    this.input.destroy();
    this.pending = [];
  }

  private onConfig(cfg: TrackConfig): void {
    if (cfg.track === 'video') this.video = cfg;
    else this.audio = cfg;
    this.packager?.onConfig(cfg);
  }

  private onFrame(f: MediaFrame): void {
    if (this.run.exited) return;
    const base = this.run.feedBase;
    let frame: MediaFrame;
    if (f.track === 'video') {
      const pts = f.pts + base;
      if (f.keyframe) {
        const dts = this.ladder.sourceKeyframeDts(pts);
        if (dts !== undefined) this.cto = pts - dts;
      }
      frame = { ...f, pts, dts: Math.min(pts, Math.max(pts - this.cto, Number.isNaN(this.lastDts) ? 0 : this.lastDts + 1)) };
      this.lastDts = frame.dts;
    } else {
      frame = { ...f, pts: f.pts + base, dts: f.dts + base };
    }
    if (this.packager) {
      this.packager.onFrame(frame);
      return;
    }
    this.pending.push(frame);
    if (this.pending.length > MAX_PENDING) {
      // no aligned start yet: keep the newest GOP or so
      this.ladder.alignmentFailing(this.run, this.rung);
      const k = this.pending.findIndex((x, i) => i > 0 && x.track === 'video' && x.keyframe);
      this.pending.splice(0, k > 0 ? k : this.pending.length - MAX_PENDING / 2);
    }
    if (frame.track === 'video' && frame.keyframe) this.tryStart();
  }

  /** Start the packager at the first pending keyframe where the source started a segment. */
  tryStart(): void {
    if (this.packager || this.run.exited || !this.video || (this.ladder.hasAudio && !this.audio)) return;
    for (let i = 0; i < this.pending.length; i++) {
      const kf = this.pending[i]!;
      if (kf.track !== 'video' || !kf.keyframe) continue;
      const msn = this.ladder.sourceSegmentAt(kf.dts);
      if (msn === undefined) continue;
      const packager = this.ladder.rungStarted(this.run, this.rung, kf.dts, msn);
      packager.onConfig(this.video);
      if (this.audio) packager.onConfig(this.audio);
      packager.onFrame(kf);
      // audio muxed ahead of the keyframe that belongs after it, then everything after it, in order
      for (let j = 0; j < i; j++) {
        const a = this.pending[j]!;
        if (a.track === 'audio' && a.dts >= kf.dts) packager.onFrame(a);
      }
      for (let j = i + 1; j < this.pending.length; j++) packager.onFrame(this.pending[j]!);
      this.pending = [];
      this.packager = packager;
      return;
    }
  }
}

function trimMap<K, V>(m: Map<K, V>, max: number): void {
  while (m.size > max) m.delete(m.keys().next().value as K);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
