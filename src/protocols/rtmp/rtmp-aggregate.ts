/** Aggregate messages (RTMP 1.0 spec, 7.1.6): FLV-tag-shaped sub-messages inside one type 22 message. */
import { ProtocolError } from '../errors.js';
import type { RtmpMessage } from './rtmp-message.js';

/**
 * Splits an aggregate into its sub-messages (payloads are views). "The message stream ID of the aggregate
 * message overrides the message stream IDs of the sub-messages. The difference between the timestamps of
 * the aggregate message and the first sub-message is the offset used to renormalize the timestamps of the
 * sub-messages to the stream timescale."
 */
export function splitAggregate(msg: RtmpMessage): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  const b = msg.payload;
  let p = 0;
  let offset = 0;
  while (p + 11 <= b.length) {
    const type = b[p]!;
    const size = b.readUIntBE(p + 1, 3);
    const ts = (b.readUIntBE(p + 4, 3) | (b[p + 7]! << 24)) >>> 0;
    if (p + 11 + size > b.length) throw new ProtocolError('RTMP_AGGREGATE', 'aggregate sub-message overruns the message');
    if (out.length === 0) offset = msg.timestamp - ts;
    out.push({ type, streamId: msg.streamId, timestamp: (ts + offset) >>> 0, csid: msg.csid, payload: b.subarray(p + 11, p + 11 + size) });
    p += 11 + size + 4; // back pointer (previous tag size)
  }
  return out;
}
