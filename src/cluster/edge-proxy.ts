/**
 * Live playback on a node that does not own the stream: requests go to the owner's playback listener (its
 * internal URL) and the answers come back byte for byte (status, headers, body).
 *
 * - Media (init segments, segments, parts) never change under a URL: the first answer is kept in memory, in an
 *   LRU bounded in bytes, and concurrent requests for one URL share one origin fetch. Any number of viewers on
 *   the edge cost the origin one fetch per file.
 * - Playlists (including blocking reloads with `_HLS_msn`/`_HLS_part`) are coalesced: while one upstream request
 *   for a URL is in flight, every identical request waits for it and gets the same answer. One upstream wait per
 *   (playlist, msn, part).
 * The edge checked the playback id, access restrictions and token itself before forwarding; the token is left out
 * of the cache key (the bytes are the same for every viewer) but forwarded, so the owner checks it too.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics.js';
import { sendError, NO_STORE } from '../playback/http-replies.js';
import { EDGE_HEADER } from '../playback/viewer-counter.js';

interface Answer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'proxy-connection', 'upgrade', 'te', 'trailer']);
const FORWARDED_REQUEST_HEADERS = ['user-agent', 'origin', 'referer', 'accept', 'range'];

export const edgeOriginFetches = new Counter({
  name: 'onair_edge_origin_fetches_total',
  help: 'Requests an edge node sent to the owning node of a live stream, by kind (media: init/segment/part; playlist)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});
const edgeCacheHits = new Counter({
  name: 'onair_edge_cache_hits_total',
  help: 'Live media requests an edge node answered from memory or from an origin fetch already in flight',
  labelNames: ['kind'] as const,
  registers: [registry],
});
const edgeCacheBytes = new Gauge({
  name: 'onair_edge_cache_bytes',
  help: 'Bytes of live media an edge node keeps in memory',
  registers: [registry],
});

const edgeHeldRequests = new Counter({
  name: 'onair_edge_held_requests_total',
  help: 'Playlist requests an edge node held while the live stream had no reachable owner (a node died or the encoder moved)',
  registers: [registry],
});

/** How a held playlist request finds the stream's next owner (see owner-waits.ts). */
export interface ForwardRetry {
  holdMs: number;
  /** the next origin after `failed` (a URL, 'local' when this node now plays the stream, undefined to give up) */
  next(failed: string | undefined, deadline: number): Promise<string | 'local' | undefined>;
  /** answer from this node's own packager */
  local(): Promise<void>;
}

export interface EdgeProxyOptions {
  /** bytes of media kept (default 64 MiB) */
  maxCacheBytes?: number;
  /** one origin request may take this long (blocking reloads hold up to 3 target durations; default 35 s) */
  timeoutMs?: number;
}

export class EdgeProxy {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  /** immutable media by key, in LRU order (a Map iterates oldest first) */
  private readonly cache = new Map<string, Answer>();
  private cacheBytes = 0;
  private readonly inflight = new Map<string, Promise<Answer>>();
  private readonly maxBytes: number;
  private readonly timeoutMs: number;

  constructor(opts: EdgeProxyOptions = {}) {
    this.maxBytes = opts.maxCacheBytes ?? 64 * 1024 * 1024;
    this.timeoutMs = opts.timeoutMs ?? 35_000;
  }

  /**
   * Answer `req` with the owner's answer to the same URL. With `retry`, a playlist request whose owner cannot be
   * reached (or that has no owner yet) waits up to `retry.holdMs` for the stream's next owner and is answered by it:
   * a viewer playing through a node's death or an encoder's move to another node sees a slow playlist reload, not
   * an error. Media requests are never held (the player skips or refetches them).
   */
  async forward(origin: string | undefined, req: IncomingMessage, res: ServerResponse, retry?: ForwardRetry): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const kind = pathname.endsWith('.m3u8') ? 'playlist' : 'media';
    const deadline = Date.now() + (retry && kind === 'playlist' ? retry.holdMs : 0);
    let target: string | 'local' | undefined = origin;
    let failure: Error | undefined;
    let held = false;
    for (;;) {
      if (target === 'local') return retry!.local();
      if (target !== undefined) {
        try {
          const answer = await this.answer(target, kind, url, req);
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers);
          res.end(req.method === 'HEAD' ? undefined : answer.body);
          return;
        } catch (err) {
          failure = err as Error;
        }
      }
      if (!retry || Date.now() >= deadline || res.destroyed) break;
      if (!held) {
        held = true;
        edgeHeldRequests.inc();
      }
      target = await retry.next(target, deadline);
      if (target === undefined) break;
    }
    if (res.headersSent || res.destroyed) return;
    if (failure) sendError(res, 502, 'origin unreachable', `The node serving this live stream did not answer: ${failure.message}`, NO_STORE);
    else sendError(res, 412, 'stream not live', 'The live stream is not active: no media to play right now');
  }

  private async answer(origin: string, kind: 'media' | 'playlist', url: string, req: IncomingMessage): Promise<Answer> {
    // playlists carry the viewer's token in their URLs: only identical requests share them
    const key = `${origin}|${kind === 'media' ? cacheKey(url) : url}`;
    if (kind === 'media') {
      const hit = this.cache.get(key);
      if (hit) {
        this.cache.delete(key); // refresh its LRU position
        this.cache.set(key, hit);
        edgeCacheHits.inc({ kind });
        return hit;
      }
    }
    return this.shared(key, kind, origin, url, req);
  }

  /** One origin request per key at a time; immutable media answers (200) are kept. */
  private shared(key: string, kind: 'media' | 'playlist', origin: string, url: string, req: IncomingMessage): Promise<Answer> {
    const running = this.inflight.get(key);
    if (running) {
      edgeCacheHits.inc({ kind });
      return running;
    }
    const p = this.fetch(origin, url, req, kind).then((a) => {
      if (kind === 'media' && a.status === 200 && !/no-store/.test(String(a.headers['cache-control'] ?? ''))) this.keep(key, a);
      return a;
    }).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private keep(key: string, a: Answer): void {
    if (a.body.length > this.maxBytes / 4) return;
    this.cache.set(key, a);
    this.cacheBytes += a.body.length;
    while (this.cacheBytes > this.maxBytes) {
      const [oldKey, old] = this.cache.entries().next().value!;
      this.cache.delete(oldKey);
      this.cacheBytes -= old.body.length;
    }
    edgeCacheBytes.set(this.cacheBytes);
  }

  private fetch(origin: string, url: string, req: IncomingMessage, kind: string): Promise<Answer> {
    const headers: Record<string, string> = { [EDGE_HEADER]: '1' };
    for (const h of FORWARDED_REQUEST_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    return new Promise<Answer>((resolve, reject) => {
      const up = http.request(`${origin}${url}`, { method: 'GET', headers, agent: this.agent, timeout: this.timeoutMs }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('error', reject);
        r.on('end', () => {
          const out: OutgoingHttpHeaders = {};
          for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
          edgeOriginFetches.inc({ kind, outcome: String(r.statusCode ?? 0) });
          resolve({ status: r.statusCode ?? 502, headers: out, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
        });
      });
      up.on('timeout', () => up.destroy(new Error('timed out')));
      up.on('error', (err) => {
        edgeOriginFetches.inc({ kind, outcome: 'error' });
        reject(err);
      });
      up.end();
    });
  }

  close(): void {
    this.agent.destroy();
    this.cache.clear();
    this.cacheBytes = 0;
    edgeCacheBytes.set(0);
  }
}

/** The URL without its `token` parameter (viewers with different tokens share the bytes). */
function cacheKey(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  params.delete('token');
  const rest = params.toString();
  return rest ? `${url.slice(0, q)}?${rest}` : url.slice(0, q);
}
