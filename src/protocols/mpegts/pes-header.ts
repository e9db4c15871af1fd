/** PES packet header (ISO/IEC 13818-1 2.4.3.6): parse PTS/DTS out of it, or write one. */
import { TS_CLOCK_WRAP } from './ts-constants.js';

export interface PesHeader {
  streamId: number;
  /** PES_packet_length: bytes after this field, 0 = unbounded (video only) */
  packetLength: number;
  /** offset of the first payload byte within the PES */
  payloadOffset: number;
  /** raw 33-bit values */
  pts?: number;
  dts?: number;
}

/** stream_ids without the optional header (program_stream_map, padding, private_stream_2, ECM, EMM, directory, DSMCC, H.222.1 E). */
function hasOptionalHeader(streamId: number): boolean {
  return ![0xbc, 0xbe, 0xbf, 0xf0, 0xf1, 0xff, 0xf2, 0xf8].includes(streamId);
}

/** "PTS[32..30] marker PTS[29..15] marker PTS[14..0] marker" in 5 bytes. */
export function readTimestamp(buf: Buffer, pos: number): number {
  const high = (buf[pos]! >> 1) & 0x07;
  const mid = buf.readUInt16BE(pos + 1) >> 1;
  const low = buf.readUInt16BE(pos + 3) >> 1;
  return high * 2 ** 30 + mid * 2 ** 15 + low;
}

export function writeTimestamp(buf: Buffer, pos: number, prefix: number, value: number): void {
  const v = ((Math.floor(value) % TS_CLOCK_WRAP) + TS_CLOCK_WRAP) % TS_CLOCK_WRAP;
  const high = Math.floor(v / 2 ** 30);
  const mid = Math.floor(v / 2 ** 15) & 0x7fff;
  const low = v & 0x7fff;
  buf[pos] = (prefix << 4) | (high << 1) | 1;
  buf.writeUInt16BE((mid << 1) | 1, pos + 1);
  buf.writeUInt16BE((low << 1) | 1, pos + 3);
}

/** Parse the start of an assembled PES; undefined when it is not a well-formed header. */
export function parsePesHeader(pes: Buffer): PesHeader | undefined {
  // packet_start_code_prefix "0x000001"
  if (pes.length < 6 || pes[0] !== 0 || pes[1] !== 0 || pes[2] !== 1) return undefined;
  const streamId = pes[3]!;
  const packetLength = pes.readUInt16BE(4);
  if (!hasOptionalHeader(streamId)) return { streamId, packetLength, payloadOffset: 6 };
  // '10' marker bits, then the flags byte and PES_header_data_length.
  if (pes.length < 9 || (pes[6]! & 0xc0) !== 0x80) return undefined;
  const ptsDtsFlags = pes[7]! >> 6;
  const payloadOffset = 9 + pes[8]!;
  if (payloadOffset > pes.length) return undefined;
  const header: PesHeader = { streamId, packetLength, payloadOffset };
  // PTS_DTS_flags: '10' PTS only, '11' PTS and DTS, '01' forbidden.
  if (ptsDtsFlags & 0b10) {
    if (payloadOffset < 14) return undefined;
    header.pts = readTimestamp(pes, 9);
    if (ptsDtsFlags === 0b11) {
      if (payloadOffset < 19) return undefined;
      header.dts = readTimestamp(pes, 14);
    }
  }
  return header;
}

/**
 * Build a PES header with PTS (and DTS when it differs). `payloadLength` sets PES_packet_length;
 * video may exceed 16 bits, in which case the length is written as 0 ("only allowed for video").
 */
export function buildPesHeader(streamId: number, pts: number, dts: number | undefined, payloadLength: number): Buffer {
  const withDts = dts !== undefined && dts !== pts;
  const headerDataLength = withDts ? 10 : 5;
  const header = Buffer.alloc(9 + headerDataLength);
  header[2] = 1;
  header[3] = streamId;
  const packetLength = 3 + headerDataLength + payloadLength;
  header.writeUInt16BE(packetLength > 0xffff ? 0 : packetLength, 4);
  header[6] = 0x84; // '10', not scrambled, data_alignment_indicator: the payload starts with an access unit
  header[7] = withDts ? 0xc0 : 0x80;
  header[8] = headerDataLength;
  writeTimestamp(header, 9, withDts ? 0b0011 : 0b0010, pts);
  if (withDts) writeTimestamp(header, 14, 0b0001, dts);
  return header;
}
