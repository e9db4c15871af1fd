/** RTMP message model, type ids and protocol-control message bodies (RTMP 1.0 spec, sections 5.4 and 6.2). */

import type { Slab } from '../slab-pool.js';

/** One reassembled RTMP message. `payload` may be a view into the bytes given to the chunk reader. */
export interface RtmpMessage {
  /** message type id */
  type: number;
  /** message stream id */
  streamId: number;
  /** milliseconds, 32-bit wrapping */
  timestamp: number;
  /** chunk stream id it arrived on */
  csid: number;
  payload: Buffer;
  /**
   * the recycled slab `payload` was assembled in (rtmp-chunk-reader.ts, audio and video only): the message holds one
   * reference, which whoever took the message from the reader releases once it has handled it
   */
  slab?: Slab | null;
}

export const enum MessageType {
  SetChunkSize = 1,
  Abort = 2,
  Acknowledgement = 3,
  UserControl = 4,
  WindowAckSize = 5,
  SetPeerBandwidth = 6,
  Audio = 8,
  Video = 9,
  DataAmf3 = 15,
  SharedObjectAmf3 = 16,
  CommandAmf3 = 17,
  DataAmf0 = 18,
  SharedObjectAmf0 = 19,
  CommandAmf0 = 20,
  Aggregate = 22,
}

export const enum UserControlEvent {
  StreamBegin = 0,
  StreamEof = 1,
  StreamDry = 2,
  SetBufferLength = 3,
  StreamIsRecorded = 4,
  PingRequest = 6,
  PingResponse = 7,
}

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** Set Chunk Size body: "bit 0 MUST be zero; the remaining 31 bits hold the chunk size". */
export const setChunkSizeBody = (size: number): Buffer => u32(size & 0x7fffffff);
export const acknowledgementBody = (sequenceNumber: number): Buffer => u32(sequenceNumber);
export const windowAckSizeBody = (size: number): Buffer => u32(size);

/** Set Peer Bandwidth: window size + limit type (0 hard, 1 soft, 2 dynamic). */
export function setPeerBandwidthBody(size: number, limitType: 0 | 1 | 2): Buffer {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(size >>> 0, 0);
  b[4] = limitType;
  return b;
}

/** User Control message: 2-byte event type then event data (a stream id or a ping timestamp). */
export function userControlBody(event: UserControlEvent, value: number): Buffer {
  const b = Buffer.allocUnsafe(6);
  b.writeUInt16BE(event, 0);
  b.writeUInt32BE(value >>> 0, 2);
  return b;
}
