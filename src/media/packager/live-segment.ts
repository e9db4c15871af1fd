/** What the packager keeps in memory per segment and per part. */

export interface LivePart {
  msn: number;
  /** index of the part inside its segment, from 0 */
  index: number;
  /** 90 kHz ticks */
  ticks: number;
  /** the part starts with a sync sample of the driving track */
  independent: boolean;
  /** total bytes */
  readonly size: number;
  /** wall clock (ms) when the part completed (ONAIR_BENCH_HEADERS=1 sends it as x-onair-part-ready) */
  readonly readyAt?: number;
  /**
   * the part (moof + mdat), copied into a recycled slab when it closed: valid while the part is in the window,
   * or until release() for a reader that called retain(). Anything that uses it after an await retains it first.
   */
  readonly data: Buffer;
  /** pin `data` (e.g. until a response that writes it has closed) */
  retain(): void;
  /** unpin; each retain() is matched by exactly one release() */
  release(): void;
}

export interface LiveSegment {
  msn: number;
  initId: number;
  /** rebased dts (90 kHz) of the segment's first sample of the driving track */
  startDts: number;
  /** 90 kHz ticks, the sum of its parts */
  ticks: number;
  /** wall clock, ms since epoch, of the first frame */
  programDateTime: number;
  /** the segment follows a discontinuity (EXT-X-DISCONTINUITY before it) */
  discontinuity: boolean;
  parts: LivePart[];
  bytes: number;
  /** video samples in the segment (for FRAME-RATE) */
  videoFrames: number;
  complete: boolean;
}

/** Everything a playlist needs to describe the stream's variant in the multivariant playlist. */
export interface VariantInfo {
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
  /** peak bits per second over the window's segments */
  bandwidth: number;
  averageBandwidth: number;
  /** every segment starts with a keyframe: EXT-X-INDEPENDENT-SEGMENTS may be written */
  independentSegments: boolean;
}

/** The GOP the packager measured and the EXT-X-TARGETDURATION it chose (see target-duration.ts). */
export interface GopInfo {
  /** first keyframe interval of the driving video track, seconds (undefined before the second keyframe, or audio-only) */
  firstGopS: number | undefined;
  /** longest keyframe interval seen so far, seconds */
  longestGopS: number | undefined;
  targetDurationS: number;
  /** false until the first segment closed (when measured): `targetDurationS` is provisional until then */
  targetFixed: boolean;
  /** the GOP forced a target duration above the minimum: latency is higher than it needs to be */
  longGop: boolean;
  /** segments cut without a keyframe because a later GOP was longer than the target allows */
  forcedCuts: number;
}
