/** RTMP chunk writer: splits the server's own messages into chunks (fmt 0 first, fmt 3 continuation). */
import { ProtocolError } from '../errors.js';

export const DEFAULT_CHUNK_SIZE = 128;

export class RtmpChunkWriter {
  /** Outgoing chunk size; change it only right after sending Set Chunk Size with the same value. */
  chunkSize = DEFAULT_CHUNK_SIZE;

  /** Serialises one message into a single buffer of chunks. */
  write(csid: number, type: number, streamId: number, timestamp: number, payload: Buffer): Buffer {
    if (csid < 2 || csid > 65599) throw new ProtocolError('RTMP_CSID', `chunk stream id ${csid} out of range`);
    const basicLen = csid < 64 ? 1 : csid < 320 ? 2 : 3;
    const ts = timestamp >>> 0;
    // "Extended Timestamp ... present in Type 0 chunks when the timestamp is greater than or equal
    // to 16777215"; we also repeat it on fmt 3 chunks, as ffmpeg, librtmp and OBS expect.
    const ext = ts >= 0xffffff;
    const extLen = ext ? 4 : 0;
    const chunks = Math.max(1, Math.ceil(payload.length / this.chunkSize));
    const total = basicLen + 11 + extLen + payload.length + (chunks - 1) * (basicLen + extLen);
    const out = Buffer.allocUnsafe(total);
    let p = writeBasic(out, 0, 0, csid);
    out.writeUIntBE(ext ? 0xffffff : ts, p, 3);
    out.writeUIntBE(payload.length, p + 3, 3);
    out[p + 6] = type;
    out.writeUInt32LE(streamId >>> 0, p + 7); // message stream id is little-endian
    p += 11;
    if (ext) p = out.writeUInt32BE(ts, p);
    for (let off = 0; off < payload.length || off === 0; ) {
      if (off > 0) {
        p = writeBasic(out, p, 3, csid);
        if (ext) p = out.writeUInt32BE(ts, p);
      }
      const n = Math.min(this.chunkSize, payload.length - off);
      payload.copy(out, p, off, off + n);
      p += n;
      off += n;
      if (n === 0) break;
    }
    return out;
  }
}

function writeBasic(out: Buffer, p: number, fmt: number, csid: number): number {
  if (csid < 64) {
    out[p] = (fmt << 6) | csid;
    return p + 1;
  }
  if (csid < 320) {
    out[p] = fmt << 6;
    out[p + 1] = csid - 64;
    return p + 2;
  }
  out[p] = (fmt << 6) | 1;
  out[p + 1] = (csid - 64) & 0xff;
  out[p + 2] = (csid - 64) >> 8;
  return p + 3;
}
