/** Rewrites a length-prefixed video sample as an Annex B access unit: AUD, parameter sets on keyframes, NALs. */
import type { VideoCodec } from '../../media/frame.js';
import { ProtocolError } from '../errors.js';

const START_CODE = Buffer.from([0, 0, 0, 1]);
/** H.264 AUD: nal_unit_type 9, primary_pic_type 7 ("any slice type"), rbsp stop bit. */
const H264_AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
/** HEVC AUD: nal_unit_type 35, nuh_temporal_id_plus1 1, pic_type 2 (I, P, B), rbsp stop bit. */
const HEVC_AUD = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);

/** In-band AUDs are dropped: this writer puts its own first. */
function isAud(codec: VideoCodec, nal: Buffer): boolean {
  return codec === 'h264' ? (nal[0]! & 0x1f) === 9 : ((nal[0]! >> 1) & 0x3f) === 35;
}

export interface AnnexBAccessUnit {
  pieces: Buffer[];
  length: number;
}

/**
 * Build the pieces (views, no copy of NAL data) of an Annex B AU. "When an access unit delimiter
 * NAL unit is present, it shall be the first NAL unit" (H.264 7.4.1.2.3), and "each AVC access unit
 * shall contain an access unit delimiter NAL Unit" in MPEG-TS (ISO/IEC 13818-1 2.14.1).
 */
export function buildAnnexBAccessUnit(
  codec: VideoCodec,
  sample: Buffer,
  nalLengthSize: number,
  keyframe: boolean,
  parameterSets: readonly Buffer[],
): AnnexBAccessUnit {
  const aud = codec === 'h264' ? H264_AUD : HEVC_AUD;
  const pieces: Buffer[] = [aud];
  let length = aud.length;
  if (keyframe) {
    for (const ps of parameterSets) {
      pieces.push(START_CODE, ps);
      length += START_CODE.length + ps.length;
    }
  }
  let pos = 0;
  while (pos < sample.length) {
    if (pos + nalLengthSize > sample.length) throw new ProtocolError('TS_BAD_FRAME', 'truncated NAL length in video sample');
    const size = sample.readUIntBE(pos, nalLengthSize);
    pos += nalLengthSize;
    if (size === 0) continue;
    if (pos + size > sample.length) throw new ProtocolError('TS_BAD_FRAME', 'NAL unit overruns the video sample');
    const nal = sample.subarray(pos, pos + size);
    pos += size;
    if (isAud(codec, nal)) continue;
    pieces.push(START_CODE, nal);
    length += START_CODE.length + nal.length;
  }
  return { pieces, length };
}
