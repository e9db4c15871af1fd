/**
 * The playback listener's stored-media side: VOD playlists and segments of recordings and clips, the DVR
 * history and instant clips of a live session, byte-served from the segment store with HTTP Range. Never on
 * the live hot path: the live edge stays in memory (playback-server.ts); this answers what is behind it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SegmentStore } from '../store/segment-store.js';
import { IMMUTABLE, MP4_TYPE, NO_STORE, PLAYLIST_TYPE, SHORT, applyCors, sendBody, sendError } from './http-replies.js';
import { playbackBytes } from './playback-metrics.js';
import {
  ClipRangeError, clipSegments, parseClipRange, parseRange, storedMediaPlaylist, storedMultivariant,
  type ClipRange, type StoredSegment, type VariantDescription,
} from './vod-playlists.js';

/** A recording or clip as playback serves it. */
export interface MediaView {
  mediaId: string;
  /** Ready: complete (VOD); otherwise still being recorded (EVENT playlist, no ENDLIST) */
  ended: boolean;
  durationS: number;
  segments: StoredSegment[];
  /** init segment keys by their URI number */
  initKeys: Map<number, string>;
  variant: VariantDescription;
}

/** A live session's stored history (DVR, clips), kept in memory by its recorder. */
export interface SessionHistory {
  dvr: boolean;
  durationS: number;
  segments: readonly StoredSegment[];
  initKey(n: number): string | undefined;
  segmentKey(msn: number): string | undefined;
}

export class StoredMedia {
  constructor(private readonly store: SegmentStore | undefined) {}

  get enabled(): boolean {
    return this.store !== undefined;
  }

  /** `/{mediaPlaybackId}.m3u8` and `/{id}/media.m3u8` of a recording or clip (optionally a range of it). */
  playlist(res: ServerResponse, view: MediaView, playbackId: string, multivariant: boolean, query: URLSearchParams, suffix: string): ClipRange | undefined {
    let segments = view.segments;
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
    if (multivariant) {
      sendBody(res, PLAYLIST_TYPE, view.ended ? 'public, max-age=60' : SHORT, storedMultivariant(playbackId, view.variant, '', sfx));
    } else {
      sendBody(res, PLAYLIST_TYPE, view.ended ? 'public, max-age=60' : SHORT, storedMediaPlaylist(segments, view.ended || range !== undefined, sfx));
    }
    return range;
  }

  /** A live session's clip (`?start=&end=` on a live playback id): a VOD playlist of the stored range. */
  sessionClip(res: ServerResponse, history: SessionHistory, playbackId: string, multivariant: boolean, query: URLSearchParams, suffix: string, variant: VariantDescription | undefined): ClipRange | undefined {
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
      if (!variant) {
        sendError(res, 412, 'stream not ready', 'The live stream has no media yet; retry in a moment');
        return undefined;
      }
      sendBody(res, PLAYLIST_TYPE, SHORT, storedMultivariant(playbackId, variant, '', sfx));
    } else {
      sendBody(res, PLAYLIST_TYPE, 'public, max-age=60', storedMediaPlaylist(clipSegments(history.segments, range), true, sfx));
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

function rangeParams(r: ClipRange): string {
  return `start=${r.startS}s&end=${r.endS}s`;
}

/** Join query parameters with an existing suffix ("" or "?token=..."). */
export function withParams(suffix: string, params: string): string {
  if (!params) return suffix;
  if (!suffix) return `?${params}`;
  return `?${params}&${suffix.slice(1)}`;
}
