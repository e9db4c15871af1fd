/**
 * Images and downloads of a playback id: `thumbnail.{jpg,png,webp}`, `spritesheet.{jpg,json}` (media),
 * `capped-4k.mp4` and `audio.m4a` (media with mp4Support). Decoding runs in ffmpeg children bounded by the
 * Thumbnailer; the live hot path is only read (the newest segment's buffers), never waited on.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { MediaData } from '../core/media-model.js';
import type { LivePackager } from '../media/packager/index.js';
import {
  FIT_MODES, ImageBusyError, ImageRequestError, MAX_IMAGE_DIMENSION, MAX_STORYBOARD_TILES, Thumbnailer,
  type FitMode, type ImageFormat, type ImageSource,
} from '../media/images/index.js';
import { remuxToMp4, type CmafRun } from '../media/vod/mp4-remux.js';
import type { SegmentStore } from '../store/segment-store.js';
import { NO_STORE, sendBody, sendError } from './http-replies.js';
import type { PlaybackFileHandler, PlaybackRoute } from './playback-server.js';
import { bestSegmentAt, type MediaView, type SessionHistory, type StoredMedia } from './stored-media.js';

export interface PlaybackFilesDeps {
  segments: SegmentStore;
  stored: StoredMedia;
  thumbnailer: Thumbnailer;
  logger: Logger;
  packagerFor(streamId: string): LivePackager | undefined;
  sessionHistory(streamId: string): SessionHistory | undefined;
  mediaView(mediaId: string): Promise<MediaView | undefined>;
  media(mediaId: string): Promise<MediaData | undefined>;
}

const TYPES: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
const NUM = /^\d{1,7}(?:\.\d{1,3})?$/;

class BadRequest extends Error {}

function dimension(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n < 1 || n > MAX_IMAGE_DIMENSION) {
    throw new BadRequest(`${name} must be a whole number of pixels from 1 to ${MAX_IMAGE_DIMENSION}, not ${JSON.stringify(v.slice(0, 16))}`);
  }
  return n;
}

function fitMode(q: URLSearchParams): FitMode {
  const v = q.get('fit_mode') ?? 'preserve';
  if (!(FIT_MODES as readonly string[]).includes(v)) throw new BadRequest(`fit_mode must be one of ${FIT_MODES.join(', ')}, not ${JSON.stringify(v.slice(0, 16))}`);
  return v as FitMode;
}

function timeOf(q: URLSearchParams): number | undefined {
  const v = q.get('time');
  if (v === null) return undefined;
  if (!NUM.test(v)) throw new BadRequest(`time must be a number of seconds, not ${JSON.stringify(v.slice(0, 16))}`);
  return Number(v);
}

export function playbackFiles(deps: PlaybackFilesDeps): PlaybackFileHandler {
  const downloads = new Map<string, Promise<string>>();

  async function storedSource(initKey: string | undefined, key: string): Promise<ImageSource | undefined> {
    if (!initKey) return undefined;
    const [init, segment] = await Promise.all([deps.segments.get(initKey), deps.segments.get(key)]);
    return init && segment ? { init, segment } : undefined;
  }

  async function thumbnail(res: ServerResponse, route: PlaybackRoute, format: ImageFormat, q: URLSearchParams): Promise<void> {
    const width = dimension(q, 'width');
    const height = dimension(q, 'height');
    const fit = fitMode(q);
    const time = timeOf(q);
    let source: ImageSource | undefined;
    let cacheKey = '';
    let offsetS = 0;
    if (route.mediaId) {
      const view = await deps.mediaView(route.mediaId);
      if (!view || view.segments.length === 0) return sendError(res, 404, 'media not found', 'The media has no stored video to draw a thumbnail from');
      const t = time ?? view.durationS / 2;
      if (t > view.durationS) throw new BadRequest(`time ${t}s is past the end of the media (${view.durationS.toFixed(1)}s)`);
      const at = view.segments.findIndex((s) => t < s.startS + s.durationS);
      // the best rendition with media there (the highest: see bestSegmentAt); every rendition shares the timeline
      const best = bestSegmentAt(view, at < 0 ? view.segments.length - 1 : at);
      if (!best) return sendError(res, 404, 'not found', 'The stored media for this time is not available');
      offsetS = Math.max(0, t - best.segment.startS);
      source = await storedSource(best.initKey, best.segment.key);
      cacheKey = `${route.mediaId}/${best.rendition}/${best.segment.n}`;
    } else {
      // A live stream's best rendition is its source: the ladder's rungs are scaled down from it, never above it
      // (and the source is what the recorder's history and the live edge have first).
      const history = time !== undefined ? deps.sessionHistory(route.streamId) : undefined;
      if (time !== undefined && history) {
        if (time > history.durationS) throw new BadRequest(`time ${time}s is past what the session has recorded (${history.durationS.toFixed(1)}s)`);
        const seg = history.segments.find((s) => time < s.startS + s.durationS);
        if (seg) {
          offsetS = Math.max(0, time - seg.startS);
          source = await storedSource(history.initKey(seg.initN), seg.key);
          cacheKey = `${route.streamId}/${seg.key}`;
        }
      }
      if (!source) {
        // the live default: the newest keyframe, i.e. the start of the newest complete segment
        const p = deps.packagerFor(route.streamId);
        // (the open segment's msn is lastMsn while it has parts: the newest complete one is just before it)
        let msn = p?.lastMsn ?? 0;
        let data = p?.getSegment(msn);
        if (p && !data) data = p.getSegment(--msn);
        const initId = p?.currentInitId;
        const init = initId !== undefined ? p?.getInit(initId) : undefined;
        if (!p || !data || !init) return sendError(res, 412, 'stream not live', 'The live stream has no media to draw a thumbnail from right now');
        // a copy: the thumbnailer works on it after awaits, and the window's memory is recycled (slab-pool.ts)
        source = { init, segment: Buffer.concat(data) };
        cacheKey = `${route.streamId}/live/${msn}`;
      }
    }
    if (!source) return sendError(res, 404, 'not found', 'The stored media for this time is not available');
    const req = { cacheKey, source, format, fitMode: fit, offsetS, ...(width ? { width } : {}), ...(height ? { height } : {}) };
    const image = await deps.thumbnailer.thumbnail(req);
    sendBody(res, TYPES[format]!, route.mediaId ? 'public, max-age=3600' : 'public, max-age=2', image);
  }

  async function spritesheet(res: ServerResponse, route: PlaybackRoute, ext: 'jpg' | 'json', suffix: string): Promise<void> {
    if (!route.mediaId) return sendError(res, 400, 'not available for live streams', 'Storyboards are made for on-demand media; use thumbnail.jpg?time= on a live stream');
    const view = await deps.mediaView(route.mediaId);
    if (!view || view.segments.length === 0) return sendError(res, 404, 'media not found', 'The media has no stored video');
    const step = Math.max(1, Math.ceil(view.segments.length / MAX_STORYBOARD_TILES));
    const tiles: { startS: number; source: ImageSource }[] = [];
    for (let i = 0; i < view.segments.length; i += step) {
      const best = bestSegmentAt(view, i);
      const src = best && await storedSource(best.initKey, best.segment.key);
      if (src) tiles.push({ startS: Math.round(best.segment.startS * 1000) / 1000, source: src });
    }
    if (tiles.length === 0) return sendError(res, 404, 'not found', 'The stored media is not available');
    const out = await deps.thumbnailer.spritesheet({
      cacheKey: `${route.mediaId}/storyboard`, url: `spritesheet.jpg${suffix}`, durationS: view.durationS, tiles,
    });
    if (ext === 'json') sendBody(res, 'application/json; charset=utf-8', 'public, max-age=3600', JSON.stringify(out.json));
    else sendBody(res, 'image/jpeg', 'public, max-age=3600', out.image);
  }

  async function download(req: IncomingMessage, res: ServerResponse, route: PlaybackRoute, name: 'capped-4k.mp4' | 'audio.m4a'): Promise<void> {
    if (!route.mediaId) return sendError(res, 400, 'not available for live streams', 'MP4 downloads are made from on-demand media');
    const media = await deps.media(route.mediaId);
    if (!media) return sendError(res, 404, 'media not found', 'The media does not exist');
    const want = name === 'audio.m4a' ? 'audioOnly' : 'capped_4k';
    if (!media.mp4Support.split(',').includes(want)) {
      return sendError(res, 400, 'mp4 support disabled', `Enable it with PATCH /v1/on-demand/${media.mediaId}/update-mp4Support ({"mp4Support":"${want}"})`, NO_STORE);
    }
    if (media.status !== 'Ready') return sendError(res, 412, 'media not ready', 'The media is still being recorded; the download exists once it is Ready');
    const key = `media/${media.mediaId}/downloads/${name}`;
    if ((await deps.segments.head(key)) === undefined) {
      let job = downloads.get(key);
      if (!job) {
        job = makeDownload(media.mediaId, key, name === 'audio.m4a').finally(() => downloads.delete(key));
        downloads.set(key, job);
      }
      await job;
    }
    await deps.stored.object(req, res, key, name);
  }

  async function makeDownload(mediaId: string, key: string, audioOnly: boolean): Promise<string> {
    const view = await deps.mediaView(mediaId);
    if (!view || view.segments.length === 0) throw new BadRequest('the media has no stored segments');
    const runs: CmafRun[] = [];
    let current: { initKey: string; keys: string[] } | undefined;
    const groups: { initKey: string; keys: string[] }[] = [];
    for (const s of view.segments) {
      const initKey = view.initKeys.get(s.initN)!;
      if (!current || current.initKey !== initKey || s.discontinuity) {
        current = { initKey, keys: [] };
        groups.push(current);
      }
      current.keys.push(s.key);
    }
    for (const g of groups) {
      const init = await deps.segments.get(g.initKey);
      if (!init) throw new Error(`init segment ${g.initKey} is missing`);
      const store = deps.segments;
      runs.push({
        init,
        segments: (async function* () {
          for (const k of g.keys) {
            const b = await store.get(k);
            if (b) yield b;
          }
        })(),
      });
    }
    const dir = await mkdtemp(join(tmpdir(), 'onair-mp4-'));
    try {
      const out = join(dir, audioOnly ? 'audio.m4a' : 'video.mp4');
      await remuxToMp4(runs.length === 1 ? runs[0]! : { runs }, out, { audioOnly, tmpDir: dir, logger: deps.logger });
      await deps.segments.put(key, await readFile(out));
      return key;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return async (req, res, route, name, query, suffix) => {
    try {
      const m = /^(thumbnail|spritesheet)\.(jpg|png|webp|json)$/.exec(name);
      if (m?.[1] === 'thumbnail') return await thumbnail(res, route, m[2] as ImageFormat, query);
      if (m?.[1] === 'spritesheet') return await spritesheet(res, route, m[2] as 'jpg' | 'json', suffix);
      if (name === 'capped-4k.mp4' || name === 'audio.m4a') return await download(req, res, route, name);
      sendError(res, 404, 'not found', 'No such playback URL');
    } catch (err) {
      if (err instanceof BadRequest || err instanceof ImageRequestError) return sendError(res, 400, 'bad request', err.message, NO_STORE);
      if (err instanceof ImageBusyError) {
        res.setHeader('retry-after', '1');
        return sendError(res, 503, 'busy', 'Too many images are being drawn; retry shortly', NO_STORE);
      }
      deps.logger.error({ err, name }, 'playback file failed');
      sendError(res, 500, 'internal error', 'Could not make the file; retry later', NO_STORE);
    }
  };
}
