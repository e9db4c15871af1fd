/**
 * The playback listener's stored-media side: VOD playlists and segments of recordings and clips, the DVR
 * history and instant clips of a live session, byte-served from the segment store with HTTP Range. Never on
 * the live hot path: the live edge stays in memory (playback-server.ts); this answers what is behind it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaData, MediaRendition, MediaSegmentRow } from '../core/media-model.js';
import type { SegmentStore } from '../store/segment-store.js';
import { IMMUTABLE, MP4_TYPE, NO_STORE, PLAYLIST_TYPE, SHORT, applyCors, sendBody, sendError } from './http-replies.js';
import { playbackBytes } from './playback-metrics.js';
import { parseRenditionQuery, selectRenditions } from './rendition-select.js';
import {
  ClipRangeError, alignRendition, clipSegments, parseClipRange, parseRange, storedMediaPlaylist, storedMultivariant,
  storedMultivariantOf, type ClipRange, type RecordedRow, type StoredSegment, type VariantDescription,
} from './vod-playlists.js';

/** The rendition name of the source in manifests and store keys (played at `/{id}/media.m3u8`). */
export const SOURCE_RENDITION = 'source';

/** One recorded rendition of a media, on the media's timeline (see vod-playlists.ts alignRendition). */
export interface MediaRenditionView {
  /** `source`, `720p`, ... */
  name: string;
  /** short side in pixels (selection by maxResolution & co.); the source's when unknown: above every rung */
  shortSide: number;
  /** listed in the multivariant playlist (the source is not when above the media's maxResolution and rungs exist) */
  listed: boolean;
  variant: VariantDescription;
  segments: StoredSegment[];
  initKeys: Map<number, string>;
}

/** A recording or clip as playback serves it. */
export interface MediaView {
  mediaId: string;
  /** Ready: complete (VOD); otherwise still being recorded (EVENT playlist, no ENDLIST) */
  ended: boolean;
  durationS: number;
  /** the primary rendition (the source; or the first recorded): downloads, clips of old media */
  segments: StoredSegment[];
  /** init segment keys by their URI number */
  initKeys: Map<number, string>;
  variant: VariantDescription;
  /** every recorded rendition, highest first (one, the source, for media recorded without a ladder) */
  renditions: MediaRenditionView[];
}

/** A live session's stored history (DVR, clips), kept in memory by its recorder. */
export interface SessionHistory {
  dvr: boolean;
  durationS: number;
  segments: readonly StoredSegment[];
  initKey(n: number): string | undefined;
  segmentKey(msn: number): string | undefined;
  /** the stored history of a transcoded rendition of the session (`720p`), when the recorder keeps the rungs */
  historyOf?(rendition: string): SessionHistory | undefined;
}

const DEFAULT_CODECS = ['avc1.64001f', 'mp4a.40.2'];
/** a source whose size is unknown (a crash-recovered media) sorts above every rung: rungs are made from it */
const UNKNOWN_SOURCE_SIDE = 100_000;

type SizedRow = RecordedRow & { size: number };

const toRecordedRow = (r: MediaSegmentRow): SizedRow => {
  const out: SizedRow = { msn: r.msn, durationS: r.durationS, key: r.key, initKey: r.initKey, discontinuity: r.discontinuity, size: r.size };
  if (r.programDateTime) out.programDateTime = Date.parse(r.programDateTime);
  return out;
};

/** `720p` -> 720 */
function sideOfName(name: string): number | undefined {
  const m = /^(\d{3,4})p$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * A media's VOD view from its record and its manifest rows (every rendition). The source's rows are the
 * timeline; each rung is laid on it (gaps where it was not running). Descriptions come from the media's
 * `renditions` (written when the recording completed); what they lack (a media completed after a crash) is
 * measured from the rows (bitrates) or taken from the name (`720p`).
 */
export function mediaViewOf(media: MediaData, rows: readonly MediaSegmentRow[]): MediaView {
  const byName = new Map<string, SizedRow[]>();
  for (const r of [...rows].sort((a, b) => a.seq - b.seq)) {
    let list = byName.get(r.rendition);
    if (!list) byName.set(r.rendition, list = []);
    list.push(toRecordedRow(r));
  }
  // the reference timeline: the source's rows (without them, the longest rendition's)
  let refName = byName.has(SOURCE_RENDITION) ? SOURCE_RENDITION : undefined;
  if (refName === undefined) for (const [name, list] of byName) if (refName === undefined || list.length > byName.get(refName)!.length) refName = name;
  const reference = refName !== undefined ? byName.get(refName)! : [];
  const described = new Map<string, MediaRendition>();
  for (const r of media.renditions ?? []) described.set(r.name, r);
  const sourceDesc = described.get(SOURCE_RENDITION) ?? (refName !== undefined ? described.get(refName) : undefined) ?? media.renditions?.[0];
  const sourceCodecs = sourceDesc?.codecs ? sourceDesc.codecs.split(',') : DEFAULT_CODECS;
  const cap = sideOfName(media.maxResolution) ?? Number.POSITIVE_INFINITY;
  const ended = media.status === 'Ready' || media.status === 'Failed';
  const renditions: MediaRenditionView[] = [];
  for (const [name, list] of byName) {
    const aligned = alignRendition(reference, list);
    if (aligned.recorded === 0) continue;
    // still recording (an EVENT playlist only grows): a rung's newest segments may not have landed yet, so its
    // trailing gaps are left off rather than published and then replaced
    if (!ended) while (aligned.segments.length > 0 && aligned.segments[aligned.segments.length - 1]!.gap) aligned.segments.pop();
    const isRef = name === refName;
    const d = described.get(name) ?? (isRef ? sourceDesc : undefined);
    const measured = bitratesOf(list);
    const variant: VariantDescription = {
      bandwidth: d?.bandwidth || measured.peak || 1_000_000,
      codecs: d?.codecs ? d.codecs.split(',') : sourceCodecs,
    };
    const average = d?.averageBandwidth || measured.average;
    if (average) variant.averageBandwidth = average;
    if (d?.width && d.height) variant.resolution = { width: d.width, height: d.height };
    if (d?.frameRate) variant.frameRate = d.frameRate;
    const side = variant.resolution ? Math.min(variant.resolution.width, variant.resolution.height) : sideOfName(name);
    renditions.push({
      name, shortSide: side ?? (isRef ? UNKNOWN_SOURCE_SIDE : 0), listed: true, variant, segments: aligned.segments, initKeys: aligned.initKeys,
    });
  }
  renditions.sort((a, b) => b.shortSide - a.shortSide || Number(b.name === refName) - Number(a.name === refName));
  // as live (transcoder/ladder.ts): a source above maxResolution is not offered when rungs stand in for it
  const primary = renditions.find((r) => r.name === refName) ?? renditions[0];
  if (primary && renditions.length > 1 && primary.shortSide > cap && primary.shortSide !== UNKNOWN_SOURCE_SIDE) primary.listed = false;
  let durationS = 0;
  for (const r of reference) durationS += r.durationS;
  return {
    mediaId: media.mediaId,
    ended,
    durationS,
    segments: primary?.segments ?? [],
    initKeys: primary?.initKeys ?? new Map(),
    variant: primary?.variant ?? { bandwidth: 1_000_000, codecs: sourceCodecs },
    renditions,
  };
}

/** Peak and average bits per second of a rendition's segments, from the manifest's sizes. */
function bitratesOf(rows: readonly SizedRow[]): { peak: number; average: number } {
  let bytes = 0;
  let seconds = 0;
  let peak = 0;
  for (const r of rows) {
    bytes += r.size;
    seconds += r.durationS;
    if (r.durationS > 0.1) peak = Math.max(peak, Math.round((r.size * 8) / r.durationS));
  }
  return { peak, average: seconds > 0 ? Math.round((bytes * 8) / seconds) : 0 };
}

export class StoredMedia {
  constructor(private readonly store: SegmentStore | undefined) {}

  get enabled(): boolean {
    return this.store !== undefined;
  }

  /**
   * `/{mediaPlaybackId}.m3u8` (every listed rendition, filtered and ordered by the player parameters
   * `maxResolution`, `minResolution`, `resolution`, `renditionOrder` as live), `/{id}/media.m3u8` (the source)
   * and `/{id}/720p/media.m3u8` (a rung) of a recording or clip, optionally a range of it.
   */
  playlist(res: ServerResponse, view: MediaView, playbackId: string, multivariant: boolean, query: URLSearchParams, suffix: string, rendition?: string): ClipRange | undefined {
    const files = mediaFilesOf(view, rendition);
    if (!files) {
      sendError(res, 404, 'rendition not found', `The media has no ${rendition} rendition`);
      return undefined;
    }
    let segments = files.segments;
    let range: ClipRange | undefined;
    try {
      range = parseClipRange(query, view.durationS);
    } catch (err) {
      if (err instanceof ClipRangeError) {
        sendError(res, 400, 'invalid clip range', err.message, NO_STORE);
        return undefined;
      }
      throw err;
    }
    if (range) segments = clipSegments(segments, range);
    const sfx = withParams(suffix, range ? rangeParams(range) : '');
    const cache = view.ended ? 'public, max-age=60' : SHORT;
    if (multivariant) {
      const rq = parseRenditionQuery(query);
      if ('error' in rq) {
        sendError(res, 400, 'bad playback parameter', rq.error, NO_STORE);
        return undefined;
      }
      const listed = view.renditions.filter((r) => r.listed);
      const picked = selectRenditions(listed.map((r) => ({ ...r.variant, uri: `${playbackId}/${renditionPath(view, r.name)}media.m3u8`, shortSide: r.shortSide })), rq);
      const text = picked.length > 0
        ? storedMultivariantOf(picked.map(({ shortSide: _s, ...v }) => v), sfx)
        : storedMultivariant(playbackId, view.variant, '', sfx);
      sendBody(res, PLAYLIST_TYPE, cache, text);
    } else {
      sendBody(res, PLAYLIST_TYPE, cache, storedMediaPlaylist(segments, view.ended || range !== undefined, sfx));
    }
    return range;
  }

  /**
   * A live session's clip (`?start=&end=` on a live playback id): a VOD playlist of the stored range. `history` is
   * the source's (its duration bounds the range); `child` the history of the rendition asked for (a rung's
   * `media.m3u8`), `variants` what the multivariant lists (each rendition with stored history).
   */
  sessionClip(
    res: ServerResponse, history: SessionHistory, multivariant: boolean, query: URLSearchParams, suffix: string,
    variants: (VariantDescription & { uri: string })[], child: SessionHistory = history,
  ): ClipRange | undefined {
    let range: ClipRange | undefined;
    try {
      range = parseClipRange(query, history.durationS);
    } catch (err) {
      if (err instanceof ClipRangeError) {
        sendError(res, 400, 'invalid clip range', err.message, NO_STORE);
        return undefined;
      }
      throw err;
    }
    if (!range) return undefined;
    const sfx = withParams(suffix, rangeParams(range));
    if (multivariant) {
      if (variants.length === 0) {
        sendError(res, 412, 'stream not ready', 'The live stream has no media yet; retry in a moment');
        return undefined;
      }
      sendBody(res, PLAYLIST_TYPE, SHORT, storedMultivariantOf(variants, sfx));
    } else {
      sendBody(res, PLAYLIST_TYPE, 'public, max-age=60', storedMediaPlaylist(clipSegments(child.segments, range), true, sfx));
    }
    return range;
  }

  /** Bytes of a stored object (a segment or an init segment), with Range. */
  async object(req: IncomingMessage, res: ServerResponse, key: string | undefined, what: string): Promise<void> {
    if (!key || !this.store) {
      sendError(res, 404, 'not found', `${what} is not available`);
      return;
    }
    const size = await this.store.head(key);
    if (size === undefined) {
      sendError(res, 404, 'not found', `${what} is not available (the media may have been deleted)`);
      return;
    }
    const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, size);
    if (range === 'invalid') {
      res.setHeader('content-range', `bytes */${size}`);
      sendError(res, 416, 'range not satisfiable', `The object has ${size} bytes`, NO_STORE);
      return;
    }
    const data = range ? await this.store.getRange(key, range[0], range[1]) : await this.store.get(key);
    if (!data) {
      sendError(res, 404, 'not found', `${what} is no longer available`);
      return;
    }
    playbackBytes.inc(data.length);
    if (!range) {
      sendBody(res, MP4_TYPE, IMMUTABLE, data);
      return;
    }
    applyCors(res);
    res.writeHead(206, {
      'content-type': MP4_TYPE,
      'cache-control': IMMUTABLE,
      'content-range': `bytes ${range[0]}-${range[1]}/${size}`,
      'content-length': String(data.length),
      'accept-ranges': 'bytes',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  }
}

/** The segments and init keys of one rendition of a media (`undefined`: the primary, played at `/{id}/media.m3u8`). */
export function mediaFilesOf(view: MediaView, rendition: string | undefined): { segments: StoredSegment[]; initKeys: Map<number, string> } | undefined {
  if (rendition === undefined) return view;
  return view.renditions.find((r) => r.name === rendition);
}

/** Where a rendition's files are under the playback id: `""` for the primary (source), `720p/` for a rung. */
function renditionPath(view: MediaView, name: string): string {
  return /^\d{3,4}p$/.test(name) && view.renditions.find((r) => r.name === name)?.segments !== view.segments ? `${name}/` : '';
}

/**
 * The best rendition with media at timeline position `i` (every rendition of a media shares its timeline):
 * the highest one, the source first (rungs are scaled down from it, never above it); a lower one where the
 * higher have a gap. Thumbnails and storyboards are drawn from it.
 */
export function bestSegmentAt(view: MediaView, i: number): { segment: StoredSegment; initKey: string | undefined; rendition: string } | undefined {
  for (const r of view.renditions) {
    const seg = r.segments[i];
    if (seg && !seg.gap) return { segment: seg, initKey: r.initKeys.get(seg.initN), rendition: r.name };
  }
  const seg = view.segments[i];
  return seg && !seg.gap ? { segment: seg, initKey: view.initKeys.get(seg.initN), rendition: SOURCE_RENDITION } : undefined;
}

function rangeParams(r: ClipRange): string {
  return `start=${r.startS}s&end=${r.endS}s`;
}

/** Join query parameters with an existing suffix ("" or "?token=..."). */
export function withParams(suffix: string, params: string): string {
  if (!params) return suffix;
  if (!suffix) return `?${params}`;
  return `?${params}&${suffix.slice(1)}`;
}
