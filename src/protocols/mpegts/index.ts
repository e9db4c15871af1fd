/** MPEG-TS codecs: the demuxer (bytes to frames) and the muxer (frames to bytes). */
export { TsDemuxer, type TsDemuxerOptions } from './ts-demuxer.js';
export type { TsDemuxerStats } from './ts-demuxer-stats.js';
export { TsMuxer, type TsMuxerOptions } from './ts-muxer.js';
