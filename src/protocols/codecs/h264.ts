/** H.264 bitstream helpers: SPS parsing (ITU-T H.264 7.3.2.1.1), avcC (ISO/IEC 14496-15 5.3.3.1), keyframes. */
import { ProtocolError, TruncatedError } from '../errors.js';
import { BitReader, unescapeRbsp } from './bit-reader.js';

export interface H264Sps {
  width: number;
  height: number;
  profile: number;
  compat: number;
  level: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

export interface AvcConfig {
  sps: Buffer[];
  pps: Buffer[];
  profile: number;
  compat: number;
  level: number;
  nalLengthSize: number;
  width: number;
  height: number;
  codecString: string;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (with its 1-byte NAL header). */
export function parseSps(sps: Buffer): H264Sps {
  if (sps.length < 4) throw new TruncatedError('H.264 SPS');
  if ((sps[0]! & 0x1f) !== 7) throw new ProtocolError('H264_SPS', 'not an SPS NAL unit');
  const r = new BitReader(unescapeRbsp(sps), 1);
  const profile = r.bits(8);
  const compat = r.bits(8);
  const level = r.bits(8);
  r.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) separateColourPlane = r.bit();
    bitDepthLuma = r.ue() + 8;
    bitDepthChroma = r.ue() + 8;
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {
      // seq_scaling_matrix_present_flag: "for( i = 0; i < ( ( chroma_format_idc != 3 ) ? 8 : 12 ); i++ )"
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.bit(); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const n = r.ue();
    if (n > 255) throw new ProtocolError('H264_SPS', 'num_ref_frames_in_pic_order_cnt_cycle > 255');
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  let cropL = 0;
  let cropR = 0;
  let cropT = 0;
  let cropB = 0;
  if (r.bit()) {
    cropL = r.ue();
    cropR = r.ue();
    cropT = r.ue();
    cropB = r.ue();
  }
  // 7.4.2.1.1: ChromaArrayType = separate_colour_plane_flag ? 0 : chroma_format_idc;
  // CropUnitX = ChromaArrayType == 0 ? 1 : SubWidthC; CropUnitY = (ChromaArrayType == 0 ? 1 : SubHeightC) * (2 - frame_mbs_only_flag)
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
  const width = widthMbs * 16 - cropUnitX * (cropL + cropR);
  const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (cropT + cropB);
  if (width <= 0 || height <= 0) throw new ProtocolError('H264_SPS', 'cropping leaves no picture');
  return { width, height, profile, compat, level, chromaFormatIdc, bitDepthLuma, bitDepthChroma };
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** RFC 6381 "avc1.PPCCLL". */
export const avcCodecString = (profile: number, compat: number, level: number): string =>
  `avc1.${hex2(profile)}${hex2(compat)}${hex2(level)}`;

/** Parses an AVCDecoderConfigurationRecord. */
export function parseAvcC(record: Buffer): AvcConfig {
  if (record.length < 7) throw new TruncatedError('avcC');
  if (record[0] !== 1) throw new ProtocolError('AVCC', `avcC configurationVersion ${record[0]}`);
  const nalLengthSize = (record[4]! & 3) + 1;
  let p = 6;
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  const readSet = (into: Buffer[], count: number): void => {
    for (let i = 0; i < count; i++) {
      if (p + 2 > record.length) throw new TruncatedError('avcC parameter set');
      const len = record.readUInt16BE(p);
      p += 2;
      if (p + len > record.length) throw new TruncatedError('avcC parameter set');
      into.push(record.subarray(p, p + len));
      p += len;
    }
  };
  readSet(sps, record[5]! & 0x1f);
  if (p >= record.length) throw new TruncatedError('avcC numOfPictureParameterSets');
  const numPps = record[p++]!;
  readSet(pps, numPps);
  if (sps.length === 0) throw new ProtocolError('AVCC', 'avcC without SPS');
  const info = parseSps(sps[0]!);
  return {
    sps,
    pps,
    profile: record[1]!,
    compat: record[2]!,
    level: record[3]!,
    nalLengthSize,
    width: info.width,
    height: info.height,
    codecString: avcCodecString(record[1]!, record[2]!, record[3]!),
  };
}

/** Builds an avcC with 4-byte NAL lengths (and the high-profile extension fields). */
export function buildAvcC(sps: Buffer[], pps: Buffer[]): Buffer {
  if (sps.length === 0 || sps[0]!.length < 4) throw new ProtocolError('AVCC', 'buildAvcC needs an SPS');
  const first = sps[0]!;
  const profile = first[1]!;
  const withExt = profile === 100 || profile === 110 || profile === 122 || profile === 144;
  const size = 7 + sps.reduce((n, s) => n + 2 + s.length, 0) + pps.reduce((n, s) => n + 2 + s.length, 0) + (withExt ? 4 : 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = 1;
  out[1] = profile;
  out[2] = first[2]!;
  out[3] = first[3]!;
  out[4] = 0xfc | 3; // reserved '111111' + lengthSizeMinusOne = 3
  out[5] = 0xe0 | sps.length; // reserved '111' + numOfSequenceParameterSets
  let p = 6;
  for (const s of sps) {
    p = out.writeUInt16BE(s.length, p);
    p += s.copy(out, p);
  }
  out[p++] = pps.length;
  for (const s of pps) {
    p = out.writeUInt16BE(s.length, p);
    p += s.copy(out, p);
  }
  if (withExt) {
    // "if( profile_idc == 100 || profile_idc == 110 || profile_idc == 122 || profile_idc == 144 )"
    const info = parseSps(first);
    out[p++] = 0xfc | info.chromaFormatIdc;
    out[p++] = 0xf8 | (info.bitDepthLuma - 8);
    out[p++] = 0xf8 | (info.bitDepthChroma - 8);
    out[p++] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

/** True when a 4-byte length-prefixed access unit holds an IDR slice (nal_unit_type 5). */
export function isH264Keyframe(lengthPrefixedAu: Buffer): boolean {
  let p = 0;
  const n = lengthPrefixedAu.length;
  while (p + 5 <= n) {
    const len = lengthPrefixedAu.readUInt32BE(p);
    if ((lengthPrefixedAu[p + 4]! & 0x1f) === 5) return true;
    p += 4 + len;
  }
  return false;
}
