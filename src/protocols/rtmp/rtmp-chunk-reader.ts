/**
 * Incremental RTMP chunk stream reader (RTMP 1.0 spec, section 5.3): bytes in arbitrary slices,
 * reassembled messages out. Single-chunk messages come out as views of the input (no copy);
 * multi-chunk ones are assembled into one buffer allocated once at the message length, or, for audio and
 * video with `slabs` on, into a piece of a recycled slab (slab-pool.ts): such a message carries its `slab`,
 * holding one reference that the reader's caller releases once it has handled the message.
 *
 * Memory bounds: a message header longer than `maxMessageLength` is refused before anything is allocated;
 * partly assembled messages of one reader are bounded by `maxPendingBytes`, and of every reader sharing an
 * `AssemblyBudget` by that budget. The limits can change at run time (`setLimits`): a server keeps them
 * small until a publisher is authorized. `dispose()` gives the reserved bytes back.
 */
import { ProtocolError } from '../errors.js';
import { releaseSlab, SLAB_MAX_PIECE, SlabCursor, type Slab } from '../slab-pool.js';
import { MessageType, type RtmpMessage } from './rtmp-message.js';
import { DEFAULT_CHUNK_SIZE } from './rtmp-chunk-writer.js';

export interface ChunkReaderLimits {
  /** largest message accepted (default 16 MiB; the wire format itself stops at 16 MiB - 1) */
  maxMessageLength: number;
  /** largest Set Chunk Size accepted from the peer (default 16 MiB) */
  maxChunkSize: number;
  /** distinct chunk stream ids a peer may use (default 64; encoders use fewer than 10) */
  maxChunkStreams: number;
  /** bytes held by partially received messages across all chunk streams (default 32 MiB) */
  maxPendingBytes: number;
  /**
   * assemble audio and video messages up to SLAB_MAX_PIECE in recycled slabs (default false. On: no ArrayBuffer
   * per frame for the garbage collector, and a consumer may keep the bytes by retaining the slab instead of copying
   * them; but a slab is 512 KiB however few bytes a peer sent, so a server turns it on once a peer is trusted, and
   * the caller must `releaseSlab(message.slab)` once it has handled a message that has one).
   */
  slabs: boolean;
  /** a budget shared with other readers: every partly assembled message reserves its length there first */
  budget?: AssemblyBudget;
}

/** Bytes of partly assembled messages shared by many readers (all the connections of a server). */
export interface AssemblyBudget {
  /** reserves `bytes`; false (nothing reserved) when that would exceed the budget */
  reserve(bytes: number): boolean;
  release(bytes: number): void;
}

const DEFAULT_LIMITS: ChunkReaderLimits = {
  maxMessageLength: 16 * 1024 * 1024,
  maxChunkSize: 16 * 1024 * 1024,
  maxChunkStreams: 64,
  maxPendingBytes: 32 * 1024 * 1024,
  slabs: false,
};

/** Longest chunk header: 3-byte basic header + 11-byte type 0 header + 4-byte extended timestamp. */
const MAX_HEADER = 18;
const MESSAGE_HEADER_LENGTH = [11, 7, 3, 0];

interface ChunkStream {
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** the last fmt 0-2 header of this chunk stream used an extended timestamp */
  extended: boolean;
  extValue: number;
  buf: Buffer | null;
  /** the recycled slab `buf` was carved from (one reference), or null */
  slab: Slab | null;
  received: number;
}


export class RtmpChunkReader {
  /** the peer's chunk size (changed by its Set Chunk Size) */
  chunkSize = DEFAULT_CHUNK_SIZE;
  /** total bytes fed (for Acknowledgement sequence numbers) */
  bytesReceived = 0;
  private limits: ChunkReaderLimits;
  private readonly streams = new Map<number, ChunkStream>();
  /** bytes of a chunk header split across two feeds */
  private carry: Buffer | null = null;
  /** chunk stream whose chunk payload is being read, or null when a header comes next */
  private cur: ChunkStream | null = null;
  private curCsid = 0;
  private chunkRemaining = 0;
  private pendingBytes = 0;
  /** where audio and video messages are assembled (slabs on) */
  private readonly slabs = new SlabCursor();

  constructor(limits: Partial<ChunkReaderLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Changes limits from now on (messages already being assembled keep their buffers). */
  setLimits(limits: Partial<ChunkReaderLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  /** Bytes reserved by partly assembled messages. */
  get pending(): number {
    return this.pendingBytes;
  }

  /** Drops every partly assembled message and gives its bytes back to the budget (idempotent). */
  dispose(): void {
    for (const s of this.streams.values()) {
      if (s.slab !== null) releaseSlab(s.slab);
      s.slab = null;
      s.buf = null;
      s.received = 0;
    }
    if (this.pendingBytes > 0) this.limits.budget?.release(this.pendingBytes);
    this.pendingBytes = 0;
    this.cur = null;
    this.carry = null;
    this.slabs.close();
  }

  /**
   * Consumes `data` and returns the messages it completes (control messages 1 and 2 already applied). When it throws,
   * the messages it had completed are dropped, their slabs released.
   */
  feed(data: Buffer): RtmpMessage[] {
    const out: RtmpMessage[] = [];
    try {
      return this.read(data, out);
    } catch (err) {
      for (const m of out) if (m.slab) releaseSlab(m.slab);
      throw err;
    }
  }

  private read(data: Buffer, out: RtmpMessage[]): RtmpMessage[] {
    this.bytesReceived += data.length;
    let pos = 0;
    if (this.carry !== null) {
      const carried = this.carry.length;
      const joined = Buffer.concat([this.carry, data.subarray(0, MAX_HEADER)]);
      const hl = this.header(joined, 0, out);
      if (hl < 0) {
        this.carry = joined;
        return out;
      }
      this.carry = null;
      if (hl >= carried) {
        pos = hl - carried;
      } else {
        // The header ended inside the carried bytes (a peeked extended timestamp that was payload after
        // all): the rest of the carry is payload. Rare, so a copy is fine.
        data = Buffer.concat([joined.subarray(hl, carried), data]);
      }
    }
    const len = data.length;
    while (pos < len) {
      const s = this.cur;
      if (s === null) {
        const hl = this.header(data, pos, out);
        if (hl < 0) {
          this.carry = Buffer.from(data.subarray(pos));
          break;
        }
        pos += hl;
        continue;
      }
      const avail = len - pos;
      if (s.buf === null && s.received === 0 && this.chunkRemaining === s.length && avail >= s.length) {
        // Whole message in one chunk and in this slice: hand out a view.
        this.cur = null;
        this.emit(s, this.curCsid, data.subarray(pos, pos + s.length), null, out);
        pos += s.length;
        continue;
      }
      if (s.buf === null) {
        const need = s.length;
        if (this.pendingBytes + need > this.limits.maxPendingBytes) {
          throw new ProtocolError('RTMP_PENDING', `more than ${this.limits.maxPendingBytes} bytes of partial messages`);
        }
        const budget = this.limits.budget;
        if (budget !== undefined && !budget.reserve(need)) {
          throw new ProtocolError('RTMP_BUDGET', `no room for a ${need}-byte message in the shared assembly budget`);
        }
        this.pendingBytes += need;
        if (this.limits.slabs && need <= SLAB_MAX_PIECE && (s.type === MessageType.Audio || s.type === MessageType.Video)) {
          s.buf = this.slabs.carve(need);
          s.slab = this.slabs.slab;
        } else {
          s.buf = Buffer.allocUnsafeSlow(need);
        }
      }
      const n = avail < this.chunkRemaining ? avail : this.chunkRemaining;
      data.copy(s.buf, s.received, pos, pos + n);
      s.received += n;
      pos += n;
      this.chunkRemaining -= n;
      if (this.chunkRemaining === 0) {
        this.cur = null;
        if (s.received === s.length) {
          const payload = s.buf;
          const slab = s.slab;
          this.pendingBytes -= s.length;
          this.limits.budget?.release(s.length);
          s.buf = null;
          s.slab = null;
          s.received = 0;
          this.emit(s, this.curCsid, payload, slab, out);
        }
      }
    }
    return out;
  }

  /** Parses one chunk header at `p`; returns its length, or -1 when `buf` ends first (state untouched). */
  private header(buf: Buffer, start: number, out: RtmpMessage[]): number {
    const len = buf.length;
    let p = start;
    if (p >= len) return -1;
    const b0 = buf[p++]!;
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    // "Chunk stream IDs 64-319 can be encoded in the 2-byte form... 64-65599 in the 3-byte form"
    if (csid === 0) {
      if (p + 1 > len) return -1;
      csid = buf[p]! + 64;
      p += 1;
    } else if (csid === 1) {
      if (p + 2 > len) return -1;
      csid = buf[p]! + buf[p + 1]! * 256 + 64;
      p += 2;
    }
    const mh = MESSAGE_HEADER_LENGTH[fmt]!;
    if (p + mh > len) return -1;
    let s = this.streams.get(csid);
    const tsField = fmt <= 2 ? buf.readUIntBE(p, 3) : 0;
    const extended = fmt <= 2 ? tsField === 0xffffff : s !== undefined && s.extended;
    let extLen = 0;
    let extValue = 0;
    if (extended) {
      if (p + mh + 4 > len) return -1;
      extValue = buf.readUInt32BE(p + mh);
      extLen = 4;
      // Type 3 continuation chunks repeat the extended timestamp (ffmpeg, librtmp, OBS do); a few
      // encoders omit it, so a continuation consumes the 4 bytes only when they repeat the value.
      if (fmt === 3 && s !== undefined && s.received > 0 && extValue !== s.extValue) extLen = 0;
    }
    // The header is complete: validate, then mutate state.
    if (s === undefined) {
      // The first chunk on a chunk stream carries a full header; librtmp starts some with type 1.
      if (fmt >= 2) throw new ProtocolError('RTMP_CHUNK_STATE', `chunk type ${fmt} on new chunk stream ${csid}`);
      if (this.streams.size >= this.limits.maxChunkStreams) {
        throw new ProtocolError('RTMP_CHUNK_STREAMS', `more than ${this.limits.maxChunkStreams} chunk streams`);
      }
      s = { timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, extValue: 0, buf: null, slab: null, received: 0 };
      this.streams.set(csid, s);
    }
    if (fmt <= 1) {
      const length = buf.readUIntBE(p + 3, 3);
      if (length > this.limits.maxMessageLength) {
        throw new ProtocolError('RTMP_MESSAGE_LENGTH', `message length ${length} over ${this.limits.maxMessageLength}`);
      }
    }
    if (fmt !== 3 && s.received > 0) {
      // A new message header in the middle of a message: the partial message is lost (before the length
      // changes: its reservation was for the old length).
      this.dropPartial(s);
    }
    if (fmt <= 1) {
      s.length = buf.readUIntBE(p + 3, 3);
      s.type = buf[p + 6]!;
      if (fmt === 0) s.streamId = buf.readUInt32LE(p + 7);
    }
    if (fmt <= 2) {
      s.extended = extended;
      if (extended) s.extValue = extValue;
    }
    if (s.received === 0) {
      const field = extended ? extValue : tsField;
      if (fmt === 0) {
        // "If a Type 0 chunk precedes [a Type 3 chunk], the timestamp delta is the timestamp of the first message"
        s.timestamp = field;
        s.delta = field;
      } else if (fmt <= 2) {
        s.delta = field;
        s.timestamp = (s.timestamp + field) >>> 0;
      } else {
        s.timestamp = (s.timestamp + s.delta) >>> 0;
      }
    }
    p += mh + extLen;
    const left = s.length - s.received;
    this.chunkRemaining = left < this.chunkSize ? left : this.chunkSize;
    if (s.length === 0) {
      this.emit(s, csid, Buffer.alloc(0), null, out);
    } else {
      this.cur = s;
      this.curCsid = csid;
    }
    return p - start;
  }

  private dropPartial(s: ChunkStream): void {
    if (s.buf !== null) {
      this.pendingBytes -= s.length;
      this.limits.budget?.release(s.length);
    }
    if (s.slab !== null) releaseSlab(s.slab);
    s.slab = null;
    s.buf = null;
    s.received = 0;
  }

  private emit(s: ChunkStream, csid: number, payload: Buffer, slab: Slab | null, out: RtmpMessage[]): void {
    if (s.type === MessageType.SetChunkSize) {
      if (payload.length < 4) throw new ProtocolError('RTMP_CONTROL', 'short Set Chunk Size');
      const size = payload.readUInt32BE(0);
      // "The maximum chunk size can be 65536 bytes and minimum 128 bytes"... in practice encoders send up to
      // 16 MiB; bit 0 "MUST be zero", and 0 is meaningless.
      if (size === 0 || size > 0x7fffffff || size > this.limits.maxChunkSize) {
        throw new ProtocolError('RTMP_CHUNK_SIZE', `invalid peer chunk size ${size}`);
      }
      this.chunkSize = size;
    } else if (s.type === MessageType.Abort) {
      if (payload.length < 4) throw new ProtocolError('RTMP_CONTROL', 'short Abort');
      // "Abort Message ... to notify the peer ... to discard the partially received message"
      const target = this.streams.get(payload.readUInt32BE(0));
      if (target !== undefined && target !== this.cur) this.dropPartial(target);
    }
    out.push({ type: s.type, streamId: s.streamId, timestamp: s.timestamp, csid, payload, slab });
  }
}
