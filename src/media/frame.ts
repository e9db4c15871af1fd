/** The one frame type that crosses from ingest (RTMP, SRT) to media (packager, recorder, SRT out). */
import type { Slab } from '../protocols/slab-pool.js';

/** All media timestamps inside onair are integers in this timescale (90 kHz, as MPEG-TS). */
export const TIMESCALE = 90_000;

export type VideoCodec = 'h264' | 'hevc' | 'av1';
export type AudioCodec = 'aac';
export type Codec = VideoCodec | AudioCodec;
export type TrackKind = 'video' | 'audio';

/**
 * One access unit.
 * - video: length-prefixed NAL units (4-byte big-endian lengths, i.e. AVCC/HVCC sample format),
 *   exactly what an fMP4 sample holds. For AV1: OBUs in the low-overhead format (as in an MP4 sample).
 * - audio (aac): one raw AAC frame (no ADTS header).
 * `data` is a view into the ingest buffer where possible (no copies on the hot path), never mutated.
 * When `slab` is set, `data` lies in that recycled slab (protocols/slab-pool.ts), which ingest reuses as soon
 * as the callback returns: a consumer that keeps `data` past the callback (queues it, hands it to a socket)
 * calls `retainSlab(frame.slab)` first and `releaseSlab` when done, or copies it. Without `slab`, the view is
 * garbage collected as usual and may simply be kept.
 */
export interface MediaFrame {
  track: TrackKind;
  codec: Codec;
  /** decode timestamp, TIMESCALE units, monotonic per track within a session */
  dts: number;
  /** presentation timestamp, TIMESCALE units (pts >= dts) */
  pts: number;
  /** video: IDR / IRAP; audio: always true */
  keyframe: boolean;
  data: Buffer;
  /** the recycled slab `data` lies in (see above); absent or null: `data` may be kept as it is */
  slab?: Slab | null;
}

/** Codec configuration, sent before the first frame of a track and again whenever it changes. */
export type TrackConfig = VideoConfig | AudioConfig;

export interface VideoConfig {
  track: 'video';
  codec: VideoCodec;
  /**
   * The decoder configuration record as it goes into the sample entry:
   * h264: AVCDecoderConfigurationRecord (avcC), hevc: HEVCDecoderConfigurationRecord (hvcC),
   * av1: AV1CodecConfigurationRecord (av1C).
   */
  record: Buffer;
  width: number;
  height: number;
  /** RFC 6381 codec string, e.g. avc1.64001f, hvc1.1.6.L93.B0, av01.0.04M.08 */
  codecString: string;
}

export interface AudioConfig {
  track: 'audio';
  codec: AudioCodec;
  /** AudioSpecificConfig (the esds DecoderSpecificInfo) */
  asc: Buffer;
  sampleRate: number;
  channels: number;
  /** RFC 6381 codec string, e.g. mp4a.40.2 */
  codecString: string;
}

/** What a source of media (an ingest session) emits, and what outputs consume. */
export interface FrameSink {
  onConfig(config: TrackConfig): void;
  onFrame(frame: MediaFrame): void;
}
