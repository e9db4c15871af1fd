/**
 * One rendition of a recorded session (the source, or a ladder rung such as `720p`): where its objects go, the
 * segments stored so far (DVR playlists, clips, thumbnails of the live session), and what the media says about
 * it once complete (codecs, size, frame rate, measured bitrates). The SessionRecorder owns one per rendition and
 * runs their writes in one ordered queue.
 */
import type { MediaRendition } from '../../core/media-model.js';
import type { VariantInfo } from '../packager/index.js';
import type { SessionHistory } from '../../playback/stored-media.js';
import type { StoredSegment } from '../../playback/vod-playlists.js';

/** What the rendition's live packager says about itself (codecs, resolution, frame rate), read at each segment. */
export type DescribeRendition = () => VariantInfo | undefined;

export class RenditionTrack implements SessionHistory {
  /** the stored segments of this session in order (`n` = live msn, `initN` = the packager's init id) */
  readonly segments: StoredSegment[] = [];
  private readonly keysByMsn = new Map<number, string>();
  readonly inits = new Map<number, string>();
  /** `media/<mediaId>/<name>` or the DVR scratch prefix; set by the first write */
  prefix: string | undefined;
  /** manifest rows written (or counted) by this node */
  seq = 0;
  /** seconds closed (queued or stored) and stored */
  totalS = 0;
  storedS = 0;
  totalBytes = 0;
  peakBps = 0;
  /** a continued recording (cluster takeover): rows and seconds stored before this node; loaded on first write */
  seqBase = 0;
  baseS = 0;
  resumeLoaded = false;
  /** the latest description of the live rendition */
  described: VariantInfo | undefined;
  /**
   * frame rates the packager measured, by how often (its newest segment's: a segment cut short at a reconnect or
   * at the end reads 29.7 for 30): the most frequent one describes the rendition
   */
  private readonly frameRates = new Map<number, number>();

  constructor(readonly name: string, private readonly dvrOn: boolean, public describe: DescribeRendition | undefined) {}

  get dvr(): boolean {
    return this.dvrOn;
  }

  get durationS(): number {
    return this.storedS;
  }

  initKey(n: number): string | undefined {
    return this.inits.get(n);
  }

  segmentKey(msn: number): string | undefined {
    return this.keysByMsn.get(msn);
  }

  /** A segment landed in the store. */
  stored(seg: StoredSegment): void {
    this.segments.push(seg);
    this.keysByMsn.set(seg.n, seg.key);
    this.storedS = Math.max(this.storedS, seg.startS + seg.durationS);
  }

  /** Read the live packager's description (codecs, size, frame rate) while it is there. */
  sample(): void {
    const d = this.describe?.();
    if (!d) return;
    this.described = d;
    if (d.frameRate !== undefined && Number.isFinite(d.frameRate) && d.frameRate > 0) {
      const fr = Math.round(d.frameRate * 1000) / 1000;
      this.frameRates.set(fr, (this.frameRates.get(fr) ?? 0) + 1);
    }
  }

  /** The most often measured frame rate (ties: the higher). */
  get frameRate(): number | undefined {
    let best: number | undefined;
    let count = 0;
    for (const [fr, n] of this.frameRates) {
      if (n > count || (n === count && best !== undefined && fr > best)) {
        best = fr;
        count = n;
      }
    }
    return best;
  }

  /** The media's entry for this rendition (undefined when nothing was recorded here). */
  mediaRendition(fallbackCodecs: string[], size?: { width: number; height: number }): MediaRendition | undefined {
    if (this.seq === 0) return undefined;
    const d = this.described;
    const average = this.totalS > 0 ? Math.round((this.totalBytes * 8) / this.totalS) : 0;
    const codecs = d?.codecs.length ? d.codecs : fallbackCodecs;
    const r: MediaRendition = { name: this.name, codecs: codecs.join(','), bandwidth: Math.max(this.peakBps, average), averageBandwidth: average };
    const res = d?.resolution ?? size;
    if (res) {
      r.width = res.width;
      r.height = res.height;
    }
    const frameRate = this.frameRate;
    if (frameRate !== undefined) r.frameRate = frameRate;
    return r;
  }
}
