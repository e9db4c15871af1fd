/** Splits the ADTS stream carried in AAC PES packets into raw AAC MediaFrames plus AudioConfig on change. */
import type { AudioConfig, FrameSink } from '../../media/frame.js';
import { TIMESCALE } from '../../media/frame.js';
import type { TsDemuxerStats } from './ts-demuxer-stats.js';
import { buildAudioSpecificConfig, parseAdtsHeader, parseAudioSpecificConfig } from './codecs.js';

/** sampling_frequency_index table (ISO/IEC 14496-3 Table 1.18). */
const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** An ADTS frame is at most 8191 bytes (13-bit aac_frame_length). */
const MAX_ADTS_FRAME = 8191;

export class AdtsPesParser {
  private config: AudioConfig | undefined;
  private configKey = '';
  /** bytes of an ADTS frame cut by the end of the previous PES */
  private partial: Buffer | undefined;
  /** pts of the next frame, continuing the previous PES (used for a partial frame or a PES without PTS) */
  private nextPts: number | undefined;
  private lastPts = -Infinity;
  /** bytes skipped looking for an ADTS syncword */
  skippedBytes = 0;

  constructor(
    private readonly sink: FrameSink,
    private readonly stats: Pick<TsDemuxerStats, 'droppedFrames'>,
  ) {}

  /** `pts` is the unwrapped PES PTS, or undefined when the PES carried none. */
  push(payload: Buffer, pts: number | undefined): void {
    let data = payload;
    let firstPts = pts ?? this.nextPts;
    if (this.partial) {
      // The cut frame started in the previous PES, so it takes the running timestamp.
      data = Buffer.concat([this.partial, payload]);
      this.partial = undefined;
      if (this.nextPts !== undefined) firstPts = this.nextPts;
    }
    if (firstPts === undefined) return; // no timeline yet
    let frameIndex = 0;
    let pos = 0;
    while (pos < data.length) {
      const header = data.length - pos >= 7 ? parseAdtsHeader(data, pos) : undefined;
      if (!header || header.frameLength <= header.headerLength || !(header.sampleRate > 0)) {
        if (data.length - pos < 7 && data[pos] === 0xff) {
          this.keepPartial(data.subarray(pos));
          break;
        }
        // Not a syncword here: skip one byte and look again.
        pos++;
        this.skippedBytes++;
        continue;
      }
      if (pos + header.frameLength > data.length) {
        this.keepPartial(data.subarray(pos));
        break;
      }
      const start = pos;
      const ticks = (header.samplesPerFrame * TIMESCALE) / header.sampleRate;
      // Keep the track monotonic even when a damaged PES carries a PTS that jumps back.
      const framePts = Math.max(firstPts + Math.round(frameIndex * ticks), this.lastPts);
      this.nextPts = framePts + Math.round(ticks);
      this.lastPts = framePts;
      frameIndex++;
      pos += header.frameLength;
      if (!this.updateConfig(header.objectType, header.sampleRate, header.channels)) {
        this.stats.droppedFrames++;
        continue;
      }
      this.sink.onFrame({
        track: 'audio',
        codec: 'aac',
        dts: framePts,
        pts: framePts,
        keyframe: true,
        data: data.subarray(start + header.headerLength, start + header.frameLength),
      });
    }
  }

  reset(): void {
    this.partial = undefined;
  }

  private keepPartial(bytes: Buffer): void {
    if (bytes.length < MAX_ADTS_FRAME) this.partial = Buffer.from(bytes);
  }

  /** Emits AudioConfig when the ADTS fields change; false when they cannot form a configuration. */
  private updateConfig(objectType: number, sampleRate: number, channels: number): boolean {
    const key = `${objectType}/${sampleRate}/${channels}`;
    if (key === this.configKey) return true;
    const sampleRateIndex = SAMPLE_RATES.indexOf(sampleRate);
    // channel_configuration 0 means "defined in the AOT specific config" (a PCE), which ADTS cannot hand over here.
    if (sampleRateIndex < 0 || channels < 1) return false;
    const asc = buildAudioSpecificConfig(objectType, sampleRateIndex, channels);
    const info = parseAudioSpecificConfig(asc);
    this.configKey = key;
    this.config = { track: 'audio', codec: 'aac', asc, sampleRate, channels, codecString: info.codecString };
    this.sink.onConfig(this.config);
    return true;
  }
}
