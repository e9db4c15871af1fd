/** The LL-HLS packager: frames in, CMAF parts/segments and playlists out. */
export { LivePackager } from './live-packager.js';
export type { GopInfo, LivePart, LiveSegment, VariantInfo } from './live-segment.js';
export type { ClosedSegment, LivePackagerOptions, ResolvedPackagerOptions } from './packager-options.js';
export { targetForGop } from './target-duration.js';
export { MEDIA_PLAYLIST_NAME, initName, partName, segmentName, parseMediaFileName, type MediaFileName } from './uri-names.js';
