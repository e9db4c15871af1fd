/**
 * FLV video tag bodies (RTMP message type 9) -> VideoConfig / MediaFrame: legacy AVC (and codec id 12
 * HEVC) plus Enhanced RTMP ExVideoTagHeader with FourCC avc1, hvc1 and av01.
 */
import type { MediaFrame, VideoCodec, VideoConfig } from '../../media/frame.js';
import { ProtocolError, TruncatedError } from '../errors.js';
import type { Slab } from '../slab-pool.js';
import { buildAvcC, parseAvcC } from '../codecs/h264.js';
import { buildHvcC, parseHvcC } from '../codecs/hevc.js';
import { parseAv1C } from '../codecs/av1.js';
import {
  ExPacketType,
  FlvVideoCodecId,
  FlvVideoFrameType,
  FOURCC_AV01,
  FOURCC_AVC1,
  FOURCC_HVC1,
  fourCCString,
  MS_TO_90KHZ,
} from './flv-constants.js';

export interface FlvVideoSink {
  onConfig(config: VideoConfig): void;
  onFrame(frame: MediaFrame): void;
  /** something was dropped; called once per distinct `key` */
  onWarning(key: string, message: string): void;
}

export class FlvVideoDemuxer {
  private codec: VideoCodec | undefined;
  private record: Buffer | undefined;
  private nalLengthSize = 4;
  /** the slab of the body being pushed (null: none) */
  private slab: Slab | null = null;

  constructor(private readonly sink: FlvVideoSink) {}

  /**
   * Handles one video message body received at RTMP timestamp `ms`; `slab`: the recycled slab `body` lies in,
   * set on the frames that are views of it (frame.ts).
   */
  push(body: Buffer, ms: number, slab: Slab | null = null): void {
    if (body.length < 1) return; // empty video messages are keep-alives for some encoders
    const b0 = body[0]!;
    this.slab = slab;
    try {
      // Enhanced RTMP: "IsExHeader = UB[1]" in the top bit of the first byte
      if (b0 & 0x80) this.enhanced(body, ms);
      else this.legacy(body, ms);
    } finally {
      this.slab = null;
    }
  }

  private legacy(body: Buffer, ms: number): void {
    const frameType = b0FrameType(body[0]! >> 4);
    const codecId = body[0]! & 0x0f;
    if (frameType === FlvVideoFrameType.Command) return;
    if (codecId !== FlvVideoCodecId.Avc && codecId !== FlvVideoCodecId.HevcLegacy) {
      this.sink.onWarning(`video-codec-${codecId}`, `unsupported FLV video codec id ${codecId}: video dropped`);
      return;
    }
    if (body.length < 5) throw new TruncatedError('FLV AVC video tag');
    const codec: VideoCodec = codecId === FlvVideoCodecId.Avc ? 'h264' : 'hevc';
    const packetType = body[1]!;
    // "AVCPacketType: 0 = AVC sequence header, 1 = AVC NALU, 2 = AVC end of sequence"
    if (packetType === 0) this.config(codec, body.subarray(5));
    else if (packetType === 1) this.frame(codec, body.subarray(5), ms, body.readIntBE(2, 3), frameType);
  }

  private enhanced(body: Buffer, ms: number): void {
    const frameType = (body[0]! >> 4) & 7;
    const packetType = body[0]! & 0x0f;
    if (body.length < 5) throw new TruncatedError('Enhanced RTMP video tag');
    // "if (isExHeader && videoFrameType == Command && videoPacketType != Metadata)": a command, no media
    if (frameType === FlvVideoFrameType.Command && packetType !== ExPacketType.Metadata) return;
    if (packetType === ExPacketType.Multitrack || packetType === ExPacketType.ModEx) {
      this.sink.onWarning(`video-packet-${packetType}`, `unsupported Enhanced RTMP v2 video packet type ${packetType}: dropped`);
      return;
    }
    const fourcc = body.readUInt32BE(1);
    const codec: VideoCodec | undefined =
      fourcc === FOURCC_HVC1 ? 'hevc' : fourcc === FOURCC_AV01 ? 'av1' : fourcc === FOURCC_AVC1 ? 'h264' : undefined;
    if (codec === undefined) {
      const name = fourCCString(fourcc);
      this.sink.onWarning(`video-fourcc-${name}`, `unsupported Enhanced RTMP video FourCC ${name}: video dropped`);
      return;
    }
    switch (packetType) {
      case ExPacketType.SequenceStart:
        this.config(codec, body.subarray(5));
        return;
      case ExPacketType.CodedFrames:
        if (codec === 'av1') {
          // av01 CodedFrames carry no CompositionTime: "if (videoFourCc == AvcFourCc || HevcFourCc) ... SI24"
          this.frame(codec, body.subarray(5), ms, 0, frameType);
        } else {
          if (body.length < 8) throw new TruncatedError('Enhanced RTMP CodedFrames');
          this.frame(codec, body.subarray(8), ms, body.readIntBE(5, 3), frameType);
        }
        return;
      case ExPacketType.CodedFramesX:
        this.frame(codec, body.subarray(5), ms, 0, frameType);
        return;
      case ExPacketType.MPEG2TSSequenceStart:
        // av01 only: the body is the AV1 video descriptor of MPEG-2 TS carriage (tag 0x80, length, then the
        // same 4 bytes that open an av1C). Used only when no SequenceStart gave a full av1C.
        if (codec === 'av1' && this.codec !== 'av1' && body.length >= 11 && body[5] === 0x80) {
          this.config(codec, body.subarray(7, 11));
        }
        return;
      default:
        return; // SequenceEnd, Metadata (colorInfo): nothing to forward
    }
  }

  private config(codec: VideoCodec, raw: Buffer): void {
    if (this.codec === codec && this.record !== undefined && this.record.equals(raw)) return;
    let record = raw;
    let width: number;
    let height: number;
    let codecString: string;
    this.nalLengthSize = 4;
    if (codec === 'h264') {
      const c = parseAvcC(raw);
      // MediaFrame carries 4-byte lengths, so the sample entry's record must say lengthSizeMinusOne = 3.
      if (c.nalLengthSize !== 4) record = buildAvcC(c.sps, c.pps);
      this.nalLengthSize = c.nalLengthSize;
      ({ width, height, codecString } = c);
    } else if (codec === 'hevc') {
      const c = parseHvcC(raw);
      if (c.nalLengthSize !== 4) record = buildHvcC(c.vps, c.sps, c.pps);
      this.nalLengthSize = c.nalLengthSize;
      ({ width, height, codecString } = c);
    } else {
      const c = parseAv1C(raw);
      width = c.width ?? 0;
      height = c.height ?? 0;
      codecString = c.codecString;
    }
    this.codec = codec;
    this.record = Buffer.from(raw); // owned copy: configs outlive the message buffer
    this.sink.onConfig({
      track: 'video',
      codec,
      record: record === raw ? this.record : record,
      width,
      height,
      codecString,
    });
  }

  private frame(codec: VideoCodec, data: Buffer, ms: number, cts: number, frameType: number): void {
    if (this.codec !== codec) {
      // frames before (or not matching) the sequence header cannot be decoded
      this.sink.onWarning(`video-noconfig-${codec}`, `${codec} frames before a sequence header: dropped`);
      return;
    }
    if (data.length === 0) return;
    if (codec !== 'av1' && this.nalLengthSize !== 4) data = toFourByteLengths(data, this.nalLengthSize);
    const dts = ms * MS_TO_90KHZ;
    // "CompositionTime ... pts = dts + cts"; a negative offset would put pts before dts: clamp.
    const pts = cts > 0 ? dts + cts * MS_TO_90KHZ : dts;
    const slab = this.slab !== null && data.buffer === this.slab.buf.buffer ? this.slab : null;
    this.sink.onFrame({ track: 'video', codec, dts, pts, keyframe: frameType === FlvVideoFrameType.Key, data, slab });
  }
}

function b0FrameType(v: number): number {
  return v & 0x07;
}

/** Rewrites 1/2/3-byte NAL length prefixes as 4-byte ones (rare encoders only: this copies). */
function toFourByteLengths(data: Buffer, size: number): Buffer {
  const nals: Buffer[] = [];
  let p = 0;
  while (p < data.length) {
    if (p + size > data.length) throw new TruncatedError('NAL length prefix');
    const len = data.readUIntBE(p, size);
    p += size;
    if (p + len > data.length) throw new ProtocolError('NAL_LENGTH', 'NAL unit overruns the video tag');
    nals.push(data.subarray(p, p + len));
    p += len;
  }
  const out = Buffer.allocUnsafe(nals.reduce((n, x) => n + 4 + x.length, 0));
  let o = 0;
  for (const nal of nals) {
    o = out.writeUInt32BE(nal.length, o);
    o += nal.copy(out, o);
  }
  return out;
}
