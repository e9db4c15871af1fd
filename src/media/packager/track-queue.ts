/** One track's samples waiting for the current part to close, and its decode timeline (tfdt). */
import { TIMESCALE, type MediaFrame, type TrackConfig } from '../frame.js';
import type { FragmentSample, FragmentTrack } from '../../protocols/fmp4/index.js';
import { sampleFlags, SYNC_SAMPLE_FLAGS } from '../../protocols/fmp4/index.js';
import { releaseSlab, retainSlab, type Slab, type SlabCursor } from '../../protocols/slab-pool.js';

export interface QueuedSample {
  /** rebased decode time, 90 kHz */
  dts: number;
  /** pts - dts, 90 kHz */
  cto: number;
  keyframe: boolean;
  /**
   * the payload: the frame's own bytes where they lie in a recycled slab (retained), else the packager's copy
   * (carved from `slab`), or the frame's own buffer when `slab` is null
   */
  data: Buffer;
  /** the slab `data` lies in (one reference, released by releaseSamples once the part is built) */
  slab: Slab | null;
  /** 90 kHz; -1 until the next sample of the track arrives */
  duration: number;
}

/** A jump forward larger than this is treated as a timestamp break, not as a long frame. */
const MAX_FORWARD_GAP = 10 * TIMESCALE;
/** Non-driving tracks never hold more than this much media while the driving track is silent. */
const MAX_QUEUED = 1500;

export class TrackQueue {
  readonly kind: TrackConfig['track'];
  readonly timescale: number;
  samples: QueuedSample[] = [];
  /** true when rebase() had to move the timeline (backward or huge forward jump) */
  jumped = false;
  private offset = 0;
  private lastDts = Number.NaN;
  /** last known sample duration, 90 kHz */
  private lastDuration: number;
  /** audio: samples per AAC frame, learnt from the first timestamps */
  private frameSamples = 1024;
  private learntFrame = false;
  /** audio: decode time (track timescale) where the next sample starts */
  private audioNext: number | undefined;

  constructor(readonly trackId: number, readonly config: TrackConfig) {
    this.kind = config.track;
    this.timescale = config.track === 'video' ? TIMESCALE : config.sampleRate;
    this.lastDuration = config.track === 'video' ? 3000 : Math.round((1024 * TIMESCALE) / this.timescale);
  }

  /** Expected duration of the next sample (90 kHz), for cut decisions. */
  get expectedDuration(): number {
    return this.lastDuration;
  }

  /**
   * Map a frame's dts onto this track's monotonic timeline. The lead rebases reconnects, but a
   * backward jump (or a forward one of more than 10 s) must never reach tfdt: continue from the
   * last sample's end instead.
   */
  rebase(frame: MediaFrame): number {
    let dts = frame.dts + this.offset;
    if (!Number.isNaN(this.lastDts)) {
      const expected = this.lastDts + this.lastDuration;
      if (dts < this.lastDts + 1 || dts - expected > MAX_FORWARD_GAP) {
        this.offset += expected - dts;
        dts = expected;
        this.jumped = true;
      }
    } else if (dts < 0) {
      this.offset = -dts;
      dts = 0;
    }
    return dts;
  }

  /**
   * Queue a frame. A payload that ingest assembled in a recycled slab is kept there (the slab retained: no copy).
   * Otherwise, with `staging`, it is copied into the packager's slab at once, so the ingest buffer it came in dies
   * young (see slab-pool.ts); without, the frame's buffer is kept.
   */
  push(frame: MediaFrame, dts: number, staging?: SlabCursor): void {
    const prev = this.samples[this.samples.length - 1];
    if (!Number.isNaN(this.lastDts)) {
      const d = dts - this.lastDts;
      if (d > 0) {
        this.lastDuration = d;
        if (!this.learntFrame && this.kind === 'audio') this.learnFrameSize(d);
      }
      if (prev) prev.duration = d;
    }
    this.lastDts = dts;
    let data = frame.data;
    let slab: Slab | null = null;
    if (frame.slab) {
      slab = frame.slab;
      retainSlab(slab);
    } else if (staging !== undefined) {
      data = staging.carve(frame.data.length);
      frame.data.copy(data);
      slab = staging.slab;
    }
    this.samples.push({ dts, cto: Math.max(-0x7fffffff, frame.pts - frame.dts), keyframe: frame.keyframe, data, slab, duration: -1 });
    if (this.samples.length > MAX_QUEUED) releaseSamples([this.samples.shift()!]);
  }

  /** Set the duration of the newest queued sample from the next frame's time (before a cut there). */
  closeAt(dts: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.duration < 0 && dts > last.dts) last.duration = dts - last.dts;
  }

  /** Remove and return the samples that start before `dts` (all when undefined); the caller releases them. */
  take(dts?: number): QueuedSample[] {
    if (dts === undefined) {
      const all = this.samples;
      this.samples = [];
      return all;
    }
    let n = 0;
    while (n < this.samples.length && this.samples[n]!.dts < dts) n++;
    return this.samples.splice(0, n);
  }

  /** Drop queued samples before `dts` (audio that precedes the first video keyframe). */
  dropBefore(dts: number): void {
    releaseSamples(this.take(dts));
  }

  /** Continue the timeline of the track this one replaces (new init segment, same kind). */
  inheritTimeline(prev: TrackQueue): void {
    if (prev.kind !== this.kind) return;
    this.offset = prev.offset;
    this.lastDts = prev.lastDts;
    this.lastDuration = prev.lastDuration;
    if (prev.timescale === this.timescale) {
      this.audioNext = prev.audioNext;
      this.frameSamples = prev.frameSamples;
      this.learntFrame = prev.learntFrame;
    }
  }

  /** Build the trun input for `samples` (in order; may be empty). */
  toFragmentTrack(samples: QueuedSample[]): FragmentTrack {
    return this.kind === 'video' ? this.videoTrack(samples) : this.audioTrack(samples);
  }

  private videoTrack(samples: QueuedSample[]): FragmentTrack {
    const out: FragmentSample[] = new Array(samples.length);
    const data: Buffer[] = new Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      out[i] = {
        duration: s.duration > 0 ? s.duration : this.lastDuration,
        size: s.data.length,
        flags: sampleFlags(s.keyframe),
        cto: s.cto,
      };
      data[i] = s.data;
    }
    return { trackId: this.trackId, baseDecodeTime: samples[0]?.dts ?? 0, samples: out, data };
  }

  /**
   * AAC frames have a fixed number of samples: durations are that constant, and the decode time
   * runs on without the millisecond jitter of RTMP timestamps; it re-anchors on a drift above one frame.
   */
  private audioTrack(samples: QueuedSample[]): FragmentTrack {
    const out: FragmentSample[] = [];
    const data: Buffer[] = [];
    let base = this.audioNext ?? 0;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      const ideal = Math.round((s.dts * this.timescale) / TIMESCALE);
      // Audio running ahead of its timestamps by more than two frames: drop a frame to get back.
      if (this.audioNext !== undefined && ideal < this.audioNext - 2 * this.frameSamples) continue;
      if (this.audioNext === undefined || ideal - this.audioNext > this.frameSamples) {
        // A gap of more than one frame: stretch the previous sample over it, or start the part there.
        if (out.length > 0 && this.audioNext !== undefined) out[out.length - 1]!.duration += ideal - this.audioNext;
        this.audioNext = ideal;
      }
      if (out.length === 0) base = this.audioNext;
      out.push({ duration: this.frameSamples, size: s.data.length, flags: SYNC_SAMPLE_FLAGS, cto: 0 });
      data.push(s.data);
      this.audioNext += this.frameSamples;
    }
    return { trackId: this.trackId, baseDecodeTime: base, samples: out, data };
  }

  private learnFrameSize(delta90k: number): void {
    const samples = (delta90k * this.timescale) / TIMESCALE;
    for (const n of [1024, 960, 2048, 480, 512]) {
      if (Math.abs(samples - n) <= n * 0.1) {
        this.frameSamples = n;
        this.learntFrame = true;
        return;
      }
    }
  }
}

/** Let go of taken samples' payloads (their slabs may be reused from here on). */
export function releaseSamples(samples: readonly QueuedSample[]): void {
  for (const s of samples) if (s.slab !== null) releaseSlab(s.slab);
}
