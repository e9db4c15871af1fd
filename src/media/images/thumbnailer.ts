/**
 * Thumbnails and storyboards (sprite sheets) drawn by ffmpeg from CMAF pieces.
 *
 * A source is one fMP4 init segment plus one media segment that starts with a keyframe; init + segment
 * concatenated is a valid fragmented MP4, written to ffmpeg's stdin (never to a temp file). The image comes back
 * on stdout. One ffmpeg per image (decoding single-threaded), at most `maxConcurrent` at once for the whole
 * Thumbnailer, with a bounded FIFO queue in front (`ImageBusyError` beyond it, so the caller answers 503). A child
 * that runs past `timeoutMs` is killed (`ImageTimeoutError`). Results are cached by `cacheKey` + parameters in an
 * LRU bounded by bytes, and identical requests in flight share one ffmpeg.
 *
 * A storyboard decodes the first keyframe of each tile's source, scaled to the tile size, in batches of up to
 * 10 sources per ffmpeg (several inputs on extra pipes, `concat` filter, raw RGB out), then one ffmpeg lays the
 * tiles out with the `tile` filter and encodes the JPG. A storyboard of 10 tiles or fewer is one ffmpeg.
 *
 * No knowledge of HTTP or the database: parameters are validated by the caller; what is impossible anyway
 * (beyond 4096 pixels, no video track) throws `ImageRequestError`.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { ImageBusyError, ImageProcessError, ImageRequestError, ImageTimeoutError } from './errors.js';
import { inputUrl, runFfmpeg } from './ffmpeg-run.js';
import { FIT_MODES, planSize, type FitMode } from './fit.js';
import { imageCacheBytes, imageFfmpegRunning, imageRenderSeconds, imageRenders } from './image-metrics.js';
import { Limiter } from './limiter.js';
import { ByteLru } from './lru.js';
import { videoTrackInfo, type VideoTrackInfo } from './mp4-info.js';

export type ImageFormat = 'jpg' | 'png' | 'webp';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpg', 'png', 'webp'];

/** One fMP4 init segment and one media segment (or the list of its parts) that starts with a keyframe. */
export interface ImageSource {
  init: Buffer;
  segment: Buffer | readonly Buffer[];
}

export interface ThumbnailRequest {
  /** identifies the source (e.g. `<mediaId>/<segment>`): the cache key is this plus the parameters */
  cacheKey: string;
  source: ImageSource;
  /** seconds from the segment's first video frame; default 0 = its keyframe */
  offsetS?: number;
  format: ImageFormat;
  width?: number;
  height?: number;
  fitMode: FitMode;
}

export interface StoryboardTileRequest {
  /** where the tile sits in the media's timeline, in seconds (copied to the JSON) */
  startS: number;
  source: ImageSource;
}

export interface SpritesheetRequest {
  cacheKey: string;
  /** the URL of the sprite sheet image, copied to the JSON */
  url: string;
  /** the media's duration in seconds, copied to the JSON */
  durationS: number;
  tiles: readonly StoryboardTileRequest[];
  /** default 256; the tile height follows the first source's aspect ratio */
  tileWidth?: number;
  /** default min(10, number of tiles) */
  columns?: number;
}

/** The storyboard JSON players read (FastPix/Mux shape). */
export interface Storyboard {
  url: string;
  tile_width: number;
  tile_height: number;
  duration: number;
  tiles: { start: number; x: number; y: number }[];
}

export interface ThumbnailerOptions {
  /** ffmpeg processes at once (default 2) */
  maxConcurrent?: number;
  /** requests waiting for a slot before new ones get ImageBusyError (default 32) */
  maxQueue?: number;
  /** LRU cache bound in bytes (default 64 MiB; 0 disables the cache) */
  cacheBytes?: number;
  /** per ffmpeg process (default 15 s) */
  timeoutMs?: number;
  /** default 'ffmpeg' (from PATH) */
  ffmpegPath?: string;
  logger: Logger;
}

export const MAX_STORYBOARD_TILES = 100;
export const MAX_STORYBOARD_COLUMNS = 10;
const DEFAULT_TILE_WIDTH = 256;
/** sources decoded by one ffmpeg when drawing a storyboard */
const TILE_BATCH = 10;
/** tolerance past the last frame of a segment: an offset up to this far past it gives the last frame */
const OFFSET_SLACK_S = 1;
const MAX_OFFSET_S = 3600;
const MAX_OUTPUT_BYTES = 128 * 1024 * 1024;

const ENCODERS: Record<ImageFormat, string[]> = {
  jpg: ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '3'],
  png: ['-c:v', 'png', '-pix_fmt', 'rgb24'],
  webp: ['-c:v', 'libwebp', '-quality', '80'],
};

function segmentBuffers(source: ImageSource): Buffer[] {
  return [source.init, ...(Buffer.isBuffer(source.segment) ? [source.segment] : source.segment)];
}

function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(6).replace(/0+$/, '');
}

type CacheEntry = Buffer | { image: Buffer; json: Storyboard };

export class Thumbnailer {
  private readonly limiter: Limiter;
  private readonly cache: ByteLru<CacheEntry>;
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  private readonly children = new Set<ChildProcess>();
  private readonly timeoutMs: number;
  private readonly ffmpegPath: string;
  private readonly log: Logger;
  private closed = false;
  private spawnedCount = 0;

  constructor(opts: ThumbnailerOptions) {
    const maxConcurrent = opts.maxConcurrent ?? 2;
    const maxQueue = opts.maxQueue ?? 32;
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError('maxConcurrent must be an integer >= 1');
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be an integer >= 0');
    this.limiter = new Limiter(maxConcurrent, maxQueue);
    this.cache = new ByteLru<CacheEntry>(opts.cacheBytes ?? 64 * 1024 * 1024);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
    this.log = opts.logger.child({ module: 'thumbnailer' });
  }

  /** Counters for health pages and tests. */
  stats(): { running: number; queued: number; spawned: number; cacheEntries: number; cacheBytes: number } {
    return {
      running: this.children.size,
      queued: this.limiter.queued,
      spawned: this.spawnedCount,
      cacheEntries: this.cache.size,
      cacheBytes: this.cache.bytes,
    };
  }

  /** One image of the frame `offsetS` into the segment. */
  async thumbnail(req: ThumbnailRequest): Promise<Buffer> {
    const offsetS = req.offsetS ?? 0;
    if (typeof req.cacheKey !== 'string' || req.cacheKey === '') throw new ImageRequestError('cacheKey must be a non-empty string');
    if (!IMAGE_FORMATS.includes(req.format)) throw new ImageRequestError(`format must be one of ${IMAGE_FORMATS.join(', ')}, got ${String(req.format)}`);
    if (!FIT_MODES.includes(req.fitMode)) throw new ImageRequestError(`fit mode must be one of ${FIT_MODES.join(', ')}, got ${String(req.fitMode)}`);
    if (typeof offsetS !== 'number' || !Number.isFinite(offsetS) || offsetS < 0 || offsetS > MAX_OFFSET_S) {
      throw new ImageRequestError(`offset must be a number of seconds between 0 and ${MAX_OFFSET_S}, got ${String(offsetS)}`);
    }
    const key = JSON.stringify(['thumbnail', req.cacheKey, req.format, req.width ?? null, req.height ?? null, req.fitMode, offsetS]);
    const result = await this.cached(key, 'thumbnail', () => {
      const video = this.videoOf(req.source, 'the source');
      const plan = planSize(video, req);
      return () => this.renderThumbnail(req, offsetS, plan.filter);
    });
    return result as Buffer;
  }

  /** A storyboard: one JPG grid of the first keyframe of each tile's source, and its JSON. */
  async spritesheet(req: SpritesheetRequest): Promise<{ image: Buffer; json: Storyboard }> {
    if (typeof req.cacheKey !== 'string' || req.cacheKey === '') throw new ImageRequestError('cacheKey must be a non-empty string');
    const n = req.tiles.length;
    if (n < 1 || n > MAX_STORYBOARD_TILES) throw new ImageRequestError(`a storyboard has 1 to ${MAX_STORYBOARD_TILES} tiles, got ${n}`);
    const tileWidth = req.tileWidth ?? DEFAULT_TILE_WIDTH;
    if (!Number.isInteger(tileWidth) || tileWidth < 16 || tileWidth > 1024) {
      throw new ImageRequestError(`tile width must be an integer between 16 and 1024, got ${String(tileWidth)}`);
    }
    const columns = req.columns ?? Math.min(MAX_STORYBOARD_COLUMNS, n);
    if (!Number.isInteger(columns) || columns < 1 || columns > MAX_STORYBOARD_COLUMNS) {
      throw new ImageRequestError(`columns must be an integer between 1 and ${MAX_STORYBOARD_COLUMNS}, got ${String(columns)}`);
    }
    if (typeof req.durationS !== 'number' || !Number.isFinite(req.durationS) || req.durationS < 0) {
      throw new ImageRequestError(`duration must be a number of seconds >= 0, got ${String(req.durationS)}`);
    }
    req.tiles.forEach((t, i) => {
      if (typeof t.startS !== 'number' || !Number.isFinite(t.startS) || t.startS < 0) {
        throw new ImageRequestError(`tile ${i}: start must be a number of seconds >= 0, got ${String(t.startS)}`);
      }
    });
    const key = JSON.stringify(['storyboard', req.cacheKey, n, tileWidth, columns, req.url, req.durationS]);
    const result = await this.cached(key, 'storyboard', () => {
      const videos = req.tiles.map((t, i) => this.videoOf(t.source, `tile ${i}'s source`));
      const first = videos[0]!;
      const tileHeight = Math.max(2, 2 * Math.round((tileWidth * first.height) / first.width / 2));
      const rows = Math.ceil(n / columns);
      if (tileHeight > 4096) throw new ImageRequestError(`tiles would be ${tileWidth}x${tileHeight}`);
      const json: Storyboard = {
        url: req.url,
        tile_width: tileWidth,
        tile_height: tileHeight,
        duration: req.durationS,
        tiles: req.tiles.map((t, i) => ({ start: t.startS, x: (i % columns) * tileWidth, y: Math.floor(i / columns) * tileHeight })),
      };
      return async () => ({ image: await this.renderStoryboard(req, tileWidth, tileHeight, columns, rows), json });
    });
    return result as { image: Buffer; json: Storyboard };
  }

  /** Kills running ffmpegs, refuses queued and new requests, empties the cache. */
  close(): void {
    this.closed = true;
    this.limiter.close();
    for (const c of this.children) c.kill('SIGKILL');
    this.cache.clear();
    imageCacheBytes.set(0);
  }

  private videoOf(source: ImageSource, what: string): VideoTrackInfo {
    if (!source || !Buffer.isBuffer(source.init)) throw new ImageRequestError(`${what} has no init segment`);
    const video = videoTrackInfo(source.init);
    if (!video) throw new ImageRequestError(`${what} has no video track`);
    return video;
  }

  /**
   * Cache, then in-flight sharing, then admission. `prepare` validates synchronously (throwing
   * ImageRequestError before anything is queued) and returns the render.
   */
  private cached(key: string, kind: 'thumbnail' | 'storyboard', prepare: () => () => Promise<CacheEntry>): Promise<CacheEntry> {
    if (this.closed) throw new ImageBusyError('image renderer is closed');
    const hit = this.cache.get(key);
    if (hit) {
      imageRenders.inc({ kind, outcome: 'cached' });
      return Promise.resolve(hit);
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const render = prepare();
    try {
      this.limiter.admit();
    } catch (err) {
      imageRenders.inc({ kind, outcome: 'busy' });
      throw err;
    }
    const started = process.hrtime.bigint();
    const p = render().then(
      (value) => {
        this.inflight.delete(key);
        const bytes = Buffer.isBuffer(value) ? value.length : value.image.length + 64 * (value.json.tiles.length + 4);
        if (!this.closed) this.cache.set(key, value, bytes + key.length);
        imageCacheBytes.set(this.cache.bytes);
        imageRenders.inc({ kind, outcome: 'rendered' });
        imageRenderSeconds.observe({ kind }, Number(process.hrtime.bigint() - started) / 1e9);
        return value;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        const outcome = err instanceof ImageTimeoutError ? 'timeout' : err instanceof ImageBusyError ? 'busy' : 'failed';
        imageRenders.inc({ kind, outcome });
        if (outcome !== 'busy') this.log.warn({ err, kind, key }, 'image rendering failed');
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  /** Runs one ffmpeg inside a concurrency slot. */
  private async ffmpeg(args: string[], inputs: readonly (readonly Buffer[])[]): Promise<Buffer> {
    const release = await this.limiter.acquire();
    try {
      if (this.closed) throw new ImageBusyError('image renderer is closed');
      return await runFfmpeg({
        ffmpegPath: this.ffmpegPath,
        args,
        inputs,
        timeoutMs: this.timeoutMs,
        maxOutputBytes: MAX_OUTPUT_BYTES,
        onSpawn: (child) => {
          this.spawnedCount++;
          this.children.add(child);
          imageFfmpegRunning.inc();
          child.once('close', () => {
            this.children.delete(child);
            imageFfmpegRunning.dec();
          });
        },
      });
    } finally {
      release();
    }
  }

  private async renderThumbnail(req: ThumbnailRequest, offsetS: number, scale: string): Promise<Buffer> {
    // offset 0 is the segment's keyframe: decode keyframes only. Otherwise decode up to the offset, counted from
    // the first video frame (start_t); tpad repeats the last frame a little so an offset that rounds past the
    // segment's last frame still gets it.
    const filter = offsetS === 0 ? scale : `tpad=stop_mode=clone:stop_duration=${OFFSET_SLACK_S},select='gte(t-start_t\\,${fmtNum(offsetS)})',${scale}`;
    const args = [
      '-hide_banner', '-nostdin', '-v', 'error',
      '-threads', '1', ...(offsetS === 0 ? ['-skip_frame', 'nokey'] : []), '-f', 'mp4', '-i', inputUrl(0),
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-filter_threads', '1', '-vf', filter,
      '-frames:v', '1', '-fps_mode', 'passthrough',
      ...ENCODERS[req.format],
      '-f', 'image2pipe', 'pipe:1',
    ];
    const image = await this.ffmpeg(args, [segmentBuffers(req.source)]);
    if (image.length === 0) throw new ImageRequestError(`the segment has no frame at offset ${offsetS} s`);
    return image;
  }

  private async renderStoryboard(req: SpritesheetRequest, tw: number, th: number, columns: number, rows: number): Promise<Buffer> {
    const fit = `scale=${tw}:${th}:force_original_aspect_ratio=decrease,pad=${tw}:${th}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1`;
    const decodeArgs = (count: number): string[] => {
      const args = ['-hide_banner', '-nostdin', '-v', 'error'];
      for (let i = 0; i < count; i++) args.push('-threads', '1', '-skip_frame', 'nokey', '-f', 'mp4', '-i', inputUrl(i));
      let graph = '';
      let labels = '';
      for (let i = 0; i < count; i++) {
        graph += `[${i}:v:0]trim=end_frame=1,setpts=N,${fit}[t${i}];`;
        labels += `[t${i}]`;
      }
      graph += `${labels}concat=n=${count}:v=1:a=0`;
      return [...args, '-filter_threads', '1', '-filter_complex', graph];
    };
    const tile = `tile=${columns}x${rows}:color=black`;
    const jpg = ['-frames:v', '1', '-fps_mode', 'passthrough', ...ENCODERS.jpg, '-f', 'image2pipe', 'pipe:1'];
    const n = req.tiles.length;
    if (n <= TILE_BATCH) {
      const args = decodeArgs(n);
      args[args.length - 1] += `,${tile}`;
      return this.nonEmpty(await this.ffmpeg([...args, ...jpg], req.tiles.map((t) => segmentBuffers(t.source))), 'storyboard');
    }
    const frameBytes = tw * th * 3;
    const batches: Promise<Buffer>[] = [];
    for (let start = 0; start < n; start += TILE_BATCH) {
      const slice = req.tiles.slice(start, start + TILE_BATCH);
      batches.push(
        this.ffmpeg(
          [...decodeArgs(slice.length), '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
          slice.map((t) => segmentBuffers(t.source)),
        ).then((raw) => {
          if (raw.length !== slice.length * frameBytes) {
            throw new ImageProcessError(`tiles ${start}..${start + slice.length - 1} decoded ${Math.floor(raw.length / frameBytes)} of ${slice.length} frames`);
          }
          return raw;
        }),
      );
    }
    const frames = await Promise.all(batches);
    const args = [
      '-hide_banner', '-nostdin', '-v', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-video_size', `${tw}x${th}`, '-framerate', '1', '-i', inputUrl(0),
      '-filter_threads', '1', '-vf', tile, ...jpg,
    ];
    return this.nonEmpty(await this.ffmpeg(args, [frames]), 'storyboard');
  }

  private nonEmpty(image: Buffer, what: string): Buffer {
    if (image.length === 0) throw new ImageProcessError(`ffmpeg produced no ${what} image`);
    return image;
  }
}
