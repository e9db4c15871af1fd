/** Response helpers of the playback listener: CORS, cache lifetimes, content types, JSON errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
export const MP4_TYPE = 'video/mp4';

/** Segments, parts and init segments never change under their URL. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const SHORT = 'public, max-age=1';
export const ERROR_CACHE = 'public, max-age=2';
export const NO_STORE = 'no-store';

const EXPOSE_HEADERS = 'Content-Length, Content-Type, Date, Age, Cache-Control';
const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSE_HEADERS,
};

export function applyCors(res: ServerResponse): void {
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
}

export function sendPreflight(req: IncomingMessage, res: ServerResponse): void {
  applyCors(res);
  res.setHeader('access-control-allow-methods', 'GET, HEAD, OPTIONS');
  const asked = req.headers['access-control-request-headers'];
  res.setHeader('access-control-allow-headers', typeof asked === 'string' && asked.length < 1024 ? asked : 'Range');
  res.setHeader('access-control-max-age', '86400');
  res.writeHead(204).end();
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, cache = ERROR_CACHE): void {
  if (res.headersSent || res.destroyed) return;
  applyCors(res);
  const body = JSON.stringify({ success: false, error: { code: status, message: code, description: message } });
  res.setHeader('cache-control', cache);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.writeHead(status);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Send a body made of several buffers (a segment is its parts) without concatenating them. */
export function sendBody(res: ServerResponse, type: string, cache: string, body: Buffer | Buffer[] | string): void {
  if (res.destroyed) return;
  const chunks = typeof body === 'string' ? [Buffer.from(body)] : Array.isArray(body) ? body : [body];
  let length = 0;
  for (const c of chunks) length += c.length;
  // One raw header list, no setHeader calls: node:http's fast path for the hot answers (playlists, parts).
  res.writeHead(200, [
    'access-control-allow-origin', '*',
    'access-control-expose-headers', EXPOSE_HEADERS,
    'content-type', type,
    'cache-control', cache,
    'content-length', String(length),
  ]);
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  if (chunks.length === 1) {
    res.end(chunks[0]);
    return;
  }
  res.socket?.cork();
  for (const c of chunks) res.write(c);
  res.end();
  process.nextTick(() => res.socket?.uncork());
}
