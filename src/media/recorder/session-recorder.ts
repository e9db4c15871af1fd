/**
 * Records one live session (all its reconnects) into the segment store: every segment the packager closes is
 * written whole, then its manifest row goes to the database, in order, off the media path (the packager hands
 * over its own buffers; nothing is copied). A recording becomes an on-demand media: `Created` at the first
 * segment... `Ready` once the session ends and the last write landed. A full store marks the media `Failed`;
 * the live stream plays on. With DVR on, the recorder also keeps the session's segment list (metadata only)
 * so playback can serve the whole session; without recording, DVR segments live under `dvr/` and are deleted
 * when the session ends.
 */
import type { Logger } from 'pino';
import type { MediaCompletion, MediaRendition, MediaSegmentRow, MediaTrack } from '../../core/media-model.js';
import type { OwnedOutput } from '../../core/live-stream.js';
import type { TrackConfig } from '../frame.js';
import type { ClosedSegment } from '../packager/packager-options.js';
import { SegmentStoreFullError, type SegmentStore } from '../../store/segment-store.js';
import type { SessionHistory } from '../../playback/stored-media.js';
import type { StoredSegment } from '../../playback/vod-playlists.js';

/** What the recorder asks of the database (implemented by Store; each change queues its webhooks). */
export interface RecorderStore {
  /** A new recording media of the stream (adds it to mediaIds; `recording` + `media.created` webhooks). */
  createRecordingMedia(streamId: string): Promise<string>;
  addMediaSegment(row: MediaSegmentRow): Promise<void>;
  completeMedia(mediaId: string, c: MediaCompletion): Promise<void>;
  failMedia(mediaId: string, reason: string): Promise<void>;
}

/** A stored segment of the session (`n` is its live msn, `initN` its init id), as DVR playlists and clips need it. */
export type RecordedSegment = StoredSegment;

export interface SessionRecorderOptions {
  streamId: string;
  record: boolean;
  dvr: boolean;
  store: RecorderStore;
  segments: SegmentStore;
  logger: Logger;
  /** writes not yet landed may hold this many bytes; beyond, the recording fails rather than the process */
  maxPendingBytes?: number;
  /** observers for metrics */
  onWrite?: (bytes: number) => void;
  onFailure?: (reason: string) => void;
  /**
   * Continue a recording another node started (cluster takeover): same media, manifest rows after the stored ones
   * (`load` reads them when the first write happens); the first segment here starts with a discontinuity.
   */
  resume?: { mediaId: string; load(): Promise<{ nextSeq: number; durationS: number }> };
}

const DEFAULT_MAX_PENDING = 256 * 1024 * 1024;
let dvrSessionCounter = 0;

export class SessionRecorder implements OwnedOutput, SessionHistory {
  readonly rendition = 'source';
  /** the session's stored segments in order (DVR playlists, clips) */
  readonly segments: RecordedSegment[] = [];
  private readonly keysByMsn = new Map<number, string>();
  mediaId: string | undefined;
  failed: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private prefix: string | undefined;
  private readonly inits = new Map<number, string>();
  private seq = 0;
  private totalS = 0;
  private storedS = 0;
  private totalBytes = 0;
  private peakBps = 0;
  private pendingBytes = 0;
  private ended = false;
  private endedPromise: Promise<void> | undefined;
  private configs = new Map<string, TrackConfig>();
  private readonly log: Logger;
  private readonly maxPending: number;
  /** a continued recording: manifest seq and seconds stored before this node took over */
  private seqBase = 0;
  private baseS = 0;

  constructor(private readonly opts: SessionRecorderOptions) {
    this.log = opts.logger.child({ module: 'recorder', streamId: opts.streamId });
    this.maxPending = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    if (!opts.record) this.prefix = `dvr/${opts.streamId}/${Date.now().toString(36)}${(dvrSessionCounter++).toString(36)}/source`;
    else if (opts.resume) this.mediaId = opts.resume.mediaId;
  }

  /** Where this session's objects go (`media/<mediaId>/source` or the DVR scratch prefix). */
  get keyPrefix(): string | undefined {
    return this.prefix;
  }

  /** seconds stored so far (what DVR and clips can reach) */
  get durationS(): number {
    return this.storedS;
  }

  get dvr(): boolean {
    return this.opts.dvr;
  }

  initKey(n: number): string | undefined {
    return this.inits.get(n);
  }

  segmentKey(msn: number): string | undefined {
    return this.keysByMsn.get(msn);
  }

  /** Track configs of the session (for the media's tracks and resolution). */
  onConfig(cfg: TrackConfig): void {
    this.configs.set(cfg.track, cfg);
  }

  /** The packager built an init segment. */
  onInit(id: number, bytes: Buffer): void {
    if (this.failed || this.ended) return;
    this.enqueue(bytes.length, async () => {
      const key = `${await this.ensurePrefix()}/init-${id}.mp4`;
      await this.opts.segments.put(key, bytes);
      this.inits.set(id, key);
    });
  }

  /** The packager closed a segment: store it, then its manifest row. */
  onSegment(seg: ClosedSegment): void {
    if (this.failed || this.ended) return;
    let size = 0;
    for (const p of seg.parts) size += p.length;
    const seq = this.seq++;
    const startS = this.totalS;
    this.totalS += seg.durationS;
    this.totalBytes += size;
    if (seg.durationS > 0.1) this.peakBps = Math.max(this.peakBps, Math.round((size * 8) / seg.durationS));
    this.enqueue(size, async () => {
      const prefix = await this.ensurePrefix();
      const key = `${prefix}/seg-${seq + this.seqBase}.m4s`;
      const initKey = this.inits.get(seg.initId) ?? `${prefix}/init-${seg.initId}.mp4`;
      await this.opts.segments.put(key, seg.parts);
      if (this.opts.record && this.mediaId) {
        await this.opts.store.addMediaSegment({
          mediaId: this.mediaId, rendition: this.rendition, seq: seq + this.seqBase, msn: seg.msn, durationS: seg.durationS, key, size,
          discontinuity: seg.discontinuity || (seq === 0 && this.seqBase > 0), programDateTime: new Date(seg.programDateTime).toISOString(), initKey,
        });
      }
      this.segments.push({
        n: seg.msn, durationS: seg.durationS, key, initN: seg.initId, discontinuity: seg.discontinuity,
        programDateTime: seg.programDateTime, startS,
      });
      this.keysByMsn.set(seg.msn, key);
      this.storedS = startS + seg.durationS;
      this.opts.onWrite?.(size);
    });
  }

  private async ensurePrefix(): Promise<string> {
    if (this.prefix) return this.prefix;
    if (this.opts.resume) {
      const { nextSeq, durationS } = await this.opts.resume.load();
      this.seqBase = nextSeq;
      this.baseS = durationS;
      this.prefix = `media/${this.opts.resume.mediaId}/${this.rendition}`;
      this.log.info({ mediaId: this.mediaId, nextSeq }, 'recording continues (taken over from another node)');
      return this.prefix;
    }
    const mediaId = await this.opts.store.createRecordingMedia(this.opts.streamId);
    this.mediaId = mediaId;
    this.prefix = `media/${mediaId}/${this.rendition}`;
    this.log.info({ mediaId }, 'recording started');
    return this.prefix;
  }

  private enqueue(bytes: number, work: () => Promise<void>): void {
    if (this.pendingBytes + bytes > this.maxPending) {
      this.fail(`the segment store fell behind: more than ${this.maxPending} bytes waiting to be written`);
      return;
    }
    this.pendingBytes += bytes;
    this.chain = this.chain.then(async () => {
      try {
        if (!this.failed) await work();
      } catch (err) {
        const reason = err instanceof SegmentStoreFullError
          ? 'the segment store is full (no space left on the device)'
          : `could not write the recording: ${(err as Error).message}`;
        this.log.error({ err, mediaId: this.mediaId }, 'recording failed');
        this.fail(reason);
      } finally {
        this.pendingBytes -= bytes;
      }
    });
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = reason;
    this.opts.onFailure?.(reason);
    const mediaId = this.mediaId;
    if (mediaId && this.opts.record) {
      this.chain = this.chain.then(() => this.opts.store.failMedia(mediaId, reason)).catch((err) => {
        this.log.error({ err, mediaId }, 'could not mark the media failed');
      });
    }
  }

  /** The session ended: once every write landed, the media is complete (Ready) or the DVR scratch is removed. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endedPromise = this.chain.then(async () => {
      if (!this.opts.record) {
        if (this.prefix) await this.opts.segments.deletePrefix(`${this.prefix.slice(0, this.prefix.lastIndexOf('/'))}/`).catch(() => 0);
        return;
      }
      if (this.failed || !this.mediaId) return;
      if (this.opts.resume && !this.prefix) await this.ensurePrefix(); // nothing written here: the stored part's length counts
      await this.opts.store.completeMedia(this.mediaId, completionOf(this.totalS + this.baseS, this.configs, this.totalBytes, this.peakBps));
      this.log.info({ mediaId: this.mediaId, durationS: Math.round(this.totalS * 10) / 10, segments: this.seq }, 'recording complete');
    }).catch((err) => this.log.error({ err, mediaId: this.mediaId }, 'could not complete the recording'));
  }

  close(): void {
    this.end();
  }

  /**
   * Another node continues the session (cluster takeover): every queued write lands, then the recorder stops
   * without completing the media (the next owner does).
   */
  handOver(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.endedPromise = this.chain.then(() => undefined);
    }
    return this.endedPromise ?? this.chain.then(() => undefined);
  }

  /** The media was deleted while recording: nothing more is written or announced (the live stream plays on). */
  abandon(): void {
    this.failed = 'deleted';
    this.ended = true;
  }

  /** Resolves when the recording is complete (tests, shutdown). */
  settled(): Promise<void> {
    return this.endedPromise ?? this.chain.then(() => undefined);
  }
}

/** What a recording's media says about itself: duration, source resolution, tracks and its one rendition. */
export function completionOf(durationS: number, configs: Map<string, TrackConfig>, bytes = 0, peakBps = 0): MediaCompletion {
  const tracks: MediaTrack[] = [];
  const codecs: string[] = [];
  let sourceResolution: string | undefined;
  const v = configs.get('video');
  let width: number | undefined;
  let height: number | undefined;
  if (v && v.track === 'video') {
    width = v.width;
    height = v.height;
    sourceResolution = String(v.height); // FastPix spells it "1080"
    tracks.push({ id: 'video-0', type: 'video', width: v.width, height: v.height, frameRate: '-1', status: 'available' });
    codecs.push(v.codecString);
  }
  const a = configs.get('audio');
  if (a && a.track === 'audio') {
    tracks.push({ id: 'audio-0', type: 'audio', status: 'available' });
    codecs.push(a.codecString);
  }
  const average = durationS > 0 ? Math.round((bytes * 8) / durationS) : 0;
  const rendition: MediaRendition = { name: 'source', codecs: codecs.join(','), bandwidth: Math.max(peakBps, average), averageBandwidth: average };
  if (width !== undefined) rendition.width = width;
  if (height !== undefined) rendition.height = height;
  const c: MediaCompletion = { durationS, tracks, renditions: [rendition] };
  if (sourceResolution) c.sourceResolution = sourceResolution;
  return c;
}
