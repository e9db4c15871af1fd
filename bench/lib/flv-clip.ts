/**
 * The publisher clip read once for the fan-out publisher (bench/lib/fanout-publisher-main.ts): the FLV file's tags
 * (FLV spec v10, annex E: 9-byte header, then PreviousTagSize + tag, each tag = type, 24-bit size, 24+8-bit
 * timestamp, stream id, body) split into what a publisher sends once (onMetaData, the AVC and AAC sequence
 * headers) and the media tags it loops, each media body pre-chunked for RTMP so that every connection writes the
 * same bytes and only its 12-byte message header is its own.
 */
import { pushChunkedPayload } from '../../src/protocols/rtmp/rtmp-chunk-vector.js';

export const FLV_AUDIO = 8;
export const FLV_VIDEO = 9;
export const FLV_SCRIPT = 18;

export interface ClipTag {
  type: number;
  /** ms from the first media tag */
  ts: number;
  body: Buffer;
  /** a video keyframe (FLV VideoTagHeader FrameType 1) */
  keyframe: boolean;
}

export interface FlvClip {
  /** body of the onMetaData script tag */
  metadata: Buffer | undefined;
  /** AVC sequence header tag body (AVCPacketType 0) */
  videoConfig: Buffer | undefined;
  /** AAC sequence header tag body (AACPacketType 0) */
  audioConfig: Buffer | undefined;
  /** audio and video tags in file order, sequence headers left out */
  media: ClipTag[];
  /** one loop of the clip, ms: the span of its video plus one frame interval */
  durationMs: number;
}

export function parseFlv(file: Buffer): FlvClip {
  if (file.length < 13 || file.toString('latin1', 0, 3) !== 'FLV') throw new Error('not an FLV file');
  let p = file.readUInt32BE(5) + 4; // DataOffset, then PreviousTagSize0
  let metadata: Buffer | undefined;
  let videoConfig: Buffer | undefined;
  let audioConfig: Buffer | undefined;
  const raw: Array<{ type: number; ts: number; body: Buffer; keyframe: boolean }> = [];
  while (p + 11 <= file.length) {
    const type = file[p]! & 0x1f;
    const size = file.readUIntBE(p + 1, 3);
    // TimestampExtended is the upper 8 bits of a 32-bit ms timestamp
    const ts = (file.readUIntBE(p + 4, 3) | (file[p + 7]! << 24)) >>> 0;
    const end = p + 11 + size;
    if (end > file.length) break; // a truncated last tag
    const body = file.subarray(p + 11, end);
    p = end + 4;
    if (type === FLV_SCRIPT) {
      metadata ??= body;
    } else if (type === FLV_VIDEO && body.length >= 2) {
      // VideoTagHeader: FrameType (4 bits) | CodecID (4 bits), AVCPacketType (0 = sequence header)
      if ((body[0]! & 0x0f) === 7 && body[1] === 0) videoConfig ??= body;
      else raw.push({ type, ts, body, keyframe: body[0]! >> 4 === 1 });
    } else if (type === FLV_AUDIO && body.length >= 2) {
      // AudioTagHeader: SoundFormat 10 = AAC, AACPacketType 0 = AudioSpecificConfig
      if (body[0]! >> 4 === 10 && body[1] === 0) audioConfig ??= body;
      else raw.push({ type, ts, body, keyframe: false });
    }
  }
  const video = raw.filter((t) => t.type === FLV_VIDEO);
  if (video.length < 2) throw new Error('the clip needs at least two video frames');
  const first = Math.min(...raw.slice(0, 8).map((t) => t.ts));
  const span = video[video.length - 1]!.ts - video[0]!.ts;
  const durationMs = Math.round(span + span / (video.length - 1));
  return { metadata, videoConfig, audioConfig, media: raw.map((t) => ({ ...t, ts: Math.max(0, t.ts - first) })), durationMs };
}

/**
 * A message body as RTMP chunk data without its first header: the body with a fmt 3 header (one byte, the chunk
 * stream id) every `chunkSize` bytes. Preceded by a type 0 header (12 bytes, timestamp < 0xffffff) it is the
 * whole message on the wire (RTMP 1.0 spec, 5.3.1).
 */
export function chunkedBody(body: Buffer, chunkSize: number, csid: number): Buffer {
  const parts: Buffer[] = [];
  pushChunkedPayload(parts, chunkSize, csid, 0, 0, body);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
