/** FLV tag header values (FLV spec v10.1 E.4.2/E.4.3) and Enhanced RTMP (v1/v2) extensions. */

export const enum FlvVideoFrameType {
  Key = 1,
  Inter = 2,
  DisposableInter = 3,
  GeneratedKey = 4,
  /** "video info/command frame": no media */
  Command = 5,
}

export const enum FlvVideoCodecId {
  Avc = 7,
  /** HEVC under the legacy header: a widespread non-Adobe extension (codec id 12) */
  HevcLegacy = 12,
}

/** Enhanced RTMP "VideoPacketType" (and AudioPacketType for the first values). */
export const enum ExPacketType {
  SequenceStart = 0,
  CodedFrames = 1,
  SequenceEnd = 2,
  /** "CompositionTime Offset is implicitly set to zero" */
  CodedFramesX = 3,
  Metadata = 4,
  MPEG2TSSequenceStart = 5,
  Multitrack = 6,
  ModEx = 7,
}

export const enum FlvSoundFormat {
  Mp3 = 2,
  /** Enhanced RTMP v2: "SoundFormat 9 = ExHeader" */
  ExHeader = 9,
  Aac = 10,
  Speex = 11,
}

export const fourCC = (s: string): number => s.charCodeAt(0) * 2 ** 24 + (s.charCodeAt(1) << 16) + (s.charCodeAt(2) << 8) + s.charCodeAt(3);
export const FOURCC_AVC1 = fourCC('avc1');
export const FOURCC_HVC1 = fourCC('hvc1');
export const FOURCC_AV01 = fourCC('av01');
export const FOURCC_MP4A = fourCC('mp4a');

export const fourCCString = (v: number): string =>
  String.fromCharCode((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff).replace(/[^\x20-\x7e]/g, '?');

/** RTMP timestamps are milliseconds; onair's timescale is 90 kHz. */
export const MS_TO_90KHZ = 90;
