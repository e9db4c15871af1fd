/** What the packager keeps in memory per segment and per part. */

export interface LivePart {
  msn: number;
  /** index of the part inside its segment, from 0 */
  index: number;
  /** 90 kHz ticks */
  ticks: number;
  /** the part starts with a sync sample of the driving track */
  independent: boolean;
  /** moof + mdat, concatenated once when the part closed */
  data: Buffer;
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
}
