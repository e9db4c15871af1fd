/** The viewer-facing LL-HLS listener (plain node:http): playlists, init/segments/parts, blocking reload, tokens, viewers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { AccessPolicy } from '../core/contracts.js';
import type { AccessCheck } from './access-check.js';
import type { LivePackager, LivePart } from '../media/packager/index.js';
import { MEDIA_PLAYLIST_NAME } from '../media/packager/index.js';
import { writeMultivariantPlaylist } from '../protocols/hls/index.js';
import {
  ERROR_CACHE, IMMUTABLE, MP4_TYPE, NO_STORE, PLAYLIST_TYPE, SHORT, sendBody, sendError, sendPreflight,
} from './http-replies.js';
import { parsePlaybackPath, type PlaybackPath } from './playback-path.js';
import { playbackBytes, playbackHeldRequests, playbackRequests } from './playback-metrics.js';
import { EDGE_HEADER, ViewerCounter } from './viewer-counter.js';
import { WaiterLimits } from './waiter-limits.js';
import { limitConnections } from '../ingest/connection-limiter.js';
import { answerClientError } from '../api/client-errors.js';
import { StoredMedia, mediaFilesOf, withParams, type MediaView, type SessionHistory } from './stored-media.js';
import { dvrMediaPlaylist, type ClipRange } from './vod-playlists.js';
import { parseRenditionQuery, selectRenditions } from './rendition-select.js';

/** A live stream's transcoded renditions, as the multivariant playlist lists them (media/transcoder). */
export interface LiveLadder {
  /** the source is a rendition of its own (at or below the stream's maxResolution) */
  sourceListed: boolean;
  renditions: { name: string; packager: LivePackager; healthy: boolean }[];
}

export interface PlaybackLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** One playback id as the listener routes it. */
export interface PlaybackRoute {
  streamId: string;
  accessPolicy: AccessPolicy;
  /** the id's domain / user-agent restrictions, compiled (compileAccessCheck); absent = unrestricted */
  access?: AccessCheck;
  /** set for the playback id of an on-demand media (recording or clip) */
  mediaId?: string;
}

/** Extra files of a playback id (`thumbnail.jpg`, `capped-4k.mp4`, ...), answered by the media plane. */
export type PlaybackFileHandler = (req: IncomingMessage, res: ServerResponse, route: PlaybackRoute, name: string, query: URLSearchParams, suffix: string) => Promise<void>;

export interface PlaybackServerOptions {
  port: number;
  host?: string;
  logger?: PlaybackLogger;
  /** in-memory routing table kept by the lead: playback id -> stream */
  resolve: (playbackId: string) => PlaybackRoute | undefined;
  /** the stream's live packager, undefined when the stream is not live */
  packagerFor: (streamId: string) => LivePackager | undefined;
  /** a transcoded rendition's packager by name ("720p"): /{playbackId}/{name}/... */
  renditionFor?: (streamId: string, name: string) => LivePackager | undefined;
  /** the stream's ladder (absent or undefined: the source is the only rendition) */
  ladderFor?: (streamId: string) => LiveLadder | undefined;
  verifyToken: (token: string, playbackId: string) => Promise<boolean>;
  /** held blocking requests per stream (default 2000) and in total (default 20 000) */
  maxWaitersPerStream?: number;
  maxWaiters?: number;
  /** longest hold of a blocking playlist/part/segment request (default 3 target durations) */
  holdTimeoutMs?: number;
  /** how long a first request waits for a just-started stream's first segment (default max(4 s, hold)) */
  firstMediaWaitMs?: number;
  viewers?: ViewerCounter;
  /** open connections, in total (default 20 000) and per remote address (default 2000); 0 = unlimited */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** stored media (recordings, clips, DVR history) come from here */
  storedMedia?: StoredMedia;
  /** a media's segments and variant (undefined: no such media) */
  mediaView?: (mediaId: string) => Promise<MediaView | undefined>;
  /** a live session's stored history (DVR, instant clips), when it records or has DVR on */
  sessionHistory?: (streamId: string) => SessionHistory | undefined;
  /** the first request for a clip range (live or media) makes it a clip media */
  onClip?: (route: PlaybackRoute, range: ClipRange) => void;
  files?: PlaybackFileHandler;
  /**
   * Cluster: the stream is live on another node (no local packager): answer with that node's answer (proxied,
   * cached). Undefined when no other node holds it either.
   */
  remoteLive?: (streamId: string, local: () => Promise<void>) => Promise<((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined>;
}

type FileKind = PlaybackPath['file']['kind'];

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  path: PlaybackPath;
  streamId: string;
  packager: LivePackager;
  /** "?token=..." carried into every URL the playlists write, or "" */
  suffix: string;
  query: URLSearchParams;
  /** `?dvrMode=true` on a stream with DVR: the session's stored history */
  dvr?: SessionHistory;
  /** a transcoded rendition's files (the session's stored history is the source's: not used for it) */
  rendition?: string;
}

const NUM_RE = /^\d{1,12}$/;
/** ONAIR_BENCH_HEADERS=1 (the bench only): blocking playlist answers carry x-onair-part-ready (ms since epoch) */
const BENCH_HEADERS = process.env.ONAIR_BENCH_HEADERS === '1';
/** Most requests carry no query: they share one empty (never mutated) parameter list. */
const NO_QUERY: URLSearchParams = new URLSearchParams();
/** A DVR rendition with nothing stored yet: its live playlist alone (as an EVENT playlist). */
const EMPTY_HISTORY: SessionHistory = { dvr: false, durationS: 0, segments: [], initKey: () => undefined, segmentKey: () => undefined };

export class PlaybackServer {
  readonly viewers: ViewerCounter;
  private readonly server: Server;
  private readonly limits: WaiterLimits;
  private readonly playlistCache = new WeakMap<LivePackager, { text: string; bytes: Buffer }>();
  private readonly opts: PlaybackServerOptions;
  /** listeners of this process alone (listenOwn) */
  private readonly own: NetServer[] = [];

  constructor(opts: PlaybackServerOptions) {
    this.opts = opts;
    this.viewers = opts.viewers ?? new ViewerCounter();
    this.limits = new WaiterLimits(opts.maxWaitersPerStream ?? 2000, opts.maxWaiters ?? 20_000);
    this.server = createServer({ keepAlive: true }, (req, res) => this.handle(req, res));
    limitConnections(this.server, 'playback', { maxConnections: opts.maxConnections ?? 20_000, maxPerAddress: opts.maxConnectionsPerAddress ?? 2000 }, opts.logger);
    // malformed requests, over-long headers: answered in the FastPix error envelope, not Node's bare text
    this.server.on('clientError', answerClientError);
    // Players poll every part target: keep their connections open well past that.
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 35_000;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * One more listener with the same answers, bound by this process alone (`exclusive`: never shared through
   * node:cluster): a worker of `serve --workers N` is reached there by its siblings, whatever worker the shared
   * port hands a connection to. Its connections are this server's (limits, keep-alive, close).
   */
  listenOwn(port: number, host: string): Promise<AddressInfo> {
    const own = createNetServer((socket) => this.server.emit('connection', socket));
    this.own.push(own);
    return new Promise((resolve, reject) => {
      own.once('error', reject);
      own.listen({ port, host, exclusive: true }, () => {
        own.off('error', reject);
        resolve(own.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    return (this.server.address() as AddressInfo | null) ?? undefined;
  }

  close(): Promise<void> {
    for (const own of this.own.splice(0)) own.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  viewerCount(streamId: string): number {
    return this.viewers.viewerCount(streamId);
  }

  /** This node's viewers of a stream as hashes of their keys (cluster viewer counts: viewer-counter.ts). */
  viewerHashes(streamId: string): Buffer {
    return this.viewers.viewerHashes(streamId);
  }

  /** The streams this node has (had, within the window) viewers of. */
  viewedStreams(): string[] {
    return this.viewers.streamIds();
  }

  /**
   * Count the viewer behind a playlist request. Requests an edge node forwards (EDGE_HEADER) are not: the edge
   * counted the viewer itself, under the viewer's own address (here it would be the edge's).
   */
  private touchViewer(streamId: string, req: IncomingMessage): void {
    if (req.headers[EDGE_HEADER] === undefined) this.viewers.touch(streamId, this.viewerKey(req));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let kind: FileKind | 'other' = 'other';
    res.on('finish', () => playbackRequests.inc({ kind, status: String(res.statusCode) }));
    if (req.method === 'OPTIONS') {
      sendPreflight(req, res);
      return;
    }
    // (CORS headers go out with every answer: sendBody writes them, sendError/sendBusy/sendPreflight apply them)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD, OPTIONS');
      sendError(res, 405, 'method not allowed', 'Playback answers GET, HEAD and OPTIONS', NO_STORE);
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = parsePlaybackPath(q < 0 ? url : url.slice(0, q));
    if (!path) {
      sendError(res, 404, 'not found', 'No such playback URL');
      return;
    }
    kind = path.file.kind;
    this.route(req, res, path, q < 0 ? NO_QUERY : new URLSearchParams(url.slice(q + 1))).catch((err: unknown) => {
      this.opts.logger?.error({ err, url }, 'playback request failed');
      sendError(res, 500, 'internal error', 'The playback listener failed to answer', NO_STORE);
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: PlaybackPath, query: URLSearchParams): Promise<void> {
    const entry = this.opts.resolve(path.playbackId);
    if (!entry) {
      sendError(res, 404, 'playbackId not found', `The playback id ${path.playbackId} does not exist`);
      return;
    }
    if (entry.access) {
      // Every request of a restricted id (playlists, parts, segments) is checked: see access-check.ts for the rules.
      const h = req.headers;
      const verdict = entry.access.check(h.origin, h.referer, h['user-agent']);
      if (verdict !== 'ok') {
        if (verdict === 'domain') sendError(res, 403, 'domain not allowed', 'This playback id does not allow playback from this domain', NO_STORE);
        else sendError(res, 403, 'user agent not allowed', 'This playback id does not allow playback by this user agent', NO_STORE);
        return;
      }
    }
    let suffix = '';
    if (entry.accessPolicy === 'private') {
      // Private ids: the token is checked on every request and carried into every child URL.
      const token = query.get('token');
      if (!token) {
        sendError(res, 403, 'token required', 'This playback id is private: add ?token=<JWT>', NO_STORE);
        return;
      }
      if (!(await this.opts.verifyToken(token, path.playbackId))) {
        sendError(res, 403, 'invalid token', 'The playback token is invalid, expired or not for this playback id', NO_STORE);
        return;
      }
      suffix = `?token=${encodeURIComponent(token)}`;
    }
    if (path.file.kind === 'file') {
      if (this.opts.files) return this.opts.files(req, res, entry, path.file.name, query, suffix);
      sendError(res, 404, 'not found', 'No such playback URL');
      return;
    }
    if (entry.mediaId) return this.media(req, res, path, query, entry, suffix);
    const packager = this.opts.packagerFor(entry.streamId);
    if (!packager) {
      const remote = this.opts.remoteLive ? await this.opts.remoteLive(entry.streamId, () => this.route(req, res, path, query)) : undefined;
      if (remote) {
        if (path.file.kind === 'multivariant' || path.file.kind === 'playlist') this.touchViewer(entry.streamId, req);
        return remote(req, res);
      }
      sendError(res, 412, 'stream not live', 'The live stream is not active: no media to play right now');
      return;
    }
    const ctx: Ctx = { req, res, path, streamId: entry.streamId, packager, suffix, query };
    if ('rendition' in path && path.rendition !== undefined) {
      const rung = this.opts.renditionFor?.(entry.streamId, path.rendition);
      if (!rung) {
        sendError(res, 404, 'rendition not found', `The live stream has no ${path.rendition} rendition right now`);
        return;
      }
      ctx.packager = rung;
      ctx.rendition = path.rendition;
    }
    if (query !== NO_QUERY && (query.has('start') || query.has('end')) && (path.file.kind === 'multivariant' || path.file.kind === 'playlist')) {
      return this.liveClip(ctx, entry);
    }
    if (query !== NO_QUERY && query.get('dvrMode') === 'true') {
      // every rendition has its stored history (the recorder keeps the rungs too); a rung not recorded yet
      // answers its live playlist as an EVENT one
      const history = this.historyOf(entry.streamId, ctx.rendition);
      const session = this.opts.sessionHistory?.(entry.streamId);
      if (session?.dvr) {
        ctx.dvr = history ?? { ...EMPTY_HISTORY, dvr: true };
        ctx.suffix = withParams(suffix, 'dvrMode=true');
      }
    }
    switch (path.file.kind) {
      case 'multivariant': return this.multivariant(ctx);
      case 'playlist': return this.mediaPlaylist(ctx);
      case 'init': return this.init(ctx, path.file.id);
      case 'segment': return this.segment(ctx, path.file.msn);
      case 'part': return this.part(ctx, path.file.msn, path.file.part);
    }
  }

  /**
   * The media playlist as bytes. The packager keeps its text per version; the bytes of the public
   * (no token) form are kept with it, so the most requested answer is not re-encoded per request.
   */
  private playlistBytes(packager: LivePackager, suffix: string): Buffer | string {
    const text = packager.mediaPlaylist(suffix);
    if (suffix !== '') return text;
    const cached = this.playlistCache.get(packager);
    if (cached && cached.text === text) return cached.bytes;
    const bytes = Buffer.from(text);
    this.playlistCache.set(packager, { text, bytes });
    return bytes;
  }

  private viewerKey(req: IncomingMessage): string {
    return `${req.socket.remoteAddress ?? ''}|${req.headers['user-agent'] ?? ''}`;
  }

  /**
   * A stream that just went live may not have a complete segment yet (hls.js calls a playlist with
   * parts only "empty"; players without LL support need a segment): wait for it, bounded.
   */
  private async ensureMedia(ctx: Ctx): Promise<boolean | 'busy'> {
    if (ctx.packager.hasSegment) return true;
    if (ctx.packager.isEnded) return false;
    const waitMs = this.opts.firstMediaWaitMs ?? Math.max(10_000, this.holdMs(ctx.packager)); // a first GOP may be 8 s+ (OBS default)
    return this.hold(ctx, () => ctx.packager.waitFor(0, undefined, waitMs));
  }

  /** Run a wait inside the per-stream/global caps; 'busy' when a cap is reached (the caller answers 503). */
  private async hold(ctx: Ctx, wait: () => Promise<boolean>): Promise<boolean | 'busy'> {
    if (!this.limits.acquire(ctx.streamId)) return 'busy';
    playbackHeldRequests.inc();
    try {
      return await wait();
    } finally {
      this.limits.release(ctx.streamId);
      playbackHeldRequests.dec();
    }
  }

  private holdMs(p: LivePackager): number {
    return this.opts.holdTimeoutMs ?? 3 * p.options.targetDurationS * 1000;
  }

  private mediaReady(ctx: Ctx, ready: boolean | 'busy'): boolean {
    if (ready === 'busy') sendBusy(ctx.res);
    else if (!ready) sendError(ctx.res, 412, 'stream not ready', 'The live stream has no media yet; retry in a moment');
    return ready === true;
  }

  private async multivariant(ctx: Ctx): Promise<void> {
    this.touchViewer(ctx.streamId, ctx.req);
    if (!this.mediaReady(ctx, await this.ensureMedia(ctx))) return;
    const info = ctx.packager.variantInfo();
    if (!info) {
      sendError(ctx.res, 412, 'stream not ready', 'The live stream has no media yet; retry in a moment');
      return;
    }
    const rq = ctx.query === NO_QUERY ? { order: 'desc' as const } : parseRenditionQuery(ctx.query);
    if ('error' in rq) {
      sendError(ctx.res, 400, 'bad playback parameter', rq.error, NO_STORE);
      return;
    }
    const variant = (uri: string, v: NonNullable<ReturnType<LivePackager['variantInfo']>>) => ({
      uri,
      bandwidth: v.bandwidth,
      averageBandwidth: v.averageBandwidth,
      codecs: v.codecs,
      ...(v.resolution ? { resolution: v.resolution } : {}),
      ...(v.frameRate !== undefined ? { frameRate: v.frameRate } : {}),
      shortSide: v.resolution ? Math.min(v.resolution.width, v.resolution.height) : 0,
      independent: v.independentSegments,
    });
    const candidates: ReturnType<typeof variant>[] = [];
    // (DVR lists the rungs too: each has its own stored history, `?dvrMode=true` goes into their URLs)
    const ladder = this.opts.ladderFor?.(ctx.streamId);
    for (const r of ladder?.renditions ?? []) {
      const v = r.healthy && r.packager.hasSegment ? r.packager.variantInfo() : undefined;
      if (v) candidates.push(variant(`${ctx.path.playbackId}/${r.name}/${MEDIA_PLAYLIST_NAME}`, v));
    }
    // the source is listed when within maxResolution, and always when no rung is playable (ffmpeg down)
    if (!ladder || ladder.sourceListed || candidates.length === 0) {
      candidates.push(variant(`${ctx.path.playbackId}/${MEDIA_PLAYLIST_NAME}`, info));
    }
    const variants = selectRenditions(candidates, rq);
    const text = writeMultivariantPlaylist({
      variants: variants.map(({ shortSide: _s, independent: _i, ...v }) => v),
      independentSegments: variants.every((v) => v.independent),
      uriSuffix: ctx.suffix,
    });
    sendBody(ctx.res, PLAYLIST_TYPE, SHORT, text);
  }

  private async mediaPlaylist(ctx: Ctx): Promise<void> {
    const { packager, query, res } = ctx;
    this.touchViewer(ctx.streamId, ctx.req);
    const msnText = query.get('_HLS_msn');
    const partText = query.get('_HLS_part');
    let cache = SHORT;
    if (msnText !== null || partText !== null) {
      // "_HLS_part ... MUST be accompanied by _HLS_msn": a part without an msn is a bad request.
      if (msnText === null || !NUM_RE.test(msnText) || (partText !== null && !NUM_RE.test(partText))) {
        sendError(res, 400, 'bad blocking request', '_HLS_msn must be a number (and _HLS_part needs _HLS_msn)', NO_STORE);
        return;
      }
      const msn = Number(msnText);
      const part = partText === null ? undefined : Number(partText);
      // "If the _HLS_msn is greater than the Media Sequence Number of the last Media Segment in the
      // current Playlist plus two, the Server SHOULD immediately return Bad Request, such as HTTP 400."
      if (msn > packager.lastMsn + 2) {
        sendError(res, 400, 'bad blocking request', `_HLS_msn ${msn} is too far ahead of the live edge`, NO_STORE);
        return;
      }
      const ok = packager.isAvailable(msn, part)
        // "the Server MUST hold the request until a Playlist contains ... or later"; we give up after
        // three target durations and answer with what exists.
        || await this.hold(ctx, () => packager.waitFor(msn, part, this.holdMs(packager)));
      if (ok === 'busy') return sendBusy(res);
      if (res.destroyed) return; // the player went away while we held its request
      // A satisfied blocking response describes that msn/part for good: cache it a little longer.
      cache = ok ? `public, max-age=${3 * packager.options.targetDurationS}` : SHORT;
      if (BENCH_HEADERS && ok && part !== undefined) {
        // bench/db-stall.ts: when the awaited part completed
        // (a segment that closed before that part existed: the wait ended with the next segment's first part)
        const readyAt = (packager.getPart(msn, part) ?? packager.getPart(msn + 1, 0))?.readyAt;
        if (readyAt !== undefined) res.setHeader('x-onair-part-ready', String(readyAt));
      }
    }
    if (!this.mediaReady(ctx, await this.ensureMedia(ctx))) return;
    if (ctx.dvr) {
      sendBody(res, PLAYLIST_TYPE, cache, dvrMediaPlaylist(packager.playlistModel(ctx.suffix), ctx.dvr.segments));
      return;
    }
    sendBody(res, PLAYLIST_TYPE, cache, this.playlistBytes(packager, ctx.suffix));
  }

  private async init(ctx: Ctx, id: number): Promise<void> {
    const data = ctx.packager.getInit(id);
    if (!data) {
      const key = this.historyOf(ctx.streamId, ctx.rendition)?.initKey(id);
      if (key && this.opts.storedMedia) return this.opts.storedMedia.object(ctx.req, ctx.res, key, `Init segment ${id}`);
      sendError(ctx.res, 404, 'not found', `No init segment ${id}`);
      return;
    }
    playbackBytes.inc(data.length);
    sendBody(ctx.res, MP4_TYPE, IMMUTABLE, data);
  }

  private async segment(ctx: Ctx, msn: number): Promise<void> {
    const { packager } = ctx;
    let parts = packager.getSegmentParts(msn);
    // A segment still being written (a player asking early): hold until it completes, bounded.
    if (!parts && msn >= packager.lastMsn && msn <= packager.lastMsn + 1 && !packager.isEnded) {
      if (await this.hold(ctx, () => packager.waitFor(msn, undefined, this.holdMs(packager))) === 'busy') {
        return sendBusy(ctx.res);
      }
      parts = packager.getSegmentParts(msn);
    }
    if (!parts) {
      // behind the live window: the session's stored history (DVR, clips)
      const key = this.historyOf(ctx.streamId, ctx.rendition)?.segmentKey(msn);
      if (key && this.opts.storedMedia) return this.opts.storedMedia.object(ctx.req, ctx.res, key, `Segment ${msn}`);
      sendError(ctx.res, 404, 'not found', `Segment ${msn} is not available`, ERROR_CACHE);
      return;
    }
    sendParts(ctx.res, parts);
  }

  private async part(ctx: Ctx, msn: number, index: number): Promise<void> {
    const { packager } = ctx;
    let part = packager.getPart(msn, index);
    // The preload hint names the next part before it exists: "the server ... responds to the
    // request once the Partial Segment is complete". Only the next segment or two can be waited for.
    if (!part && msn <= packager.lastMsn + 1 && !packager.isAvailable(msn, index) && !packager.isEnded) {
      if (await this.hold(ctx, () => packager.waitFor(msn, index, this.holdMs(packager))) === 'busy') {
        return sendBusy(ctx.res);
      }
      part = packager.getPart(msn, index);
    }
    if (!part) {
      sendError(ctx.res, 404, 'not found', `Part ${msn}.${index} is not available`, ERROR_CACHE);
      return;
    }
    sendParts(ctx.res, [part]);
  }

  /** The session's stored history of a rendition (the source when `rendition` is undefined). */
  private historyOf(streamId: string, rendition: string | undefined): SessionHistory | undefined {
    const session = this.opts.sessionHistory?.(streamId);
    return rendition === undefined ? session : session?.historyOf?.(rendition);
  }

  /** A recording or clip: VOD playlists and bytes from the segment store (every recorded rendition). */
  private async media(req: IncomingMessage, res: ServerResponse, path: PlaybackPath, query: URLSearchParams, entry: PlaybackRoute, suffix: string): Promise<void> {
    const stored = this.opts.storedMedia;
    const view = stored && await this.opts.mediaView?.(entry.mediaId!);
    if (!stored || !view) {
      sendError(res, 404, 'media not found', 'The media of this playback id does not exist (it may have been deleted)');
      return;
    }
    const rendition = 'rendition' in path ? path.rendition : undefined;
    const files = mediaFilesOf(view, rendition);
    if (!files) {
      sendError(res, 404, 'rendition not found', `The media has no ${rendition} rendition`);
      return;
    }
    switch (path.file.kind) {
      case 'multivariant':
      case 'playlist': {
        const range = stored.playlist(res, view, path.playbackId, path.file.kind === 'multivariant', query, suffix, rendition);
        if (range) this.opts.onClip?.(entry, range);
        return;
      }
      case 'init': return stored.object(req, res, files.initKeys.get(path.file.id), `Init segment ${path.file.id}`);
      case 'segment': {
        const seg = files.segments[path.file.msn];
        return stored.object(req, res, seg && seg.n === path.file.msn && !seg.gap ? seg.key : undefined, `Segment ${path.file.msn}`);
      }
      default:
        sendError(res, 404, 'not found', 'On-demand media have no partial segments');
    }
  }

  /** `?start=&end=` on a live playback id: the range of the current session as a VOD playlist. */
  private liveClip(ctx: Ctx, entry: PlaybackRoute): void {
    const history = this.opts.sessionHistory?.(ctx.streamId);
    if (!history || !this.opts.storedMedia) {
      sendError(ctx.res, 400, 'clips unavailable', 'Instant clips need a stream with enableRecording or enableDvrMode', NO_STORE);
      return;
    }
    const child = ctx.rendition === undefined ? history : history.historyOf?.(ctx.rendition);
    if (!child) {
      sendError(ctx.res, 404, 'rendition not found', `The live stream has no stored ${ctx.rendition} rendition to clip`);
      return;
    }
    const rq = parseRenditionQuery(ctx.query);
    if ('error' in rq) {
      sendError(ctx.res, 400, 'bad playback parameter', rq.error, NO_STORE);
      return;
    }
    // every rendition with stored history: the source (when the ladder lists it) and the rungs
    const describe = (uri: string, info: NonNullable<ReturnType<LivePackager['variantInfo']>>) => ({
      uri, bandwidth: info.bandwidth, averageBandwidth: info.averageBandwidth, codecs: info.codecs,
      ...(info.resolution ? { resolution: info.resolution } : {}),
      ...(info.frameRate !== undefined ? { frameRate: info.frameRate } : {}),
      shortSide: info.resolution ? Math.min(info.resolution.width, info.resolution.height) : 0,
    });
    const source = this.opts.packagerFor(ctx.streamId)?.variantInfo();
    const ladder = this.opts.ladderFor?.(ctx.streamId);
    const candidates: ReturnType<typeof describe>[] = [];
    for (const r of ladder?.renditions ?? []) {
      const info = history.historyOf?.(r.name)?.segments.length ? r.packager.variantInfo() : undefined;
      if (info) candidates.push(describe(`${ctx.path.playbackId}/${r.name}/${MEDIA_PLAYLIST_NAME}`, info));
    }
    if (source && (!ladder || ladder.sourceListed || candidates.length === 0)) {
      candidates.push(describe(`${ctx.path.playbackId}/${MEDIA_PLAYLIST_NAME}`, source));
    }
    const variants = selectRenditions(candidates, rq).map(({ shortSide: _s, ...v }) => v);
    const range = this.opts.storedMedia.sessionClip(ctx.res, history, ctx.path.file.kind === 'multivariant', ctx.query, ctx.suffix, variants, child);
    if (range) this.opts.onClip?.(entry, range);
  }
}

function sendBusy(res: ServerResponse): void {
  res.setHeader('retry-after', '1');
  sendError(res, 503, 'busy', 'Too many held requests; retry shortly', NO_STORE);
}

/**
 * Answer with live parts (one part, or a segment's), pinned until the response has closed: their memory is recycled
 * once they leave the window (slab-pool.ts), and a slow viewer's socket may still be writing them by then.
 */
function sendParts(res: ServerResponse, parts: readonly LivePart[]): void {
  if (res.destroyed) return;
  const data: Buffer[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    p.retain();
    data[i] = p.data;
    playbackBytes.inc(p.data.length);
  }
  res.once('close', () => {
    for (const p of parts) p.release();
  });
  sendBody(res, MP4_TYPE, IMMUTABLE, data.length === 1 ? data[0]! : data);
}
