/** MPEG-TS demuxer: bytes in (any slicing), H.264/HEVC access units and AAC frames out to a FrameSink. */
import type { FrameSink } from '../../media/frame.js';
import { AdtsPesParser } from './adts-pes-parser.js';
import { parsePesHeader } from './pes-header.js';
import { DEFAULT_MAX_PES_SIZE, PesAssembler } from './pes-assembler.js';
import { PsiSectionAssembler } from './psi-section-assembler.js';
import { parsePat, parsePmt, type PmtInfo } from './psi-tables.js';
import { TimestampUnwrapper, wrappedDelta } from './timestamp-unwrapper.js';
import { PID_PAT, STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, STREAM_TYPE_HEVC, TS_PACKET_SIZE } from './ts-constants.js';
import { emptyDemuxerStats, type TsDemuxerStats } from './ts-demuxer-stats.js';
import { TsPacketReader } from './ts-packet-reader.js';
import { VideoAccessUnitParser } from './video-access-unit-parser.js';

export interface TsDemuxerOptions {
  /** largest PES accepted, bytes (default 8 MiB); bigger ones are dropped and counted */
  maxPesSize?: number;
}

/** One elementary stream selected from the PMT. */
interface ElementaryStream {
  pid: number;
  streamType: number;
  /** last continuity_counter seen on a packet with payload, -1 before the first */
  cc: number;
  assembler: PesAssembler;
  clock: TimestampUnwrapper;
  lastDts: number;
  video?: VideoAccessUnitParser;
  audio?: AdtsPesParser;
}

export class TsDemuxer {
  readonly stats: TsDemuxerStats = emptyDemuxerStats();
  private readonly reader = new TsPacketReader();
  private readonly pat = new PsiSectionAssembler();
  private readonly pmt = new PsiSectionAssembler();
  private pmtPid = -1;
  private pmtVersion = -1;
  private streams = new Map<number, ElementaryStream>();
  private readonly maxPesSize: number;
  private readonly onPacket = (packet: Buffer): void => this.handlePacket(packet);

  constructor(
    private readonly sink: FrameSink,
    options: TsDemuxerOptions = {},
  ) {
    this.maxPesSize = options.maxPesSize ?? DEFAULT_MAX_PES_SIZE;
  }

  /**
   * Feed bytes: any slicing, garbage tolerated. Emits through the sink synchronously. Frames hold
   * views into `chunk`-derived buffers: do not mutate `chunk` after pushing it.
   */
  push(chunk: Buffer): void {
    this.reader.push(chunk, this.onPacket);
    this.stats.resyncs = this.reader.resyncs;
    this.stats.psiErrors = this.pat.crcErrors + this.pmt.crcErrors;
  }

  /** End of input: emit the access units still waiting for the next unit start (the last video AU). */
  flush(): void {
    this.reader.drain(this.onPacket);
    for (const es of this.streams.values()) es.assembler.flush((pes) => this.handlePes(es, pes));
  }

  private handlePacket(packet: Buffer): void {
    this.stats.packets++;
    // transport_error_indicator: "at least 1 uncorrectable bit error exists in the associated packet".
    if (packet[1]! & 0x80) {
      this.stats.transportErrors++;
      return;
    }
    const unitStart = (packet[1]! & 0x40) !== 0;
    const pid = ((packet[1]! & 0x1f) << 8) | packet[2]!;
    const afc = (packet[3]! >> 4) & 0x03;
    const cc = packet[3]! & 0x0f;
    // adaptation_field_control '00' is reserved: "the decoder shall discard" such packets.
    if (afc === 0) return;
    let payloadStart = 4;
    let discontinuity = false;
    if (afc & 0x02) {
      const afLength = packet[4]!;
      payloadStart = 5 + afLength;
      if (payloadStart > TS_PACKET_SIZE) return;
      if (afLength > 0) discontinuity = (packet[5]! & 0x80) !== 0;
    }
    const hasPayload = (afc & 0x01) !== 0 && payloadStart < TS_PACKET_SIZE;
    if (pid === PID_PAT) {
      if (hasPayload) this.pat.push(packet.subarray(payloadStart), unitStart, (s) => this.handlePat(s));
      return;
    }
    if (pid === this.pmtPid) {
      if (hasPayload) this.pmt.push(packet.subarray(payloadStart), unitStart, (s) => this.handlePmt(s));
      return;
    }
    const es = this.streams.get(pid);
    if (!es || (afc & 0x01) === 0) return; // not in the PMT, or adaptation field only (CC does not advance)
    if (es.cc >= 0 && !discontinuity) {
      // "In Transport Streams, duplicate packets may be sent as two, and only two, consecutive
      // Transport Stream packets of the same PID" with the same continuity_counter.
      if (cc === es.cc) return;
      if (cc !== ((es.cc + 1) & 0x0f)) {
        this.stats.ccErrors++;
        if (es.assembler.drop()) this.stats.pesErrors++;
      }
    }
    es.cc = cc;
    if (!hasPayload) return;
    if (!es.assembler.push(packet.subarray(payloadStart), unitStart, (pes) => this.handlePes(es, pes))) this.stats.pesErrors++;
  }

  private handlePat(section: Buffer): void {
    const pat = parsePat(section);
    if (!pat || pat.pmtPid === this.pmtPid) return;
    // A new program map PID: a different program, start over.
    this.pmtPid = pat.pmtPid;
    this.pmtVersion = -1;
    this.pmt.reset();
    this.streams = new Map();
  }

  private handlePmt(section: Buffer): void {
    const pmt = parsePmt(section);
    // "version_number ... shall be incremented by 1 modulo 32 whenever the definition of the
    // Program Map Table changes": the same version means nothing to do.
    if (!pmt || pmt.version === this.pmtVersion) return;
    this.pmtVersion = pmt.version;
    this.streams = this.selectStreams(pmt);
  }

  /** First video (H.264 or HEVC) and first AAC stream; streams already running on the same PID and type are kept. */
  private selectStreams(pmt: PmtInfo): Map<number, ElementaryStream> {
    const next = new Map<number, ElementaryStream>();
    let haveVideo = false;
    let haveAudio = false;
    for (const { pid, streamType } of pmt.streams) {
      const isVideo = streamType === STREAM_TYPE_H264 || streamType === STREAM_TYPE_HEVC;
      const isAudio = streamType === STREAM_TYPE_AAC_ADTS;
      if ((!isVideo && !isAudio) || (isVideo && haveVideo) || (isAudio && haveAudio) || next.has(pid)) {
        this.stats.ignoredStreams++;
        continue;
      }
      if (isVideo) haveVideo = true;
      else haveAudio = true;
      const current = this.streams.get(pid);
      next.set(pid, current && current.streamType === streamType ? current : this.createStream(pid, streamType));
    }
    return next;
  }

  private createStream(pid: number, streamType: number): ElementaryStream {
    const es: ElementaryStream = {
      pid,
      streamType,
      cc: -1,
      assembler: new PesAssembler(this.maxPesSize),
      clock: new TimestampUnwrapper(),
      lastDts: -Infinity,
    };
    if (streamType === STREAM_TYPE_AAC_ADTS) es.audio = new AdtsPesParser(this.sink, this.stats);
    else es.video = new VideoAccessUnitParser(streamType === STREAM_TYPE_H264 ? 'h264' : 'hevc', this.sink, this.stats);
    return es;
  }

  private handlePes(es: ElementaryStream, pes: Buffer): void {
    // Ignore a PES for a stream the PMT dropped while it was being assembled.
    if (this.streams.get(es.pid) !== es) return;
    const header = parsePesHeader(pes);
    if (!header) {
      this.stats.pesErrors++;
      return;
    }
    const payload = pes.subarray(header.payloadOffset);
    let dts: number | undefined;
    let pts: number | undefined;
    if (header.pts !== undefined) {
      const rawDts = header.dts ?? header.pts;
      // Unwrap DTS; PTS keeps its (small, signed) distance from it, so both cross 2^33 together.
      dts = Math.max(es.clock.unwrap(rawDts), es.lastDts);
      pts = Math.max(dts + wrappedDelta(rawDts, header.pts), dts);
      es.lastDts = dts;
    }
    if (es.audio) {
      es.audio.push(payload, pts);
      return;
    }
    if (dts === undefined) {
      // No PTS on this PES: reuse the previous timestamp rather than inventing a rate.
      if (es.lastDts === -Infinity) {
        this.stats.droppedFrames++;
        return;
      }
      dts = pts = es.lastDts;
    }
    es.video!.push(payload, dts, pts!);
  }
}
