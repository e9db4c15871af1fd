/**
 * RTMP chunking without copying the payload (RTMP 1.0 spec, section 5.3): one message becomes a list of
 * buffers - the first chunk's header (with room for a caller-written prefix such as an FLV tag header),
 * views of the payload, and the one-byte (fmt 3) headers between chunks - for one vectored socket write.
 * Concatenated, the list is byte-identical to RtmpChunkWriter.write of prefix + payload.
 */
import { ProtocolError } from '../errors.js';

/** fmt 3 continuation headers of chunk streams 2..63, shared (they never change). */
const FMT3 = Array.from({ length: 64 }, (_, csid) => Buffer.of((3 << 6) | csid));

function checkCsid(csid: number): void {
  // One-byte basic headers only: the media and command chunk streams of a client are all below 64.
  if (csid < 2 || csid > 63) throw new ProtocolError('RTMP_CSID', `chunk stream id ${csid} out of range 2..63`);
}

/** Bytes of a type 0 chunk header for this timestamp: basic (1) + message header (11) + extended timestamp. */
export const messageHeaderLength = (timestamp: number): number => ((timestamp >>> 0) >= 0xffffff ? 16 : 12);

/**
 * Writes a type 0 chunk header at `out[offset]`; returns the offset after it.
 * "Extended Timestamp ... present in Type 0 chunks when the timestamp is greater than or equal to 16777215".
 */
export function writeMessageHeader(out: Buffer, offset: number, csid: number, type: number, streamId: number, timestamp: number, length: number): number {
  checkCsid(csid);
  const ts = timestamp >>> 0;
  const ext = ts >= 0xffffff;
  out[offset] = csid;
  out.writeUIntBE(ext ? 0xffffff : ts, offset + 1, 3);
  out.writeUIntBE(length, offset + 4, 3);
  out[offset + 7] = type;
  out.writeUInt32LE(streamId >>> 0, offset + 8); // message stream id is little-endian
  if (ext) out.writeUInt32BE(ts, offset + 12);
  return offset + (ext ? 16 : 12);
}

/**
 * Appends `payload` to `out` as chunk data after a first chunk that already holds `used` bytes of the
 * message (the prefix written right after the header), inserting fmt 3 headers every `chunkSize` bytes.
 * The extended timestamp is repeated on fmt 3 chunks, as ffmpeg, librtmp and OBS expect.
 */
export function pushChunkedPayload(out: Buffer[], chunkSize: number, csid: number, timestamp: number, used: number, payload: Buffer): void {
  checkCsid(csid);
  if (used > chunkSize) throw new ProtocolError('RTMP_CHUNK', 'message prefix longer than the chunk size');
  const ts = timestamp >>> 0;
  let cont: Buffer = FMT3[csid]!;
  if (ts >= 0xffffff) {
    cont = Buffer.allocUnsafe(5);
    cont[0] = (3 << 6) | csid;
    cont.writeUInt32BE(ts, 1);
  }
  let room = chunkSize - used;
  let off = 0;
  while (off < payload.length) {
    if (room === 0) {
      out.push(cont);
      room = chunkSize;
    }
    const n = Math.min(room, payload.length - off);
    out.push(off === 0 && n === payload.length ? payload : payload.subarray(off, off + n));
    off += n;
    room -= n;
  }
}
