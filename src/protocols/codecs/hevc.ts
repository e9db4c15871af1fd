/** HEVC bitstream helpers: SPS (ITU-T H.265 7.3.2.2), hvcC (ISO/IEC 14496-15 8.3.3.1), codec strings (Annex E). */
import { ProtocolError, TruncatedError } from '../errors.js';
import { BitReader, unescapeRbsp } from './bit-reader.js';

export const HEVC_NAL_VPS = 32;
export const HEVC_NAL_SPS = 33;
export const HEVC_NAL_PPS = 34;

/** general profile_tier_level fields, as both the SPS and the hvcC carry them */
export interface HevcProfileTierLevel {
  profileSpace: number;
  tier: number;
  profileIdc: number;
  compatFlags: number;
  /** the 48 bits of general constraint indicator flags */
  constraint: Buffer;
  levelIdc: number;
}

export interface HevcSps extends HevcProfileTierLevel {
  width: number;
  height: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: number;
  codecString: string;
}

export interface HevcConfig {
  vps: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
  width: number;
  height: number;
  nalLengthSize: number;
  codecString: string;
}

export const hevcNalType = (nal: Buffer): number => (nal[0]! >> 1) & 0x3f;

function reverseBits32(v: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) r = (r << 1) | ((v >>> i) & 1);
  return r >>> 0;
}

/** ISO/IEC 14496-15 E.3: "hvc1.A1.80000000.L93.B0" style codec string. */
export function hevcCodecString(ptl: HevcProfileTierLevel): string {
  const space = ['', 'A', 'B', 'C'][ptl.profileSpace]!;
  const compat = reverseBits32(ptl.compatFlags).toString(16).toUpperCase();
  let last = ptl.constraint.length;
  while (last > 0 && ptl.constraint[last - 1] === 0) last--;
  const cons = [...ptl.constraint.subarray(0, last)].map((b) => '.' + b.toString(16).toUpperCase()).join('');
  return `hvc1.${space}${ptl.profileIdc}.${compat}.${ptl.tier ? 'H' : 'L'}${ptl.levelIdc}${cons}`;
}

/** Parses an SPS NAL unit (with its 2-byte NAL header). */
export function parseHevcSps(sps: Buffer): HevcSps {
  if (sps.length < 16) throw new TruncatedError('HEVC SPS');
  if (hevcNalType(sps) !== HEVC_NAL_SPS) throw new ProtocolError('HEVC_SPS', 'not an SPS NAL unit');
  const r = new BitReader(unescapeRbsp(sps), 2);
  r.bits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.bits(3);
  const temporalIdNesting = r.bit();
  // profile_tier_level( 1, sps_max_sub_layers_minus1 )
  const profileSpace = r.bits(2);
  const tier = r.bit();
  const profileIdc = r.bits(5);
  const compatFlags = r.bits(32);
  const constraint = Buffer.allocUnsafe(6);
  constraint.writeUIntBE(r.bits(24), 0, 3);
  constraint.writeUIntBE(r.bits(24), 3, 3);
  const levelIdc = r.bits(8);
  const profilePresent: number[] = [];
  const levelPresent: number[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.bit());
    levelPresent.push(r.bit());
  }
  // "if( maxNumSubLayersMinus1 > 0 ) for( i = maxNumSubLayersMinus1; i < 8; i++ ) reserved_zero_2bits"
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skip(88);
    if (levelPresent[i]) r.skip(8);
  }
  r.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc > 3) throw new ProtocolError('HEVC_SPS', `chroma_format_idc ${chromaFormatIdc}`);
  const separateColourPlane = chromaFormatIdc === 3 ? r.bit() : 0;
  let width = r.ue();
  let height = r.ue();
  if (r.bit()) {
    // conformance window offsets are in chroma sample units: SubWidthC / SubHeightC (Table 6-1)
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subW = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subH = chromaArrayType === 1 ? 2 : 1;
    width -= subW * (r.ue() + r.ue());
    height -= subH * (r.ue() + r.ue());
  }
  if (width <= 0 || height <= 0) throw new ProtocolError('HEVC_SPS', 'SPS without a picture');
  const bitDepthLuma = r.ue() + 8;
  const bitDepthChroma = r.ue() + 8;
  const ptl = { profileSpace, tier, profileIdc, compatFlags, constraint, levelIdc };
  return {
    ...ptl,
    width,
    height,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    maxSubLayersMinus1,
    temporalIdNesting,
    codecString: hevcCodecString(ptl),
  };
}

/** Parses an HEVCDecoderConfigurationRecord. */
export function parseHvcC(record: Buffer): HevcConfig {
  if (record.length < 23) throw new TruncatedError('hvcC');
  if (record[0] !== 1) throw new ProtocolError('HVCC', `hvcC configurationVersion ${record[0]}`);
  const vps: Buffer[] = [];
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  const nalLengthSize = (record[21]! & 3) + 1;
  const numArrays = record[22]!;
  let p = 23;
  for (let a = 0; a < numArrays; a++) {
    if (p + 3 > record.length) throw new TruncatedError('hvcC array');
    const type = record[p]! & 0x3f;
    const count = record.readUInt16BE(p + 1);
    p += 3;
    for (let i = 0; i < count; i++) {
      if (p + 2 > record.length) throw new TruncatedError('hvcC NAL unit');
      const len = record.readUInt16BE(p);
      p += 2;
      if (p + len > record.length) throw new TruncatedError('hvcC NAL unit');
      const nal = record.subarray(p, p + len);
      p += len;
      if (type === HEVC_NAL_VPS) vps.push(nal);
      else if (type === HEVC_NAL_SPS) sps.push(nal);
      else if (type === HEVC_NAL_PPS) pps.push(nal);
    }
  }
  if (sps.length === 0) throw new ProtocolError('HVCC', 'hvcC without SPS');
  const info = parseHevcSps(sps[0]!);
  const ptl: HevcProfileTierLevel = {
    profileSpace: record[1]! >> 6,
    tier: (record[1]! >> 5) & 1,
    profileIdc: record[1]! & 0x1f,
    compatFlags: record.readUInt32BE(2),
    constraint: record.subarray(6, 12),
    levelIdc: record[12]!,
  };
  return { vps, sps, pps, width: info.width, height: info.height, nalLengthSize, codecString: hevcCodecString(ptl) };
}

/** Builds an hvcC (4-byte NAL lengths) whose profile/tier/level come from the first SPS. */
export function buildHvcC(vps: Buffer[], sps: Buffer[], pps: Buffer[]): Buffer {
  if (sps.length === 0) throw new ProtocolError('HVCC', 'buildHvcC needs an SPS');
  const info = parseHevcSps(sps[0]!);
  const arrays: [number, Buffer[]][] = [
    [HEVC_NAL_VPS, vps],
    [HEVC_NAL_SPS, sps],
    [HEVC_NAL_PPS, pps],
  ];
  const present = arrays.filter(([, nals]) => nals.length > 0);
  let size = 23;
  for (const [, nals] of present) size += 3 + nals.reduce((n, x) => n + 2 + x.length, 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = 1; // configurationVersion
  out[1] = (info.profileSpace << 6) | (info.tier << 5) | info.profileIdc;
  out.writeUInt32BE(info.compatFlags, 2);
  info.constraint.copy(out, 6);
  out[12] = info.levelIdc;
  out.writeUInt16BE(0xf000, 13); // reserved '1111' + min_spatial_segmentation_idc 0
  out[15] = 0xfc; // reserved + parallelismType 0 (unknown)
  out[16] = 0xfc | info.chromaFormatIdc;
  out[17] = 0xf8 | (info.bitDepthLuma - 8);
  out[18] = 0xf8 | (info.bitDepthChroma - 8);
  out.writeUInt16BE(0, 19); // avgFrameRate unknown
  // constantFrameRate(2) numTemporalLayers(3) temporalIdNested(1) lengthSizeMinusOne(2)
  out[21] = ((info.maxSubLayersMinus1 + 1) << 3) | (info.temporalIdNesting << 2) | 3;
  out[22] = present.length;
  let p = 23;
  for (const [type, nals] of present) {
    out[p++] = 0x80 | type; // array_completeness = 1
    p = out.writeUInt16BE(nals.length, p);
    for (const nal of nals) {
      p = out.writeUInt16BE(nal.length, p);
      p += nal.copy(out, p);
    }
  }
  return out;
}

/** True when a 4-byte length-prefixed access unit holds an IRAP picture (nal_unit_type 16..23). */
export function isHevcKeyframe(lengthPrefixedAu: Buffer): boolean {
  let p = 0;
  while (p + 5 <= lengthPrefixedAu.length) {
    const t = (lengthPrefixedAu[p + 4]! >> 1) & 0x3f;
    if (t >= 16 && t <= 23) return true;
    p += 4 + lengthPrefixedAu.readUInt32BE(p);
  }
  return false;
}
