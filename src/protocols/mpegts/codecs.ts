/** The bitstream helpers the MPEG-TS codecs borrow from src/protocols/codecs (one seam, one place to change). */
export { buildAvcC, parseAvcC } from '../codecs/h264.js';
export { buildHvcC, parseHvcC } from '../codecs/hevc.js';
export { parseAdtsHeader, buildAudioSpecificConfig, parseAudioSpecificConfig } from '../codecs/aac.js';
export { splitAnnexB, annexBToLengthPrefixed } from '../codecs/annexb.js';
