/**
 * TrackConfig / MediaFrame -> FLV tag bodies (RTMP message types 8 and 9), the inverse of the demuxers:
 * legacy AVC and AAC (FLV spec v10.1 E.4.2/E.4.3), HEVC and AV1 through the Enhanced RTMP
 * ExVideoTagHeader (FourCC `hvc1` / `av01`), plus the onMetaData script body.
 *
 * Frames are muxed without copying their payload: a tag body is a small header (written by
 * `writeFrameTagHeader`) followed by `frame.data` as is, so a sender can write the two back to back.
 */
import type { AudioConfig, MediaFrame, TrackConfig, VideoCodec, VideoConfig } from '../../media/frame.js';
import { encodeAmf0 } from '../amf0/amf0-encoder.js';
import { Amf0EcmaArray, type Amf0Object } from '../amf0/amf0-types.js';
import { ExPacketType, FlvSoundFormat, FlvVideoCodecId, FlvVideoFrameType, FOURCC_AV01, FOURCC_HVC1, MS_TO_90KHZ } from './flv-constants.js';

export const FLV_TAG_AUDIO = 8;
export const FLV_TAG_VIDEO = 9;

/**
 * AAC audio tag byte 0: "SoundFormat UB[4] = 10 (AAC), SoundRate UB[2], SoundSize UB[1], SoundType UB[1]".
 * "If the SoundFormat indicates AAC, the SoundType should be set to 1 (stereo) and the SoundRate should be
 * set to 3 (44 kHz) ... the decoder uses the AudioSpecificConfig" - so 0xAF for every AAC tag.
 */
const AAC_BYTE0 = (FlvSoundFormat.Aac << 4) | (3 << 2) | (1 << 1) | 1;

/** The RTMP timestamp (ms) of a 90 kHz instant; cts is derived from the same rounding so pts survives. */
export const toMs = (t90k: number): number => Math.round(t90k / MS_TO_90KHZ);

/** Whether this video codec needs the Enhanced RTMP header (a peer must understand FourCC video). */
export const needsEnhancedRtmp = (codec: VideoCodec): boolean => codec !== 'h264';

/** Sequence header tag body for a track config (AVC/HEVC/AV1 decoder configuration record, or the ASC). */
export function configTagBody(config: TrackConfig): Buffer {
  return config.track === 'video' ? videoConfigBody(config) : audioConfigBody(config);
}

function videoConfigBody(c: VideoConfig): Buffer {
  if (c.codec === 'h264') {
    // "AVCPacketType 0 = AVC sequence header ... CompositionTime 0; Data = AVCDecoderConfigurationRecord"
    const head = Buffer.from([(FlvVideoFrameType.Key << 4) | FlvVideoCodecId.Avc, 0, 0, 0, 0]);
    return Buffer.concat([head, c.record]);
  }
  // Enhanced RTMP: "IsExHeader UB[1] | FrameType UB[3] | PacketType UB[4]", then "VideoFourCc UI32";
  // "PacketTypeSequenceStart: ... HEVCDecoderConfigurationRecord / AV1CodecConfigurationRecord".
  const head = Buffer.allocUnsafe(5);
  head[0] = 0x80 | (FlvVideoFrameType.Key << 4) | ExPacketType.SequenceStart;
  head.writeUInt32BE(c.codec === 'hevc' ? FOURCC_HVC1 : FOURCC_AV01, 1);
  return Buffer.concat([head, c.record]);
}

function audioConfigBody(c: AudioConfig): Buffer {
  // "AACPacketType 0 = AAC sequence header": the AudioSpecificConfig follows.
  return Buffer.concat([Buffer.from([AAC_BYTE0, 0]), c.asc]);
}

/** RTMP message type of a frame's tag. */
export const frameTagType = (frame: MediaFrame): number => (frame.track === 'video' ? FLV_TAG_VIDEO : FLV_TAG_AUDIO);

/** Composition time offset in ms (pts - dts), with the same rounding as the tag timestamp. */
const ctsMs = (frame: MediaFrame): number => toMs(frame.pts) - toMs(frame.dts);

/** Length of the tag header that goes before `frame.data` in the tag body. */
export function frameTagHeaderLength(frame: MediaFrame): number {
  if (frame.track === 'audio') return 2;
  if (frame.codec === 'h264') return 5;
  if (frame.codec === 'av1') return 5;
  // hevc: CodedFrames carries an SI24 CompositionTime; CodedFramesX implies zero and saves it.
  return ctsMs(frame) === 0 ? 5 : 8;
}

/**
 * Writes the tag header of `frame` at `out[offset]` (exactly `frameTagHeaderLength(frame)` bytes) and
 * returns the offset after it. The tag body is that header followed by `frame.data`.
 */
export function writeFrameTagHeader(frame: MediaFrame, out: Buffer, offset: number): number {
  if (frame.track === 'audio') {
    out[offset] = AAC_BYTE0;
    out[offset + 1] = 1; // "AACPacketType 1 = AAC raw"
    return offset + 2;
  }
  const frameType = frame.keyframe ? FlvVideoFrameType.Key : FlvVideoFrameType.Inter;
  if (frame.codec === 'h264') {
    out[offset] = (frameType << 4) | FlvVideoCodecId.Avc;
    out[offset + 1] = 1; // "AVCPacketType 1 = AVC NALU"
    out.writeIntBE(clampSi24(ctsMs(frame)), offset + 2, 3); // "CompositionTime SI24"
    return offset + 5;
  }
  if (frame.codec === 'av1') {
    // av01 CodedFrames carry no CompositionTime ("if (videoFourCc == AvcFourCc || HevcFourCc) ... SI24").
    out[offset] = 0x80 | (frameType << 4) | ExPacketType.CodedFrames;
    out.writeUInt32BE(FOURCC_AV01, offset + 1);
    return offset + 5;
  }
  const cts = ctsMs(frame);
  if (cts === 0) {
    // "PacketTypeCodedFramesX: CompositionTime Offset is implicitly set to zero"
    out[offset] = 0x80 | (frameType << 4) | ExPacketType.CodedFramesX;
    out.writeUInt32BE(FOURCC_HVC1, offset + 1);
    return offset + 5;
  }
  out[offset] = 0x80 | (frameType << 4) | ExPacketType.CodedFrames;
  out.writeUInt32BE(FOURCC_HVC1, offset + 1);
  out.writeIntBE(clampSi24(cts), offset + 5, 3);
  return offset + 8;
}

const clampSi24 = (v: number): number => Math.max(-0x800000, Math.min(0x7fffff, v));

/** A whole tag body for a frame (header + payload, copied): for tests and cold paths only. */
export function frameTagBody(frame: MediaFrame): Buffer {
  const head = Buffer.allocUnsafe(frameTagHeaderLength(frame));
  writeFrameTagHeader(frame, head, 0);
  return Buffer.concat([head, frame.data]);
}

/**
 * The `@setDataFrame("onMetaData", {...})` data message body that publishers (ffmpeg, OBS) send before
 * media. Enhanced RTMP: "videocodecid ... set to the FourCC value" for FourCC codecs.
 */
export function metadataBody(video: VideoConfig | undefined, audio: AudioConfig | undefined, extra: Amf0Object = {}): Buffer {
  const meta: Amf0Object = { duration: 0, fileSize: 0 };
  if (video) {
    meta.width = video.width;
    meta.height = video.height;
    meta.videocodecid = video.codec === 'h264' ? FlvVideoCodecId.Avc : video.codec === 'hevc' ? FOURCC_HVC1 : FOURCC_AV01;
  }
  if (audio) {
    meta.audiocodecid = FlvSoundFormat.Aac;
    meta.audiosamplerate = audio.sampleRate;
    meta.audiosamplesize = 16;
    meta.audiochannels = audio.channels;
    meta.stereo = audio.channels >= 2;
  }
  Object.assign(meta, extra);
  return encodeAmf0('@setDataFrame', 'onMetaData', new Amf0EcmaArray(meta));
}
