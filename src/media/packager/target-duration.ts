/**
 * The EXT-X-TARGETDURATION policy for encoders with any GOP.
 *
 * Segments start at keyframes, so a segment lasts (at least) one GOP. RFC 8216bis: "The EXTINF
 * duration of each Media Segment in a Playlist file, when rounded to the nearest integer, MUST be
 * less than or equal to the Target Duration", and the target must not change within a playlist.
 * So the target is chosen once, when the first segment closes (the first GOP is then known, and the
 * playback listener serves no playlist before that): the first segment's duration plus headroom
 * (10 %, at least 0.35 s) must round to no more than the target. A later GOP longer than the target
 * allows (target + 0.45 s) is the one case where a segment is cut without a keyframe (counted and
 * logged; the variant then no longer claims EXT-X-INDEPENDENT-SEGMENTS).
 */

/** Anything shorter than target + 0.5 s rounds down to the target; 0.45 leaves room for rounding. */
export const ROUNDING_SLACK_S = 0.45;
const MIN_HEADROOM_S = 0.35;
const HEADROOM_RATIO = 0.1;

/** The target duration (whole seconds) for streams whose first segment lasted `firstSegmentS`. */
export function targetForGop(firstSegmentS: number, minS: number, maxS: number): number {
  const headroom = Math.max(MIN_HEADROOM_S, firstSegmentS * HEADROOM_RATIO);
  // round to 1 µs first so that e.g. 2.0000000001 s does not bump a 2 s GOP to a 3 s target
  const needed = Math.ceil(Math.round((firstSegmentS + headroom - ROUNDING_SLACK_S) * 1e6) / 1e6);
  return Math.min(maxS, Math.max(minS, needed));
}

/** The longest segment (90 kHz ticks) whose EXTINF still rounds to no more than `targetS`. */
export function maxSegmentTicks(targetS: number): number {
  return Math.round((targetS + ROUNDING_SLACK_S) * 90_000);
}
