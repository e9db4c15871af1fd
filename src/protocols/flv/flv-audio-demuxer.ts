/** FLV audio tag bodies (RTMP message type 8) -> AudioConfig / MediaFrame: AAC, legacy and Enhanced RTMP v2 mp4a. */
import type { AudioConfig, MediaFrame } from '../../media/frame.js';
import { TruncatedError } from '../errors.js';
import type { Slab } from '../slab-pool.js';
import { parseAudioSpecificConfig } from '../codecs/aac.js';
import { ExPacketType, FlvSoundFormat, FOURCC_MP4A, fourCCString, MS_TO_90KHZ } from './flv-constants.js';

export interface FlvAudioSink {
  onConfig(config: AudioConfig): void;
  onFrame(frame: MediaFrame): void;
  onWarning(key: string, message: string): void;
}

const SOUND_FORMAT_NAMES: Record<number, string> = {
  0: 'Linear PCM', 1: 'ADPCM', 2: 'MP3', 3: 'Linear PCM LE', 4: 'Nellymoser 16k', 5: 'Nellymoser 8k',
  6: 'Nellymoser', 7: 'G.711 A-law', 8: 'G.711 mu-law', 11: 'Speex', 14: 'MP3 8k', 15: 'Device-specific',
};

export class FlvAudioDemuxer {
  private asc: Buffer | undefined;

  constructor(private readonly sink: FlvAudioSink) {}

  /**
   * Handles one audio message body received at RTMP timestamp `ms`; `slab`: the recycled slab `body` lies in,
   * set on its frame (frame.ts).
   */
  push(body: Buffer, ms: number, slab: Slab | null = null): void {
    if (body.length < 1) return;
    const format = body[0]! >> 4;
    if (format === FlvSoundFormat.Aac) {
      if (body.length < 2) throw new TruncatedError('FLV AAC audio tag');
      // "AACPacketType: 0 = AAC sequence header, 1 = AAC raw"
      if (body[1] === 0) this.config(body.subarray(2));
      else if (body[1] === 1) this.frame(body.subarray(2), ms, slab);
      return;
    }
    if (format === FlvSoundFormat.ExHeader) {
      if (body.length < 5) throw new TruncatedError('Enhanced RTMP audio tag');
      const packetType = body[0]! & 0x0f;
      const fourcc = body.readUInt32BE(1);
      if (fourcc !== FOURCC_MP4A || packetType > ExPacketType.SequenceEnd) {
        const name = fourCCString(fourcc);
        this.sink.onWarning(`audio-ex-${name}-${packetType}`, `unsupported Enhanced RTMP audio ${name} packet type ${packetType}: dropped`);
        return;
      }
      if (packetType === ExPacketType.SequenceStart) this.config(body.subarray(5));
      else if (packetType === ExPacketType.CodedFrames) this.frame(body.subarray(5), ms, slab);
      return;
    }
    const name = SOUND_FORMAT_NAMES[format] ?? `format ${format}`;
    this.sink.onWarning(`audio-format-${format}`, `unsupported FLV audio codec ${name}: audio dropped`);
  }

  private config(asc: Buffer): void {
    if (this.asc !== undefined && this.asc.equals(asc)) return;
    const info = parseAudioSpecificConfig(asc);
    this.asc = Buffer.from(asc); // owned copy
    this.sink.onConfig({
      track: 'audio',
      codec: 'aac',
      asc: this.asc,
      sampleRate: info.sampleRate,
      channels: info.channels,
      codecString: info.codecString,
    });
  }

  private frame(data: Buffer, ms: number, slab: Slab | null): void {
    if (this.asc === undefined) {
      this.sink.onWarning('audio-noconfig', 'AAC frames before the AudioSpecificConfig: dropped');
      return;
    }
    if (data.length === 0) return;
    const ts = ms * MS_TO_90KHZ;
    this.sink.onFrame({ track: 'audio', codec: 'aac', dts: ts, pts: ts, keyframe: true, data, slab });
  }
}
