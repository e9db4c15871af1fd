/** Turns one Annex B access unit from a video PES into a VideoConfig (on change) and a length-prefixed MediaFrame. */
import type { FrameSink, VideoCodec, VideoConfig } from '../../media/frame.js';
import type { TsDemuxerStats } from './ts-demuxer-stats.js';
import { annexBToLengthPrefixed, buildAvcC, buildHvcC, parseAvcC, parseHvcC, splitAnnexB } from './codecs.js';

/** NAL unit types the parser cares about (ITU-T H.264 Table 7-1, H.265 Table 7-1). */
const H264_IDR = 5;
const H264_SPS = 7;
const H264_PPS = 8;
const H264_AUD = 9;
const HEVC_IRAP_FIRST = 16;
const HEVC_IRAP_LAST = 23;
const HEVC_VPS = 32;
const HEVC_SPS = 33;
const HEVC_PPS = 34;
const HEVC_AUD = 35;

function sameList(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}

export class VideoAccessUnitParser {
  private config: VideoConfig | undefined;
  private vps: Buffer[] = [];
  private sps: Buffer[] = [];
  private pps: Buffer[] = [];
  /** parameter sets that could not be turned into a configuration record */
  configErrors = 0;

  constructor(
    private readonly codec: VideoCodec,
    private readonly sink: FrameSink,
    private readonly stats: Pick<TsDemuxerStats, 'droppedFrames'>,
  ) {}

  push(au: Buffer, dts: number, pts: number): void {
    const nals = splitAnnexB(au);
    const kept: Buffer[] = [];
    const vps: Buffer[] = [];
    const sps: Buffer[] = [];
    const pps: Buffer[] = [];
    let keyframe = false;
    for (const nal of nals) {
      if (nal.length === 0) continue;
      if (this.codec === 'h264') {
        const type = nal[0]! & 0x1f;
        if (type === H264_AUD) continue;
        if (type === H264_SPS) sps.push(nal);
        else if (type === H264_PPS) pps.push(nal);
        else {
          if (type === H264_IDR) keyframe = true;
          kept.push(nal);
        }
      } else {
        const type = (nal[0]! >> 1) & 0x3f;
        if (type === HEVC_AUD) continue;
        if (type === HEVC_VPS) vps.push(nal);
        else if (type === HEVC_SPS) sps.push(nal);
        else if (type === HEVC_PPS) pps.push(nal);
        else {
          // "IRAP picture: a coded picture for which each VCL NAL unit has nal_unit_type in the range
          // of BLA_W_LP to RSV_IRAP_VCL23, inclusive".
          if (type >= HEVC_IRAP_FIRST && type <= HEVC_IRAP_LAST) keyframe = true;
          kept.push(nal);
        }
      }
    }
    if (sps.length > 0 || pps.length > 0 || vps.length > 0) this.updateConfig(vps, sps, pps);
    if (!this.config || kept.length === 0) {
      this.stats.droppedFrames++;
      return;
    }
    this.sink.onFrame({
      track: 'video',
      codec: this.codec,
      dts,
      pts,
      keyframe,
      data: annexBToLengthPrefixed(kept),
    });
  }

  /** Parameter sets seen in band replace the stored ones of the same kind; a change re-emits the config. */
  private updateConfig(vps: Buffer[], sps: Buffer[], pps: Buffer[]): void {
    const nextVps = vps.length > 0 ? vps : this.vps;
    const nextSps = sps.length > 0 ? sps : this.sps;
    const nextPps = pps.length > 0 ? pps : this.pps;
    if (this.config && sameList(nextVps, this.vps) && sameList(nextSps, this.sps) && sameList(nextPps, this.pps)) return;
    // Copy: the views point into a PES buffer we do not own past this call.
    this.vps = nextVps.map((b) => Buffer.from(b));
    this.sps = nextSps.map((b) => Buffer.from(b));
    this.pps = nextPps.map((b) => Buffer.from(b));
    const complete = this.sps.length > 0 && this.pps.length > 0 && (this.codec === 'h264' || this.vps.length > 0);
    if (!complete) return;
    let config: VideoConfig;
    try {
      config = this.buildConfig();
    } catch {
      // A corrupt SPS must not stop the stream: keep the previous config (if any) and count it.
      this.configErrors++;
      return;
    }
    this.config = config;
    this.sink.onConfig(config);
  }

  private buildConfig(): VideoConfig {
    if (this.codec === 'h264') {
      const record = buildAvcC(this.sps, this.pps);
      const info = parseAvcC(record);
      return { track: 'video', codec: 'h264', record, width: info.width, height: info.height, codecString: info.codecString };
    }
    const record = buildHvcC(this.vps, this.sps, this.pps);
    const info = parseHvcC(record);
    return { track: 'video', codec: 'hevc', record, width: info.width, height: info.height, codecString: info.codecString };
  }
}
