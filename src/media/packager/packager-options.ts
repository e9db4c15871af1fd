/** LivePackager options, their defaults and the playlist constants derived from them. */
import type { Logger } from 'pino';
import { maxSegmentTicks } from './target-duration.js';

/** What `onSegment` hands over when a segment closes: the packager's own buffers, not copies. */
export interface ClosedSegment {
  msn: number;
  /** seconds (the EXTINF) */
  durationS: number;
  /** wall clock, ms since epoch, of the first frame */
  programDateTime: number;
  /** the segment's bytes in order (concatenated they are the segment file); do not modify them */
  parts: Buffer[];
  /** the init segment (see `onInit`) the segment decodes with */
  initId: number;
  /** EXT-X-DISCONTINUITY before this segment */
  discontinuity: boolean;
  /** the segment starts with a keyframe (false only for a segment cut inside a GOP longer than the target allows) */
  independent: boolean;
  /**
   * The hook is done with `parts` (written, or given up): their memory may be recycled from here on. Call it once,
   * after the last use; a hook that never calls it only keeps the memory from being recycled (safe, just costlier).
   */
  release(): void;
}

export interface LivePackagerOptions {
  /** Part target in ms; parts are cut at frame boundaries, never longer than this (default 250). */
  partTargetMs?: number;
  /**
   * Segment target in ms (default 1000): a segment is cut at the first keyframe at or after it, so a
   * longer GOP gives one segment per GOP. Audio-only streams are cut on time.
   */
  segmentTargetMs?: number;
  /**
   * EXT-X-TARGETDURATION in whole seconds. Default: chosen from the first segment (the first GOP)
   * when it closes, at least max(2, ceil(segmentTarget)), at most `maxTargetDurationS` (see
   * target-duration.ts). When set, it is fixed from the start. Either way it never changes, and a
   * GOP too long for it is cut without a keyframe.
   */
  targetDurationS?: number;
  /** Upper bound of the measured target duration, seconds (default 30). */
  maxTargetDurationS?: number;
  /** Complete segments listed in the playlist (default 8; more when needed to span 3 target durations). */
  windowSegments?: number;
  /** Segments kept fetchable after they leave the playlist, for slow clients (default 4). */
  retainSegments?: number;
  /** Wall clock in ms (for EXT-X-PROGRAM-DATE-TIME); default Date.now. */
  now?: () => number;
  /**
   * Media sequence number (and init id) of the first segment. Default: wall clock / segment target,
   * so a later session of the same playback id never reuses a URL that a cache holds as immutable.
   */
  firstMsn?: number;
  /**
   * The first segment follows media another packager served (a session taken over from another node): it starts
   * with EXT-X-DISCONTINUITY and EXT-X-DISCONTINUITY-SEQUENCE starts at this count of earlier discontinuities.
   */
  continuesAfter?: { discontinuities: number };
  /** Warnings (long GOP, segments cut inside a GOP) and hook failures go here; pass a child with the stream id. */
  logger?: Logger;
  /** Called once per segment when it closes, with the packager's buffers (no copy). Errors are logged, not thrown. */
  onSegment?: (segment: ClosedSegment) => void;
  /** Called when a new init segment is built (the first one and at every codec change). */
  onInit?: (id: number, bytes: Buffer) => void;
}

export interface ResolvedPackagerOptions {
  partTarget: number; // 90 kHz ticks
  segmentTarget: number; // 90 kHz ticks
  /**
   * EXT-X-TARGETDURATION in seconds. Provisional (the minimum) until the first segment closes when
   * measured (`targetFixed` false); it does not change after that.
   */
  targetDurationS: number;
  /** the target duration is final (set by the caller, or measured from the first segment) */
  targetFixed: boolean;
  /** lower and upper bounds of a measured target duration, seconds */
  minTargetDurationS: number;
  maxTargetDurationS: number;
  /** longest segment allowed before a cut without keyframe, 90 kHz ticks */
  maxSegment: number;
  windowSegments: number;
  retainSegments: number;
  now: () => number;
  firstMsn: number;
}

export function resolvePackagerOptions(o: LivePackagerOptions = {}): ResolvedPackagerOptions {
  const partTargetMs = clamp(o.partTargetMs ?? 250, 50, 2000);
  const segmentTargetMs = clamp(o.segmentTargetMs ?? 1000, partTargetMs, 30_000);
  const now = o.now ?? Date.now;
  const minTargetDurationS = Math.max(2, Math.ceil(segmentTargetMs / 1000));
  const maxTargetDurationS = Math.max(minTargetDurationS, Math.ceil(o.maxTargetDurationS ?? 30));
  const fixed = o.targetDurationS !== undefined;
  const targetDurationS = fixed ? Math.max(1, Math.ceil(o.targetDurationS!)) : minTargetDurationS;
  return {
    partTarget: Math.round(partTargetMs * 90),
    segmentTarget: Math.round(segmentTargetMs * 90),
    targetDurationS,
    targetFixed: fixed,
    minTargetDurationS,
    maxTargetDurationS,
    // While the target is still to be measured, the first segment may run up to the upper bound.
    maxSegment: maxSegmentTicks(fixed ? targetDurationS : maxTargetDurationS),
    windowSegments: Math.max(3, Math.floor(o.windowSegments ?? 8)),
    retainSegments: Math.max(0, Math.floor(o.retainSegments ?? 4)),
    now,
    firstMsn: Math.max(0, Math.floor(o.firstMsn ?? now() / segmentTargetMs)),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
