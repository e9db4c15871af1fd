/** trun/trex sample_flags values (ISO/IEC 14496-12 §8.8.3.1). */

/**
 * "sample_depends_on = 2: this sample does not depend on others (I picture)";
 * sample_is_non_sync_sample = 0. Used for video keyframes and every audio sample.
 */
export const SYNC_SAMPLE_FLAGS = 0x02000000;

/** sample_depends_on = 1 ("depends on others, not an I picture"), sample_is_non_sync_sample = 1. */
export const NON_SYNC_SAMPLE_FLAGS = 0x01010000;

export function sampleFlags(keyframe: boolean): number {
  return keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS;
}
