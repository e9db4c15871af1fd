/** LivePackager options, their defaults and the playlist constants derived from them. */

export interface LivePackagerOptions {
  /** Part target in ms; parts are cut at frame boundaries, never longer than this (default 250). */
  partTargetMs?: number;
  /**
   * Segment target in ms (default 1000): a segment is cut at the first keyframe at or after it, so a
   * longer GOP gives one segment per GOP. Audio-only streams are cut on time.
   */
  segmentTargetMs?: number;
  /**
   * EXT-X-TARGETDURATION in whole seconds (default max(2, ceil(segmentTarget))). Written once, never
   * changed; a GOP so long that a segment would round above it is cut without a keyframe.
   */
  targetDurationS?: number;
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
}

export interface ResolvedPackagerOptions {
  partTarget: number; // 90 kHz ticks
  segmentTarget: number; // 90 kHz ticks
  targetDurationS: number;
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
  const targetDurationS = Math.max(1, Math.ceil(o.targetDurationS ?? Math.max(2, segmentTargetMs / 1000)));
  return {
    partTarget: Math.round(partTargetMs * 90),
    segmentTarget: Math.round(segmentTargetMs * 90),
    targetDurationS,
    // "The EXTINF duration of each Media Segment in a Playlist file, when rounded to the nearest
    // integer, MUST be less than or equal to the Target Duration": anything below TD + 0.5 s rounds down.
    maxSegment: Math.round((targetDurationS + 0.45) * 90_000),
    windowSegments: Math.max(3, Math.floor(o.windowSegments ?? 8)),
    retainSegments: Math.max(0, Math.floor(o.retainSegments ?? 4)),
    now,
    firstMsn: Math.max(0, Math.floor(o.firstMsn ?? now() / segmentTargetMs)),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
