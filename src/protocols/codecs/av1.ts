/** AV1 helpers: av1C (AV1 Codec ISO Media File Format Binding 2.3) and the sequence header OBU (AV1 spec 5.5). */
import { ProtocolError, TruncatedError } from '../errors.js';
import { BitReader } from './bit-reader.js';

export interface Av1Config {
  width?: number;
  height?: number;
  profile: number;
  level: number;
  tier: number;
  bitDepth: number;
  codecString: string;
}

const OBU_SEQUENCE_HEADER = 1;

/** leb128() (AV1 spec 4.10.5): returns [value, bytes read]. */
export function readLeb128(buf: Buffer, offset: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (offset + i >= buf.length) throw new TruncatedError('leb128');
    const b = buf[offset + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return [value, i + 1];
  }
  throw new ProtocolError('AV1_LEB128', 'leb128 longer than 8 bytes');
}

/** Best effort: max_frame_width/height from a sequence_header_obu payload. */
function parseSequenceHeader(payload: Buffer): { width: number; height: number } {
  const r = new BitReader(payload);
  r.bits(3); // seq_profile
  r.bit(); // still_picture
  const reduced = r.bit();
  if (reduced) {
    r.bits(5); // seq_level_idx[0]
  } else {
    let decoderModelInfo = 0;
    let bufferDelayLength = 0;
    if (r.bit()) {
      // timing_info()
      r.skip(64); // num_units_in_display_tick, time_scale
      if (r.bit()) {
        // num_ticks_per_picture_minus_1: uvlc()
        let zeros = 0;
        while (r.bit() === 0) if (++zeros >= 32) throw new ProtocolError('AV1_SEQ', 'uvlc too long');
        r.skip(zeros);
      }
      decoderModelInfo = r.bit();
      if (decoderModelInfo) {
        bufferDelayLength = r.bits(5) + 1;
        r.skip(32 + 5 + 5); // num_units_in_decoding_tick, buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelay = r.bit();
    const ops = r.bits(5) + 1;
    for (let i = 0; i < ops; i++) {
      r.skip(12); // operating_point_idc
      const level = r.bits(5);
      if (level > 7) r.bit(); // seq_tier
      if (decoderModelInfo && r.bit()) r.skip(2 * bufferDelayLength + 1);
      if (initialDisplayDelay && r.bit()) r.skip(4);
    }
  }
  const wBits = r.bits(4) + 1;
  const hBits = r.bits(4) + 1;
  return { width: r.bits(wBits) + 1, height: r.bits(hBits) + 1 };
}

/** Parses an AV1CodecConfigurationRecord; dimensions come from a sequence header OBU in configOBUs, if any. */
export function parseAv1C(record: Buffer): Av1Config {
  if (record.length < 4) throw new TruncatedError('av1C');
  // "marker (1) = 1, version (7) = 1"
  if (record[0] !== 0x81) throw new ProtocolError('AV1C', 'av1C marker/version is not 0x81');
  const profile = record[1]! >> 5;
  const level = record[1]! & 0x1f;
  const tier = record[2]! >> 7;
  const highBitdepth = (record[2]! >> 6) & 1;
  const twelveBit = (record[2]! >> 5) & 1;
  const bitDepth = highBitdepth ? (twelveBit ? 12 : 10) : 8;
  const codecString = `av01.${profile}.${String(level).padStart(2, '0')}${tier ? 'H' : 'M'}.${String(bitDepth).padStart(2, '0')}`;
  const out: Av1Config = { profile, level, tier, bitDepth, codecString };
  let p = 4;
  try {
    while (p < record.length) {
      const header = record[p]!;
      const type = (header >> 3) & 0xf;
      const ext = (header >> 2) & 1;
      const hasSize = (header >> 1) & 1;
      p += 1 + ext;
      let size = record.length - p;
      if (hasSize) {
        const [v, n] = readLeb128(record, p);
        p += n;
        size = v;
      }
      if (p + size > record.length) throw new TruncatedError('av1C OBU');
      if (type === OBU_SEQUENCE_HEADER) {
        Object.assign(out, parseSequenceHeader(record.subarray(p, p + size)));
        break;
      }
      p += size;
    }
  } catch (err) {
    // best effort: a broken configOBUs still leaves a usable codec string
    if (!(err instanceof ProtocolError)) throw err;
  }
  return out;
}
