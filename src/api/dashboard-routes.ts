/**
 * The web dashboard at `/` on the API port, and two small onair API extensions the CLI uses.
 *
 * - `GET /` and `/dashboard/static/*`: the single-page app in `web/` (plain ES modules, no build step) and the
 *   libraries it imports, served from node_modules (Preact + htm for the UI, uPlot for charts, hls.js for the
 *   preview): nothing comes from a CDN.
 * - Login: `POST /dashboard/login` with an access token (id + secret) creates a server-side session and sets the
 *   cookie `onair_session` (HttpOnly, SameSite=Strict, Path=/, Secure behind https). The answer carries a CSRF
 *   token that every `/dashboard/api` and logout request must echo in `x-onair-csrf`. Sessions expire
 *   (ONAIR_DASHBOARD_SESSION_TTL_MS, default 12 h) and end at once when their token is revoked (every API call
 *   is checked with the token again).
 * - `/dashboard/api/*`: the /v1 API for the browser. Each call is run through the very same routes
 *   (`app.inject`) with the session's token as Basic auth, so permissions, validation and error shapes are the
 *   API's own; the secret never reaches the page's JavaScript.
 * - `GET /dashboard/events`: Server-Sent Events; one shared ticker per process (not one poll per tab) sends every
 *   second the live state of each stream: status, viewers, session start, ingest video frames per second and kbit/s
 *   (measured by core/live-sessions.ts where frames enter).
 * - Dashboard reads and actions the /v1 API has no route for (session + CSRF; writes need a write token):
 *   `GET /dashboard/streams/{id}/events` (the lifecycle events of the stream's sessions, from the webhook outbox's
 *   events, for the timeline), `GET /dashboard/streams/{id}/simulcast` (the media plane's live state of each target),
 *   `GET /dashboard/webhooks/{id}/deliveries` and `POST /dashboard/webhooks/deliveries/{id}/retry`,
 *   `GET|POST /dashboard/tokens`, `DELETE /dashboard/tokens/{id}` (the created secret is in that one answer).
 * - `GET /v1/onair/info` and `GET /v1/onair/live/{streamId}` (Basic auth, read): ingest/playback base URLs and one
 *   stream's live state, for `onair streams get` and `onair watch`. Hidden from the OpenAPI document.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import { publicHostOf } from '../config.js';
import { registry } from '../metrics.js';
import { countPending } from '../store/webhook-repo.js';
import { createToken, listTokens, revokeToken, verifyToken, type Permission } from '../store/token-repo.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './api-error.js';

const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const require = createRequire(import.meta.url);

/** The files the page may load: web/ files by name, and the vendored libraries. */
/** A vendored file's path: its package's directory (found from the package's entry point; `exports` hide subpaths) + the file. */
function vendorPath(spec: string): string {
  const name = spec.split('/')[0]!;
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`package ${name} not found`);
    dir = up;
  }
  return join(dir, spec.slice(name.length + 1));
}

const VENDOR: Record<string, string> = {
  'preact.js': 'preact/dist/preact.module.js',
  'hooks.js': 'preact/hooks/dist/hooks.module.js',
  'htm.js': 'htm/dist/htm.module.js',
  'uplot.js': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
  'hls.js': 'hls.js/dist/hls.mjs',
};
const WEB_FILES = new Set(['index.html', 'app.js', 'api.js', 'views.js', 'charts.js', 'style.css']);
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8' };

const COOKIE = 'onair_session';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: http: https:; media-src 'self' blob: http: https:; connect-src 'self' http: https:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Session {
  id: string;
  tokenId: string;
  secret: string;
  permission: Permission;
  csrf: string;
  expiresAt: number;
}

/** What the ticker sends per stream. */
export interface LiveState {
  streamId: string;
  status: string;
  viewers: number;
  sessionStartedAt: number | null;
  protocol: string | null;
  remote: string | null;
  /** video frames received per second (measured where frames enter, core/live-sessions.ts) */
  framesPerSecond: number | null;
  /** media payload received, kbit/s */
  bitrateKbps: number | null;
}

interface SessionView { streamId: string; state: string; protocol?: string; remote?: string; startedAt: number; frames: number; bitrateBps?: number; fps?: number }

/** The media plane's live sessions, when the LiveControl in use exposes them (media-plane.ts does: `sessions.list()`). */
function liveSessionsOf(deps: ApiDeps): SessionView[] {
  const lc = deps.liveControl() as unknown as { sessions?: { list?: () => SessionView[] } };
  try {
    return lc.sessions?.list?.() ?? [];
  } catch {
    return [];
  }
}

// ---- metrics that need the store or the live sessions (registered once per process; the latest API's deps answer) ----
let metricDeps: ApiDeps | undefined;
new Gauge({
  name: 'onair_streams', help: 'Streams in the store by status (idle, preparing, active, disabled)', labelNames: ['status'] as const, registers: [registry],
  async collect() {
    this.reset();
    if (!metricDeps) return;
    const counts: Record<string, number> = { idle: 0, preparing: 0, active: 0, disabled: 0 };
    for (let page = 1; ; page++) {
      const { items, total } = await metricDeps.streams.list({ limit: 500, page, order: 'asc' });
      for (const s of items) counts[s.status] = (counts[s.status] ?? 0) + 1;
      if (page * 500 >= total || items.length === 0) break;
    }
    for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
  },
});
new Gauge({
  name: 'onair_webhook_queue_depth', help: 'Webhook events waiting in the outbox (pending or retrying)', registers: [registry],
  async collect() {
    this.set(metricDeps ? await countPending(metricDeps.store.db) : 0);
  },
});
new Gauge({
  name: 'onair_stream_viewers', help: 'Viewers per live stream (distinct viewers over the recent window)', labelNames: ['stream_id'] as const, registers: [registry],
  collect() {
    this.reset();
    if (!metricDeps) return;
    for (const s of liveSessionsOf(metricDeps)) this.set({ stream_id: s.streamId }, metricDeps.liveControl().viewerCount(s.streamId));
  },
});
new Gauge({
  name: 'onair_stream_ingest_frames', help: 'Audio+video frames received in the current session of each live stream (use deriv/rate for frames per second)', labelNames: ['stream_id', 'protocol'] as const, registers: [registry],
  collect() {
    this.reset();
    if (!metricDeps) return;
    for (const s of liveSessionsOf(metricDeps)) this.set({ stream_id: s.streamId, protocol: s.protocol ?? 'unknown' }, s.frames);
  },
});
new Gauge({
  name: 'onair_stream_ingest_bitrate_bps', help: 'Media payload received per live stream, bits per second (averaged over >= 2 s)', labelNames: ['stream'] as const, registers: [registry],
  collect() {
    this.reset(); // series of ended sessions go: the label set is bounded by the live sessions
    if (!metricDeps) return;
    for (const s of liveSessionsOf(metricDeps)) if (s.bitrateBps !== undefined) this.set({ stream: s.streamId }, s.bitrateBps);
  },
});
new Gauge({
  name: 'onair_stream_ingest_fps', help: 'Video frames received per second per live stream (averaged over >= 2 s)', labelNames: ['stream'] as const, registers: [registry],
  collect() {
    this.reset();
    if (!metricDeps) return;
    for (const s of liveSessionsOf(metricDeps)) if (s.fps !== undefined) this.set({ stream: s.streamId }, s.fps);
  },
});
new Gauge({
  name: 'onair_stream_uptime_seconds', help: 'Seconds since the current session of each live stream started', labelNames: ['stream_id'] as const, registers: [registry],
  collect() {
    this.reset();
    if (!metricDeps) return;
    const now = Date.now();
    for (const s of liveSessionsOf(metricDeps)) this.set({ stream_id: s.streamId }, (now - s.startedAt) / 1000);
  },
});

function liveState(streamId: string, status: string, viewers: number, sess: SessionView | undefined): LiveState {
  return {
    streamId, status, viewers, sessionStartedAt: sess?.startedAt ?? null, protocol: sess?.protocol ?? null, remote: sess?.remote ?? null,
    framesPerSecond: sess?.fps ?? null, bitrateKbps: sess?.bitrateBps === undefined ? null : Math.round(sess.bitrateBps / 100) / 10,
  };
}

function cookieOf(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function registerDashboardRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  metricDeps = deps;
  const none = { permission: 'none' as const };
  const hide = { hide: true };
  const ttlMs = Number(process.env.ONAIR_DASHBOARD_SESSION_TTL_MS ?? 12 * 3600_000);
  const sessions = new Map<string, Session>();
  const failures = new Map<string, { n: number; since: number }>();
  const host = publicHostOf(deps.config);
  const info = {
    rtmp: `rtmp://${host}:${deps.config.rtmpPort}/live`,
    ...(deps.config.tlsCert ? { rtmps: `rtmps://${host}:${deps.config.rtmpsPort}/live` } : {}),
    srt: `srt://${host}:${deps.config.srtPort}`,
    playback: `http://${host}:${deps.config.playbackPort}`,
  };

  // ---- live state: one ticker for the whole process ----
  let snapshot: LiveState[] = [];
  const listeners = new Set<(s: LiveState[]) => void>();
  async function sample(): Promise<LiveState[]> {
    const { items } = await deps.streams.list({ limit: 1000, page: 1, order: 'desc' });
    const live = new Map(liveSessionsOf(deps).map((s) => [s.streamId, s]));
    return items.map((s) => {
      let viewers = 0;
      try { viewers = deps.liveControl().viewerCount(s.streamId); } catch { viewers = 0; }
      return liveState(s.streamId, s.status, viewers, live.get(s.streamId));
    });
  }
  let ticker: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      snapshot = await sample();
      for (const l of listeners) l(snapshot);
    } catch (err) {
      app.log.debug({ err }, 'dashboard sample failed');
    }
  };
  const listen = (l: (s: LiveState[]) => void) => {
    listeners.add(l);
    if (!ticker) {
      ticker = setInterval(() => void tick(), 1000);
      ticker.unref();
    }
    return () => {
      listeners.delete(l);
      if (listeners.size === 0 && ticker) {
        clearInterval(ticker);
        ticker = undefined;
      }
    };
  };
  app.addHook('onClose', async () => {
    if (ticker) clearInterval(ticker);
    for (const l of [...listeners]) listeners.delete(l);
  });

  // ---- API extensions for the CLI ----
  app.get('/v1/onair/info', { config: { permission: 'read' }, schema: hide }, async () => ({ success: true, data: info }));

  app.get('/v1/onair/live/:streamId', { config: { permission: 'read' }, schema: hide }, async (req) => {
    const { streamId } = req.params as { streamId: string };
    const got = await deps.streams.get(streamId);
    if (!got.ok) throw new ApiError(404, 'stream not found', "The requested resource (eg: streamId) doesn't exist in the workspace");
    const sess = liveSessionsOf(deps).find((s) => s.streamId === streamId);
    const data: LiveState = liveState(streamId, got.value.status, deps.liveControl().viewerCount(streamId), sess);
    return { success: true, data };
  });

  // ---- static files ----
  const send = (reply: FastifyReply, fileOrText: string, type: string) => reply
    .header('content-type', type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP).header('referrer-policy', 'same-origin')
    .send(fileOrText.startsWith('/') ? readFileSync(fileOrText) : fileOrText);
  app.get('/', { config: none, schema: hide }, async (_req, reply) => send(reply, join(WEB_DIR, 'index.html'), TYPES.html!));
  app.get('/dashboard/static/:file', { config: none, schema: hide }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const ext = file.split('.').pop() ?? '';
    if (file === 'hooks.js') {
      // preact/hooks imports the bare specifier "preact"; the page loads it as ./preact.js (no import map, no bundler)
      const src = readFileSync(vendorPath(VENDOR[file]!), 'utf8').replace(/from\s*"preact"/g, 'from"./preact.js"');
      return send(reply, src, TYPES.js!);
    }
    if (VENDOR[file]) return send(reply, vendorPath(VENDOR[file]!), TYPES[ext]!);
    if (WEB_FILES.has(file)) return send(reply, join(WEB_DIR, file), TYPES[ext]!);
    throw new ApiError(404, 'not found', `${file} is not part of the dashboard.`);
  });

  // ---- sessions ----
  const sessionOf = (req: FastifyRequest): Session | undefined => {
    const id = cookieOf(req, COOKIE);
    if (!id) return undefined;
    const s = sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= Date.now()) {
      sessions.delete(id);
      return undefined;
    }
    return s;
  };
  const requireSession = (req: FastifyRequest, csrf: boolean): Session => {
    const s = sessionOf(req);
    if (!s) throw new ApiError(401, 'unauthorized', 'Log in to the dashboard (the session is missing or expired).');
    if (csrf) {
      const h = req.headers['x-onair-csrf'];
      if (typeof h !== 'string' || !sameText(h, s.csrf)) throw new ApiError(403, 'forbidden', 'Missing or wrong x-onair-csrf header.');
    }
    return s;
  };
  const secure = (req: FastifyRequest) => req.protocol === 'https';
  const setCookie = (req: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number) => reply.header('set-cookie',
    `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure(req) ? '; Secure' : ''}`);
  const publicSession = (s: Session) => ({ tokenId: s.tokenId, permission: s.permission, csrf: s.csrf, expiresAt: new Date(s.expiresAt).toISOString() });

  app.post('/dashboard/login', { config: none, schema: hide }, async (req, reply) => {
    const now = Date.now();
    const f = failures.get(req.ip);
    if (f && now - f.since < 60_000 && f.n >= 10) throw new ApiError(429, 'too many requests', 'Too many failed logins from this address; retry in a minute.');
    const b = (req.body ?? {}) as { tokenId?: unknown; secret?: unknown };
    if (typeof b.tokenId !== 'string' || typeof b.secret !== 'string' || !b.tokenId || !b.secret) {
      throw new ApiError(422, 'payload validation failed', undefined, [{ field: 'tokenId', message: 'tokenId and secret are required strings' }]);
    }
    const permission = await verifyToken(deps.store.db, b.tokenId, b.secret);
    if (!permission) {
      const w = f && now - f.since < 60_000 ? f : { n: 0, since: now };
      w.n++;
      failures.set(req.ip, w);
      if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
      throw new ApiError(401, 'unauthorized', 'The access token id and secret do not match.');
    }
    for (const [id, s] of sessions) if (s.expiresAt <= now) sessions.delete(id);
    const s: Session = { id: randomBytes(32).toString('base64url'), tokenId: b.tokenId, secret: b.secret, permission, csrf: randomBytes(24).toString('base64url'), expiresAt: now + ttlMs };
    sessions.set(s.id, s);
    setCookie(req, reply, s.id, Math.ceil(ttlMs / 1000));
    return { success: true, data: publicSession(s) };
  });

  app.get('/dashboard/session', { config: none, schema: hide }, async (req) => ({ success: true, data: publicSession(requireSession(req, false)) }));

  app.post('/dashboard/logout', { config: none, schema: hide }, async (req, reply) => {
    const s = requireSession(req, true);
    sessions.delete(s.id);
    setCookie(req, reply, '', 0);
    return { success: true };
  });

  // ---- the API, through the session ----
  const proxy = async (req: FastifyRequest, reply: FastifyReply) => {
    const s = requireSession(req, true);
    const rest = (req.params as { '*': string })['*'];
    const qs = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    const auth = `Basic ${Buffer.from(`${s.tokenId}:${s.secret}`).toString('base64')}`;
    const res = await app.inject({
      method: req.method as 'GET', url: `/v1/${rest}${qs}`,
      headers: { authorization: auth, 'x-request-id': req.id, ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(req.body !== undefined ? { payload: JSON.stringify(req.body) } : {}),
    });
    if (res.statusCode === 401) sessions.delete(s.id); // the token was revoked: the session ends with it
    return reply.code(res.statusCode).header('content-type', res.headers['content-type'] ?? 'application/json').send(res.body);
  };
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    app.route({ method, url: '/dashboard/api/*', config: none, schema: hide, handler: proxy });
  }

  /** access tokens (ids and permissions) for the dashboard's token page; secrets are not stored */
  app.get('/dashboard/tokens', { config: none, schema: hide }, async (req) => {
    requireSession(req, true);
    return { success: true, data: (await listTokens(deps.store.db)).map((t) => ({ id: t.id, permission: t.permission, name: t.name ?? null, createdAt: t.createdAt })) };
  });

  const requireWrite = (req: FastifyRequest): Session => {
    const s = requireSession(req, true);
    if (s.permission !== 'write') throw new ApiError(403, 'forbidden', 'This access token can only read.');
    return s;
  };

  /** create an access token: the secret is in this answer only (the store keeps its hash) */
  app.post('/dashboard/tokens', { config: none, schema: hide }, async (req, reply) => {
    requireWrite(req);
    const b = (req.body ?? {}) as { permission?: unknown; name?: unknown };
    const permission = b.permission === undefined ? 'read' : b.permission;
    if (permission !== 'read' && permission !== 'write') {
      throw new ApiError(422, 'payload validation failed', undefined, [{ field: 'permission', message: 'permission is read or write' }]);
    }
    if (b.name !== undefined && (typeof b.name !== 'string' || b.name.length > 200)) {
      throw new ApiError(422, 'payload validation failed', undefined, [{ field: 'name', message: 'name is a string of at most 200 characters' }]);
    }
    const t = await createToken(deps.store.db, permission, { name: typeof b.name === 'string' && b.name !== '' ? b.name : undefined });
    return reply.code(201).header('cache-control', 'no-store').send({ success: true, data: { id: t.id, secret: t.secret, permission: t.permission, name: b.name ?? null } });
  });

  /** revoke an access token: its dashboard sessions end with it (their next call answers 401) */
  app.delete('/dashboard/tokens/:tokenId', { config: none, schema: hide }, async (req) => {
    requireWrite(req);
    const { tokenId } = req.params as { tokenId: string };
    if (!(await revokeToken(deps.store.db, tokenId))) throw new ApiError(404, 'token not found', 'No access token has this id.');
    for (const [id, other] of sessions) if (other.tokenId === tokenId) sessions.delete(id);
    return { success: true };
  });

  /** the lifecycle events of a stream's sessions (from the webhook outbox's events), oldest first, for the timeline */
  app.get('/dashboard/streams/:streamId/events', { config: none, schema: hide }, async (req) => {
    requireSession(req, true);
    const { streamId } = req.params as { streamId: string };
    const rows = await deps.store.db.selectFrom('webhook_events').select(['id', 'type', 'created_at'])
      .where('object_id', '=', streamId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(200).execute();
    return { success: true, data: rows.reverse().map((r) => ({ id: r.id, type: r.type, createdAt: r.created_at })) };
  });

  /** the media plane's simulcast targets of a stream with their live state */
  app.get('/dashboard/streams/:streamId/simulcast', { config: none, schema: hide }, async (req) => {
    requireSession(req, true);
    const { streamId } = req.params as { streamId: string };
    const lc = deps.liveControl() as unknown as { simulcast?: { list?: () => { streamId: string; simulcastId: string; url: string; state: string; attempts: number; lastError?: string }[] } };
    let targets: { streamId: string; simulcastId: string; url: string; state: string; attempts: number; lastError?: string }[] = [];
    try { targets = lc.simulcast?.list?.() ?? []; } catch { targets = []; }
    return { success: true, data: targets.filter((t) => t.streamId === streamId).map((t) => ({ simulcastId: t.simulcastId, state: t.state, attempts: t.attempts, lastError: t.lastError ?? null })) };
  });

  /** an endpoint's recent deliveries: event, state, attempts, last error */
  app.get('/dashboard/webhooks/:webhookId/deliveries', { config: none, schema: hide }, async (req) => {
    requireSession(req, true);
    const { webhookId } = req.params as { webhookId: string };
    const rows = await deps.store.db.selectFrom('webhook_deliveries as d').innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.event_id', 'd.state', 'd.attempts', 'd.last_error', 'd.created_ms', 'd.next_attempt_ms', 'd.delivered_at', 'e.type', 'e.object_id'])
      .where('d.endpoint_id', '=', webhookId).orderBy('d.id', 'desc').limit(50).execute();
    return {
      success: true,
      data: rows.map((r) => ({
        id: Number(r.id), eventId: r.event_id, type: r.type, objectId: r.object_id, state: r.state, attempts: Number(r.attempts),
        lastError: r.last_error, createdAt: new Date(Number(r.created_ms)).toISOString(), deliveredAt: r.delivered_at,
        nextAttemptAt: r.state === 'pending' ? new Date(Number(r.next_attempt_ms)).toISOString() : null,
      })),
    };
  });

  /** send a delivery again now (a failed one, or a pending one waiting for its backoff) */
  app.post('/dashboard/webhooks/deliveries/:deliveryId/retry', { config: none, schema: hide }, async (req) => {
    requireWrite(req);
    const id = Number((req.params as { deliveryId: string }).deliveryId);
    if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, 'delivery not found', 'No webhook delivery has this id.');
    const row = await deps.store.db.selectFrom('webhook_deliveries').select(['state']).where('id', '=', id).executeTakeFirst();
    if (!row) throw new ApiError(404, 'delivery not found', 'No webhook delivery has this id.');
    if (row.state === 'delivered') throw new ApiError(409, 'already delivered', 'This delivery succeeded; there is nothing to retry.');
    await deps.store.db.updateTable('webhook_deliveries').set({ state: 'pending', next_attempt_ms: Date.now() }).where('id', '=', id).execute();
    // nudge the delivery worker (it also finds the row at its next poll)
    (deps.store as unknown as { emitter?: { emit(ev: string): void } }).emitter?.emit('outbox');
    return { success: true };
  });

  app.get('/dashboard/events', { config: none, schema: hide }, async (req, reply) => {
    const s = requireSession(req, false);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const push = (states: LiveState[]) => {
      if (!sessions.has(s.id) || s.expiresAt <= Date.now()) {
        res.write('event: session\ndata: "expired"\n\n');
        res.end();
        return;
      }
      res.write(`event: live\ndata: ${JSON.stringify({ at: Date.now(), streams: states })}\n\n`);
    };
    const stop = listen(push);
    void tick();
    req.raw.once('close', stop);
    res.once('close', stop);
  });
}
