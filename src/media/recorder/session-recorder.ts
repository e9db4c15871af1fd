/**
 * Records one live session (all its reconnects) into the segment store: every segment a rendition's packager
 * closes is written whole, then its manifest row goes to the database, in order, off the media path (the
 * packagers hand over their own buffers; nothing is copied). The renditions are the source and, on a transcoded
 * stream, every ladder rung (`720p`, ...): one recorder owns one media and writes them all into it, under
 * `media/<mediaId>/<rendition>/`, through one ordered queue with one budget of pending bytes.
 *
 * A recording becomes an on-demand media: `Created` at the first segment... `Ready` once the session ends and
 * the last write landed. A full or failing store (any rendition's write) marks the media `Failed`; the live
 * stream plays on. With DVR on, the recorder also keeps each rendition's segment list (metadata only) so playback
 * can serve the whole session; without recording, DVR segments live under `dvr/` and are deleted when the
 * session ends.
 *
 * Rungs come and go (ffmpeg restarted after a crash, a rung left out while the source changed size): a rung is
 * recorded from when its packager is there. Its manifest rows keep the live msn of each segment, which is the
 * source's msn of the same media (the ladder aligns them), so gaps are simply missing rows here; the VOD view
 * (playback/vod-playlists.ts `alignRendition`) lays every rendition on the source's timeline and marks the
 * missing segments EXT-X-GAP, so renditions stay aligned for players switching between them.
 */
import type { Logger } from 'pino';
import type { MediaCompletion, MediaRendition, MediaSegmentRow, MediaTrack } from '../../core/media-model.js';
import type { OwnedOutput } from '../../core/live-stream.js';
import type { TrackConfig } from '../frame.js';
import type { ClosedSegment } from '../packager/packager-options.js';
import { SegmentStoreFullError, type SegmentStore } from '../../store/segment-store.js';
import type { SessionHistory } from '../../playback/stored-media.js';
import type { StoredSegment } from '../../playback/vod-playlists.js';
import { RenditionTrack, type DescribeRendition } from './rendition-track.js';

/** The rendition name of the source (passthrough) packager. */
export const SOURCE_RENDITION = 'source';

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

/** The hooks a rendition's packager calls (LivePackager `onInit` / `onSegment`). */
export interface RenditionRecording {
  onInit(id: number, bytes: Buffer): void;
  onSegment(seg: ClosedSegment): void;
}

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
   * (`load` reads a rendition's when its first write happens); the first segment here starts with a discontinuity.
   */
  resume?: { mediaId: string; load(rendition: string): Promise<{ nextSeq: number; durationS: number }> };
}

const DEFAULT_MAX_PENDING = 256 * 1024 * 1024;
let dvrSessionCounter = 0;

export class SessionRecorder implements OwnedOutput, SessionHistory {
  mediaId: string | undefined;
  failed: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** every rendition recorded so far, the source first */
  private readonly tracks = new Map<string, RenditionTrack>();
  /** session seconds at the start of each source segment (msn -> s): rungs share the source's timeline */
  private readonly sourceStartByMsn = new Map<number, number>();
  private readonly source: RenditionTrack;
  private readonly sourceHooks: RenditionRecording;
  /** `dvr/<streamId>/<session>` when DVR runs without recording (removed at the end) */
  private readonly scratch: string | undefined;
  private pendingBytes = 0;
  private ended = false;
  private endedPromise: Promise<void> | undefined;
  private configs = new Map<string, TrackConfig>();
  private readonly log: Logger;
  private readonly maxPending: number;

  constructor(private readonly opts: SessionRecorderOptions) {
    this.log = opts.logger.child({ module: 'recorder', streamId: opts.streamId });
    this.maxPending = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    if (!opts.record) this.scratch = `dvr/${opts.streamId}/${Date.now().toString(36)}${(dvrSessionCounter++).toString(36)}`;
    else if (opts.resume) this.mediaId = opts.resume.mediaId;
    this.source = new RenditionTrack(SOURCE_RENDITION, opts.dvr, undefined);
    this.tracks.set(SOURCE_RENDITION, this.source);
    this.sourceHooks = this.hooksFor(this.source);
  }

  /**
   * The hooks of rendition `name`'s packager. A rung whose packager is replaced (the ladder restarted) calls this
   * again: its recording goes on (same rendition, next rows). `describe` reads the live packager's codecs, size
   * and frame rate for the media's renditions.
   */
  rendition(name: string, describe?: DescribeRendition): RenditionRecording {
    if (name === SOURCE_RENDITION) {
      if (describe) this.source.describe = describe;
      return this.sourceHooks;
    }
    let track = this.tracks.get(name);
    if (!track) {
      track = new RenditionTrack(name, this.opts.dvr, describe);
      this.tracks.set(name, track);
    } else if (describe) track.describe = describe;
    return this.hooksFor(track);
  }

  /** The stored history of one rendition of the session (DVR, clips, thumbnails), undefined before it has any. */
  historyOf(name: string): SessionHistory | undefined {
    return this.tracks.get(name);
  }

  /** Names of the renditions recorded so far, the source first. */
  renditionNames(): string[] {
    return [...this.tracks.keys()];
  }

  /** The media's renditions as recorded so far (the source first): what completion writes, what clips of a live session copy. */
  renditionsSoFar(): MediaRendition[] {
    const out: MediaRendition[] = [];
    for (const t of this.tracks.values()) {
      const r = t === this.source ? sourceRendition(t, this.configs) : t.mediaRendition(sourceCodecs(this.configs));
      if (r) out.push(r);
    }
    return out;
  }

  /** Where the source's objects go (`media/<mediaId>/source` or the DVR scratch prefix), once known. */
  get keyPrefix(): string | undefined {
    return this.source.prefix ?? (this.scratch ? `${this.scratch}/${SOURCE_RENDITION}` : undefined);
  }

  // ---- the source rendition as the SessionHistory (DVR playlists, clips) ----

  get segments(): readonly RecordedSegment[] {
    return this.source.segments;
  }

  /** seconds of the source stored so far (what DVR and clips can reach) */
  get durationS(): number {
    return this.source.storedS;
  }

  get dvr(): boolean {
    return this.opts.dvr;
  }

  initKey(n: number): string | undefined {
    return this.source.initKey(n);
  }

  segmentKey(msn: number): string | undefined {
    return this.source.segmentKey(msn);
  }

  /** Track configs of the source (for the media's tracks and resolution). */
  onConfig(cfg: TrackConfig): void {
    this.configs.set(cfg.track, cfg);
  }

  /** The source packager built an init segment. */
  onInit(id: number, bytes: Buffer): void {
    this.sourceHooks.onInit(id, bytes);
  }

  /** The source packager closed a segment: store it, then its manifest row. */
  onSegment(seg: ClosedSegment): void {
    this.sourceHooks.onSegment(seg);
  }

  // ---- writing ----

  private hooksFor(track: RenditionTrack): RenditionRecording {
    return {
      onInit: (id, bytes) => this.writeInit(track, id, bytes),
      onSegment: (seg) => this.writeSegment(track, seg),
    };
  }

  private writeInit(track: RenditionTrack, id: number, bytes: Buffer): void {
    if (this.failed || this.ended) return;
    this.enqueue(bytes.length, async () => {
      // (init ids come from the packager's first msn: a restarted rung's new packager never reuses an older one's)
      const key = `${await this.ensurePrefix(track)}/init-${id}.mp4`;
      await this.opts.segments.put(key, bytes);
      track.inits.set(id, key);
    });
  }

  private writeSegment(track: RenditionTrack, seg: ClosedSegment): void {
    if (this.failed || this.ended) return seg.release();
    let size = 0;
    for (const p of seg.parts) size += p.length;
    const seq = track.seq++;
    // a rung's segment starts where the source's segment of the same msn starts (the ladder aligns them)
    let startS: number;
    if (track === this.source) {
      startS = track.totalS;
      this.sourceStartByMsn.set(seg.msn, startS);
    } else {
      startS = this.sourceStartByMsn.get(seg.msn) ?? track.totalS;
    }
    track.totalS += seg.durationS;
    track.totalBytes += size;
    if (seg.durationS > 0.1) track.peakBps = Math.max(track.peakBps, Math.round((size * 8) / seg.durationS));
    track.sample();
    this.enqueue(size, async () => {
      const prefix = await this.ensurePrefix(track);
      const key = `${prefix}/seg-${seq + track.seqBase}.m4s`;
      const initKey = track.inits.get(seg.initId) ?? `${prefix}/init-${seg.initId}.mp4`;
      await this.opts.segments.put(key, seg.parts);
      if (this.opts.record && this.mediaId) {
        await this.opts.store.addMediaSegment({
          mediaId: this.mediaId, rendition: track.name, seq: seq + track.seqBase, msn: seg.msn, durationS: seg.durationS, key, size,
          discontinuity: seg.discontinuity || (seq === 0 && track.seqBase > 0), programDateTime: new Date(seg.programDateTime).toISOString(), initKey,
        });
      }
      track.stored({
        n: seg.msn, durationS: seg.durationS, key, initN: seg.initId, discontinuity: seg.discontinuity,
        programDateTime: seg.programDateTime, startS,
      });
      this.opts.onWrite?.(size);
    }, () => seg.release()); // the store has the bytes (or gave up): the packager may recycle the parts' memory
  }

  /** The rendition's key prefix; the first write of the session creates the media (runs inside the queue). */
  private async ensurePrefix(track: RenditionTrack): Promise<string> {
    if (track.prefix) return track.prefix;
    if (this.scratch) {
      track.prefix = `${this.scratch}/${track.name}`;
      return track.prefix;
    }
    const resume = this.opts.resume;
    if (resume) {
      const { nextSeq, durationS } = await resume.load(track.name);
      track.seqBase = nextSeq;
      track.baseS = durationS;
      track.resumeLoaded = true;
      track.prefix = `media/${resume.mediaId}/${track.name}`;
      this.log.info({ mediaId: this.mediaId, rendition: track.name, nextSeq }, 'recording continues (taken over from another node)');
      return track.prefix;
    }
    if (!this.mediaId) {
      this.mediaId = await this.opts.store.createRecordingMedia(this.opts.streamId);
      this.log.info({ mediaId: this.mediaId }, 'recording started');
    }
    track.prefix = `media/${this.mediaId}/${track.name}`;
    if (track !== this.source) this.log.info({ mediaId: this.mediaId, rendition: track.name }, 'recording a rendition of the ladder');
    return track.prefix;
  }

  /** Runs `work` after the writes before it; `done` runs once whatever happens (also when the work is refused). */
  private enqueue(bytes: number, work: () => Promise<void>, done?: () => void): void {
    if (this.pendingBytes + bytes > this.maxPending) {
      this.fail(`the segment store fell behind: more than ${this.maxPending} bytes waiting to be written`);
      done?.();
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
        done?.();
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
        if (this.scratch) await this.opts.segments.deletePrefix(`${this.scratch}/`).catch(() => 0);
        return;
      }
      if (this.failed || !this.mediaId) return;
      // nothing written here by a continued recording: the stored part's length counts
      if (this.opts.resume && !this.source.prefix) await this.ensurePrefix(this.source);
      const renditions = this.renditionsSoFar();
      const durationS = this.source.totalS + this.source.baseS;
      await this.opts.store.completeMedia(this.mediaId, completionOf(durationS, this.configs, renditions));
      this.log.info({
        mediaId: this.mediaId, durationS: Math.round(durationS * 10) / 10, segments: this.source.seq,
        renditions: renditions.map((r) => r.name),
      }, 'recording complete');
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

function sourceCodecs(configs: Map<string, TrackConfig>): string[] {
  return [configs.get('video'), configs.get('audio')].filter((c): c is TrackConfig => c !== undefined).map((c) => c.codecString);
}

/** The source's entry: its configs say codecs and size even when the packager never described it. */
function sourceRendition(t: RenditionTrack, configs: Map<string, TrackConfig>): MediaRendition | undefined {
  const v = configs.get('video');
  const size = v && v.track === 'video' ? { width: v.width, height: v.height } : undefined;
  if (t.seq > 0) return t.mediaRendition(sourceCodecs(configs), size);
  // (a continued recording with nothing written here still describes its source)
  if (!t.resumeLoaded && configs.size === 0) return undefined;
  const r: MediaRendition = { name: t.name, codecs: sourceCodecs(configs).join(','), bandwidth: 0, averageBandwidth: 0 };
  if (size) Object.assign(r, size);
  return r;
}

/**
 * What a recording's media says about itself: duration, source resolution and tracks (the source's: FastPix
 * reports one video track per media), and every recorded rendition (`renditions`: the source first, then the
 * rungs as recorded). Without `renditions`, the source alone, described by its configs.
 */
export function completionOf(durationS: number, configs: Map<string, TrackConfig>, renditions?: MediaRendition[]): MediaCompletion {
  const tracks: MediaTrack[] = [];
  let sourceResolution: string | undefined;
  const v = configs.get('video');
  if (v && v.track === 'video') {
    sourceResolution = String(v.height); // FastPix spells it "1080"
    tracks.push({ id: 'video-0', type: 'video', width: v.width, height: v.height, frameRate: '-1', status: 'available' });
  }
  const a = configs.get('audio');
  if (a && a.track === 'audio') tracks.push({ id: 'audio-0', type: 'audio', status: 'available' });
  let list = renditions;
  if (!list || list.length === 0) {
    const r: MediaRendition = { name: SOURCE_RENDITION, codecs: sourceCodecs(configs).join(','), bandwidth: 0, averageBandwidth: 0 };
    if (v && v.track === 'video') Object.assign(r, { width: v.width, height: v.height });
    list = [r];
  }
  const c: MediaCompletion = { durationS, tracks, renditions: list };
  if (sourceResolution) c.sourceResolution = sourceResolution;
  return c;
}
