/** MPEG-TS muxer: codec configs and MediaFrames in, whole 188-byte TS packets out (one program, H.264/HEVC + AAC). */
import type { AudioConfig, MediaFrame, TrackConfig, VideoCodec, VideoConfig } from '../../media/frame.js';
import { ProtocolError } from '../errors.js';
import { adtsFieldsFromAsc, buildAdtsHeader, type AdtsFields } from './adts-header-writer.js';
import { buildAnnexBAccessUnit } from './annexb-access-unit-writer.js';
import { parseAvcC, parseHvcC } from './codecs.js';
import { buildPesHeader } from './pes-header.js';
import { buildPat, buildPmt, type PmtStream } from './psi-tables.js';
import { STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, STREAM_TYPE_HEVC, TS_PACKET_SIZE } from './ts-constants.js';
import { pesPacketCount, writePesPackets, writePsiPacket, type FirstPacketFields } from './ts-packetizer.js';

export interface TsMuxerOptions {
  /** PID of the video stream (default 0x100) */
  videoPid?: number;
  /** PID of the audio stream (default 0x101) */
  audioPid?: number;
  /** PID of the PMT (default 0x1000) */
  pmtPid?: number;
  /** program_number (default 1) */
  programNumber?: number;
  /** PCR = DTS - pcrDelay, 90 kHz units (default 63000 = 0.7 s, the decoder buffer head room ffmpeg uses) */
  pcrDelay?: number;
  /** audio-only streams repeat PAT/PMT at least this often, 90 kHz units (default 9000 = 100 ms) */
  psiInterval?: number;
}

/** stream_id values: "110x xxxx" audio stream number x, "1110 xxxx" video stream number x. */
const STREAM_ID_VIDEO = 0xe0;
const STREAM_ID_AUDIO = 0xc0;

interface VideoTrack {
  codec: VideoCodec;
  /** VPS, SPS, PPS in the order they precede a keyframe */
  parameterSets: Buffer[];
  nalLengthSize: number;
}

const EMPTY = Buffer.alloc(0);

export class TsMuxer {
  private readonly videoPid: number;
  private readonly audioPid: number;
  private readonly pmtPid: number;
  private readonly programNumber: number;
  private readonly pcrDelay: number;
  private readonly psiInterval: number;
  private video: VideoTrack | undefined;
  private audio: AdtsFields | undefined;
  private readonly cc = new Map<number, number>();
  private pmtVersion = 0;
  private psiDue = true;
  private lastPsiDts = -Infinity;
  private pat: Buffer;
  private pmt: Buffer = EMPTY;
  /** frames refused because their track has no configuration yet */
  droppedFrames = 0;

  constructor(options: TsMuxerOptions = {}) {
    this.videoPid = options.videoPid ?? 0x100;
    this.audioPid = options.audioPid ?? 0x101;
    this.pmtPid = options.pmtPid ?? 0x1000;
    this.programNumber = options.programNumber ?? 1;
    this.pcrDelay = options.pcrDelay ?? 63000;
    this.psiInterval = options.psiInterval ?? 9000;
    this.pat = buildPat(this.programNumber, this.pmtPid);
  }

  /** Declare or update a track. Throws ProtocolError for what MPEG-TS cannot carry here (AV1) or a broken record. */
  onConfig(config: TrackConfig): void {
    if (config.track === 'video') this.setVideo(config);
    else this.setAudio(config);
  }

  /** The TS packets carrying `frame` (preceded by PAT/PMT when due); empty when its track is not configured. */
  onFrame(frame: MediaFrame): Buffer {
    if (frame.track === 'video' ? !this.video : !this.audio) {
      this.droppedFrames++;
      return EMPTY;
    }
    const psi = this.psiDue || (frame.track === 'video' ? frame.keyframe : !this.video && frame.dts - this.lastPsiDts >= this.psiInterval);
    let pid: number;
    let header: Buffer;
    let pieces: Buffer[];
    let payloadLength: number;
    const first: FirstPacketFields = {};
    if (frame.track === 'video') {
      const video = this.video!;
      const au = buildAnnexBAccessUnit(video.codec, frame.data, video.nalLengthSize, frame.keyframe, video.parameterSets);
      pid = this.videoPid;
      header = buildPesHeader(STREAM_ID_VIDEO, frame.pts, frame.dts, au.length);
      pieces = au.pieces;
      payloadLength = au.length;
      if (frame.keyframe) first.randomAccess = true;
    } else {
      const adts = buildAdtsHeader(this.audio!, frame.data.length);
      pid = this.audioPid;
      header = buildPesHeader(STREAM_ID_AUDIO, frame.pts, undefined, adts.length + frame.data.length);
      pieces = [adts, frame.data];
      payloadLength = adts.length + frame.data.length;
      first.randomAccess = true;
    }
    // PCR rides on the video PID, or on audio when there is no video: "the PCR_PID ... shall be the
    // PID of the Transport Stream packets which shall contain the PCR fields".
    if (pid === this.pcrPid()) first.pcr = frame.dts - this.pcrDelay;
    const pesLength = header.length + payloadLength;
    const psiPackets = psi ? 2 : 0;
    const out = Buffer.allocUnsafe((psiPackets + pesPacketCount(pesLength, first)) * TS_PACKET_SIZE);
    let offset = 0;
    if (psi) {
      this.writePsi(out);
      offset = 2 * TS_PACKET_SIZE;
      this.psiDue = false;
      this.lastPsiDts = frame.dts;
    }
    const cc = writePesPackets(out, offset, pid, this.cc.get(pid) ?? 0, [header, ...pieces], pesLength, first);
    this.cc.set(pid, cc);
    return out;
  }

  private pcrPid(): number {
    return this.video ? this.videoPid : this.audioPid;
  }

  private writePsi(out: Buffer): void {
    this.cc.set(0, writePsiPacket(out, 0, 0, this.cc.get(0) ?? 0, this.pat));
    this.cc.set(this.pmtPid, writePsiPacket(out, TS_PACKET_SIZE, this.pmtPid, this.cc.get(this.pmtPid) ?? 0, this.pmt));
  }

  private setVideo(config: VideoConfig): void {
    let track: VideoTrack;
    try {
      if (config.codec === 'h264') {
        const avcC = parseAvcC(config.record);
        track = { codec: 'h264', parameterSets: [...avcC.sps, ...avcC.pps], nalLengthSize: avcC.nalLengthSize };
      } else if (config.codec === 'hevc') {
        const hvcC = parseHvcC(config.record);
        track = { codec: 'hevc', parameterSets: [...hvcC.vps, ...hvcC.sps, ...hvcC.pps], nalLengthSize: 4 };
      } else {
        throw new ProtocolError('TS_UNSUPPORTED_CODEC', `MPEG-TS muxer does not carry ${config.codec}`);
      }
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError('TS_BAD_CONFIG', `unreadable ${config.codec} decoder configuration record`);
    }
    // Copy: the record may be a view into a buffer the caller reuses.
    track.parameterSets = track.parameterSets.map((b) => Buffer.from(b));
    const codecChanged = this.video?.codec !== track.codec;
    this.video = track;
    if (codecChanged) this.updatePmt();
  }

  private setAudio(config: AudioConfig): void {
    const fields = adtsFieldsFromAsc(config.asc);
    const added = !this.audio;
    this.audio = fields;
    if (added) this.updatePmt();
  }

  /** A new stream list: "version_number ... shall be incremented by 1 modulo 32" and sent right away. */
  private updatePmt(): void {
    const streams: PmtStream[] = [];
    if (this.video) streams.push({ pid: this.videoPid, streamType: this.video.codec === 'h264' ? STREAM_TYPE_H264 : STREAM_TYPE_HEVC });
    if (this.audio) streams.push({ pid: this.audioPid, streamType: STREAM_TYPE_AAC_ADTS });
    if (this.pmt !== EMPTY) this.pmtVersion = (this.pmtVersion + 1) & 0x1f;
    this.pmt = buildPmt(this.programNumber, this.pmtVersion, this.pcrPid(), streams);
    this.psiDue = true;
  }
}
