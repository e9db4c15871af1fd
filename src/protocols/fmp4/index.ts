/** fMP4 (CMAF) writer: init segments and movie fragments, pure bytes. */
export { buildInitSegment, trackTimescale } from './init-segment.js';
export { buildFragment, type FragmentSample, type FragmentTrack } from './fragment.js';
export { SYNC_SAMPLE_FLAGS, NON_SYNC_SAMPLE_FLAGS, sampleFlags } from './sample-flags.js';
