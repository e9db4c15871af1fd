/**
 * A typed client for onair's /v1 API (and so for FastPix's live-streaming API). Method names follow FastPix's
 * node SDK (`@fastpix/fastpix-node`): `liveStreams.create|list|get|update|delete|enable|disable|complete|
 * getViewerCount|listClips`, `livePlayback.createId|get|delete|updateDomainRestrictions|updateUserAgentRestrictions`
 * (also reachable as `playbackIds`), `simulcasts.create|get|update|delete`, `signingKeys.create|list|getById|delete`;
 * plus onair's own `webhooks` and `system`. Answers are the `data` of FastPix's envelope (lists: `{ data, pagination }`);
 * a refusal throws `OnairApiError` carrying FastPix's `{ code, message, description?, fields? }`, an unreachable
 * server `OnairConnectionError`. Uses only `fetch`, so it runs in Node 18+ and in browsers.
 */
import type {
  CreateLiveStreamRequest, ErrorBody, ListQuery, LiveMediaClip, LiveStream, Media, MediaUpdateRequest, Page, PatchLiveStreamRequest, PlaybackId,
  PlaybackIdRequest, RestrictionRule, RestrictionRuleInput, SigningKeyCreated, SigningKeyItem, SigningKeyPublic, Simulcast,
  SimulcastRequest, SimulcastUpdateRequest, StreamListQuery, ViewerCount, WebhookCreateRequest, WebhookEndpoint,
  WebhookUpdateRequest,
} from './types.js';

export interface OnairClientOptions {
  /** base URL of the API, e.g. `http://127.0.0.1:8080` (a trailing `/v1` is accepted) */
  serverURL: string;
  /** access token id and secret (HTTP Basic); FastPix's SDK spells them `security: { username, password }` */
  tokenId?: string;
  tokenSecret?: string;
  security?: { username: string; password: string };
  /** per-request timeout (default 30 s) */
  timeoutMs?: number;
  /** a fetch to use instead of the global one */
  fetch?: typeof fetch;
  /** extra headers on every request */
  headers?: Record<string, string>;
}

/** The server answered with FastPix's error envelope (or something else that is not a success). */
export class OnairApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly description: string | undefined;
  readonly fields: { field: string; message: string }[] | undefined;
  constructor(status: number, readonly body: ErrorBody | undefined, readonly method: string, readonly path: string) {
    const e = body?.error;
    super(e ? `${e.message}${e.description ? `: ${e.description}` : ''}${e.fields ? `: ${e.fields.map((f) => `${f.field} ${f.message}`).join('; ')}` : ''}` : `HTTP ${status} from ${method} ${path}`);
    this.name = 'OnairApiError';
    this.status = status;
    this.code = e?.code ?? status;
    this.description = e?.description;
    this.fields = e?.fields;
  }
}

/** The request never got an HTTP answer (refused, DNS, timeout). */
export class OnairConnectionError extends Error {
  constructor(readonly url: string, cause: unknown) {
    const why = describeCause(cause);
    super(`cannot reach ${url}: ${why}`);
    this.name = 'OnairConnectionError';
  }
}

function describeCause(cause: unknown): string {
  const err = cause as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timed out';
  if (err?.cause?.code) return err.cause.code === 'ECONNREFUSED' ? 'connection refused (is onair running?)' : err.cause.code;
  return err?.cause?.message ?? err?.message ?? String(cause);
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | undefined>;

const enc = encodeURIComponent;

export class OnairClient {
  readonly serverURL: string;
  private readonly auth: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(opts: OnairClientOptions) {
    this.serverURL = opts.serverURL.replace(/\/+$/, '').replace(/\/v1$/, '');
    const id = opts.tokenId ?? opts.security?.username;
    const secret = opts.tokenSecret ?? opts.security?.password;
    this.auth = id !== undefined && secret !== undefined ? `Basic ${base64(`${id}:${secret}`)}` : undefined;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
    this.headers = { ...opts.headers };
  }

  /** One call: JSON in, FastPix envelope out. Returns the whole success envelope. */
  async request<T = unknown>(method: Method, path: string, opts: { body?: unknown; query?: Query } = {}): Promise<{ success: true; data: T; pagination?: Page<unknown>['pagination'] }> {
    let url = `${this.serverURL}${path}`;
    if (opts.query) {
      const qs = Object.entries(opts.query).filter(([, v]) => v !== undefined).map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&');
      if (qs) url += `?${qs}`;
    }
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers };
    if (this.auth) headers.authorization = this.auth;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new OnairConnectionError(this.serverURL, err);
    }
    const text = await res.text();
    let parsed: unknown;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    if (!res.ok || (parsed as { success?: unknown } | undefined)?.success !== true) {
      const errBody = (parsed as ErrorBody | undefined)?.error ? parsed as ErrorBody : undefined;
      throw new OnairApiError(res.status, errBody, method, path);
    }
    return parsed as { success: true; data: T };
  }

  private async data<T>(method: Method, path: string, opts: { body?: unknown; query?: Query } = {}): Promise<T> {
    return (await this.request<T>(method, path, opts)).data;
  }

  private async page<T>(path: string, query: Query): Promise<Page<T>> {
    const r = await this.request<T[]>('GET', path, { query });
    return { data: r.data, pagination: r.pagination! };
  }

  private async done(method: Method, path: string, opts: { query?: Query } = {}): Promise<void> {
    await this.request(method, path, opts);
  }

  readonly liveStreams = {
    /** POST /v1/live/streams */
    create: (body: CreateLiveStreamRequest): Promise<LiveStream> => this.data('POST', '/v1/live/streams', { body }),
    /** GET /v1/live/streams (one page) */
    list: (q: StreamListQuery = {}): Promise<Page<LiveStream>> => this.page('/v1/live/streams', { limit: q.limit, offset: q.offset, orderBy: q.orderBy }),
    /** every stream, page after page */
    listAll: async (q: Omit<StreamListQuery, 'limit' | 'offset'> = {}): Promise<LiveStream[]> => {
      const all: LiveStream[] = [];
      for (let offset = 1; ; offset++) {
        const p = await this.liveStreams.list({ ...q, limit: 50, offset });
        all.push(...p.data);
        if (offset >= p.pagination.offsetCount || p.data.length === 0) return all;
      }
    },
    /** GET /v1/live/streams/{streamId} */
    get: (streamId: string): Promise<LiveStream> => this.data('GET', `/v1/live/streams/${enc(streamId)}`),
    /** PATCH /v1/live/streams/{streamId} */
    update: (streamId: string, body: PatchLiveStreamRequest): Promise<LiveStream> => this.data('PATCH', `/v1/live/streams/${enc(streamId)}`, { body }),
    /** DELETE /v1/live/streams/{streamId} */
    delete: (streamId: string): Promise<void> => this.done('DELETE', `/v1/live/streams/${enc(streamId)}`),
    /** PUT /v1/live/streams/{streamId}/live-enable */
    enable: (streamId: string): Promise<void> => this.done('PUT', `/v1/live/streams/${enc(streamId)}/live-enable`),
    /** PUT /v1/live/streams/{streamId}/live-disable */
    disable: (streamId: string): Promise<void> => this.done('PUT', `/v1/live/streams/${enc(streamId)}/live-disable`),
    /** PUT /v1/live/streams/{streamId}/finish */
    complete: (streamId: string): Promise<void> => this.done('PUT', `/v1/live/streams/${enc(streamId)}/finish`),
    /** GET /v1/live/streams/{streamId}/viewer-count */
    getViewerCount: (streamId: string): Promise<ViewerCount> => this.data('GET', `/v1/live/streams/${enc(streamId)}/viewer-count`),
    /** GET /v1/on-demand/{livestreamId}/live-clips */
    listClips: (livestreamId: string, q: StreamListQuery = {}): Promise<Page<LiveMediaClip>> =>
      this.page(`/v1/on-demand/${enc(livestreamId)}/live-clips`, { limit: q.limit, offset: q.offset, orderBy: q.orderBy }),
  };

  readonly livePlayback = {
    /** POST /v1/live/streams/{streamId}/playback-ids */
    createId: (streamId: string, body: PlaybackIdRequest = {}): Promise<PlaybackId> => this.data('POST', `/v1/live/streams/${enc(streamId)}/playback-ids`, { body }),
    /** GET /v1/live/streams/{streamId}/playback-ids/{playbackId} */
    get: (streamId: string, playbackId: string): Promise<PlaybackId> => this.data('GET', `/v1/live/streams/${enc(streamId)}/playback-ids/${enc(playbackId)}`),
    /** DELETE /v1/live/streams/{streamId}/playback-ids?playbackId=… */
    delete: (streamId: string, playbackId: string): Promise<void> => this.done('DELETE', `/v1/live/streams/${enc(streamId)}/playback-ids`, { query: { playbackId } }),
    /** PATCH /v1/live/streams/{streamId}/playback-ids/{playbackId}/domains */
    updateDomainRestrictions: (streamId: string, playbackId: string, body: RestrictionRuleInput): Promise<RestrictionRule> =>
      this.data('PATCH', `/v1/live/streams/${enc(streamId)}/playback-ids/${enc(playbackId)}/domains`, { body }),
    /** PATCH /v1/live/streams/{streamId}/playback-ids/{playbackId}/user-agents */
    updateUserAgentRestrictions: (streamId: string, playbackId: string, body: RestrictionRuleInput): Promise<RestrictionRule> =>
      this.data('PATCH', `/v1/live/streams/${enc(streamId)}/playback-ids/${enc(playbackId)}/user-agents`, { body }),
  };

  /** the same operations as `livePlayback`, with `create` for `createId` */
  readonly playbackIds = { ...this.livePlayback, create: this.livePlayback.createId };

  readonly simulcasts = {
    /** POST /v1/live/streams/{streamId}/simulcast */
    create: (streamId: string, body: SimulcastRequest): Promise<Simulcast> => this.data('POST', `/v1/live/streams/${enc(streamId)}/simulcast`, { body }),
    /** GET /v1/live/streams/{streamId}/simulcast/{simulcastId} */
    get: (streamId: string, simulcastId: string): Promise<Simulcast> => this.data('GET', `/v1/live/streams/${enc(streamId)}/simulcast/${enc(simulcastId)}`),
    /** PUT /v1/live/streams/{streamId}/simulcast/{simulcastId} */
    update: (streamId: string, simulcastId: string, body: SimulcastUpdateRequest): Promise<Simulcast> =>
      this.data('PUT', `/v1/live/streams/${enc(streamId)}/simulcast/${enc(simulcastId)}`, { body }),
    /** DELETE /v1/live/streams/{streamId}/simulcast/{simulcastId} */
    delete: (streamId: string, simulcastId: string): Promise<void> => this.done('DELETE', `/v1/live/streams/${enc(streamId)}/simulcast/${enc(simulcastId)}`),
  };

  readonly signingKeys = {
    /** POST /v1/iam/signing-keys */
    create: (): Promise<SigningKeyCreated> => this.data('POST', '/v1/iam/signing-keys'),
    /** GET /v1/iam/signing-keys */
    list: (q: ListQuery = {}): Promise<Page<SigningKeyItem>> => this.page('/v1/iam/signing-keys', { limit: q.limit, offset: q.offset }),
    /** GET /v1/iam/signing-keys/{signingKeyId} */
    getById: (signingKeyId: string): Promise<SigningKeyPublic> => this.data('GET', `/v1/iam/signing-keys/${enc(signingKeyId)}`),
    /** DELETE /v1/iam/signing-keys/{signingKeyId} */
    delete: (signingKeyId: string): Promise<{ message: string }> => this.data('DELETE', `/v1/iam/signing-keys/${enc(signingKeyId)}`),
  };

  /** on-demand media (recordings): FastPix's `manageVideos` operations that onair supports */
  readonly media = {
    /** GET /v1/on-demand */
    list: (q: StreamListQuery = {}): Promise<Page<Media>> => this.page('/v1/on-demand', { limit: q.limit, offset: q.offset, orderBy: q.orderBy }),
    /** GET /v1/on-demand/{mediaId} */
    get: (mediaId: string): Promise<Media> => this.data('GET', `/v1/on-demand/${enc(mediaId)}`),
    /** PATCH /v1/on-demand/{mediaId} */
    update: (mediaId: string, body: MediaUpdateRequest): Promise<Media> => this.data('PATCH', `/v1/on-demand/${enc(mediaId)}`, { body }),
    /** DELETE /v1/on-demand/{mediaId} */
    delete: (mediaId: string): Promise<void> => this.done('DELETE', `/v1/on-demand/${enc(mediaId)}`),
    /** PATCH /v1/on-demand/{mediaId}/update-mp4Support */
    updateMp4Support: (mediaId: string, mp4Support: string): Promise<Media> => this.data('PATCH', `/v1/on-demand/${enc(mediaId)}/update-mp4Support`, { body: { mp4Support } }),
    /** GET /v1/on-demand/{mediaId}/media-clips */
    listClips: (mediaId: string, q: StreamListQuery = {}): Promise<Page<Media>> => this.page(`/v1/on-demand/${enc(mediaId)}/media-clips`, { limit: q.limit, offset: q.offset, orderBy: q.orderBy }),
  };

  /** playback ids of on-demand media */
  readonly mediaPlaybackIds = {
    /** POST /v1/on-demand/{mediaId}/playback-ids */
    create: (mediaId: string, body: Omit<PlaybackIdRequest, 'accessPolicy'> & { accessPolicy: 'public' | 'private' | 'drm' }): Promise<PlaybackId> => this.data('POST', `/v1/on-demand/${enc(mediaId)}/playback-ids`, { body }),
    /** GET /v1/on-demand/{mediaId}/playback-ids */
    list: (mediaId: string): Promise<PlaybackId[]> => this.data('GET', `/v1/on-demand/${enc(mediaId)}/playback-ids`),
    /** GET /v1/on-demand/{mediaId}/playback-ids/{playbackId} */
    get: (mediaId: string, playbackId: string): Promise<PlaybackId> => this.data('GET', `/v1/on-demand/${enc(mediaId)}/playback-ids/${enc(playbackId)}`),
    /** DELETE /v1/on-demand/{mediaId}/playback-ids?playbackId=… */
    delete: (mediaId: string, playbackId: string): Promise<void> => this.done('DELETE', `/v1/on-demand/${enc(mediaId)}/playback-ids`, { query: { playbackId } }),
    /** PATCH /v1/on-demand/{mediaId}/playback-ids/{playbackId}/domains */
    updateDomainRestrictions: (mediaId: string, playbackId: string, body: RestrictionRuleInput): Promise<RestrictionRule> =>
      this.data('PATCH', `/v1/on-demand/${enc(mediaId)}/playback-ids/${enc(playbackId)}/domains`, { body }),
    /** PATCH /v1/on-demand/{mediaId}/playback-ids/{playbackId}/user-agents */
    updateUserAgentRestrictions: (mediaId: string, playbackId: string, body: RestrictionRuleInput): Promise<RestrictionRule> =>
      this.data('PATCH', `/v1/on-demand/${enc(mediaId)}/playback-ids/${enc(playbackId)}/user-agents`, { body }),
  };

  /** onair extension: webhook endpoints */
  readonly webhooks = {
    /** POST /v1/onair/webhooks (the answer carries the signing secret, once) */
    create: (body: WebhookCreateRequest): Promise<WebhookEndpoint> => this.data('POST', '/v1/onair/webhooks', { body }),
    /** GET /v1/onair/webhooks */
    list: (): Promise<WebhookEndpoint[]> => this.data('GET', '/v1/onair/webhooks'),
    /** GET /v1/onair/webhooks/{webhookId} */
    get: (webhookId: string): Promise<WebhookEndpoint> => this.data('GET', `/v1/onair/webhooks/${enc(webhookId)}`),
    /** PATCH /v1/onair/webhooks/{webhookId} */
    update: (webhookId: string, body: WebhookUpdateRequest): Promise<WebhookEndpoint> => this.data('PATCH', `/v1/onair/webhooks/${enc(webhookId)}`, { body }),
    /** DELETE /v1/onair/webhooks/{webhookId} */
    delete: (webhookId: string): Promise<void> => this.done('DELETE', `/v1/onair/webhooks/${enc(webhookId)}`),
  };

  /** unauthenticated operational endpoints */
  readonly system = {
    /** GET /healthz: true when every listener is up */
    health: async (): Promise<boolean> => {
      try {
        await this.request('GET', '/healthz');
        return true;
      } catch (err) {
        if (err instanceof OnairApiError) return false;
        throw err;
      }
    },
    /** GET /v1/openapi.json */
    openapi: async (): Promise<Record<string, unknown>> => this.raw('/v1/openapi.json').then((t) => JSON.parse(t) as Record<string, unknown>),
    /** GET /metrics (Prometheus text) */
    metrics: (): Promise<string> => this.raw('/metrics'),
  };

  private async raw(path: string): Promise<string> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.serverURL}${path}`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new OnairConnectionError(this.serverURL, err);
    }
    const text = await res.text();
    if (!res.ok) throw new OnairApiError(res.status, undefined, 'GET', path);
    return text;
  }
}

function base64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * The operations the client covers, as `METHOD /path` with OpenAPI-style `{params}`: every operation of
 * /v1/openapi.json that has a success answer (test/client checks it; the ones onair documents as "Not supported",
 * with error answers only, are left out).
 */
export const CLIENT_OPERATIONS: readonly string[] = [
  'POST /v1/live/streams', 'GET /v1/live/streams', 'GET /v1/live/streams/{streamId}', 'PATCH /v1/live/streams/{streamId}',
  'DELETE /v1/live/streams/{streamId}', 'PUT /v1/live/streams/{streamId}/live-enable', 'PUT /v1/live/streams/{streamId}/live-disable',
  'PUT /v1/live/streams/{streamId}/finish', 'GET /v1/live/streams/{streamId}/viewer-count', 'GET /v1/on-demand/{livestreamId}/live-clips',
  'POST /v1/live/streams/{streamId}/playback-ids', 'GET /v1/live/streams/{streamId}/playback-ids/{playbackId}',
  'DELETE /v1/live/streams/{streamId}/playback-ids', 'PATCH /v1/live/streams/{streamId}/playback-ids/{playbackId}/domains',
  'PATCH /v1/live/streams/{streamId}/playback-ids/{playbackId}/user-agents',
  'POST /v1/live/streams/{streamId}/simulcast', 'GET /v1/live/streams/{streamId}/simulcast/{simulcastId}',
  'PUT /v1/live/streams/{streamId}/simulcast/{simulcastId}', 'DELETE /v1/live/streams/{streamId}/simulcast/{simulcastId}',
  'POST /v1/iam/signing-keys', 'GET /v1/iam/signing-keys', 'GET /v1/iam/signing-keys/{signingKeyId}', 'DELETE /v1/iam/signing-keys/{signingKeyId}',
  'POST /v1/onair/webhooks', 'GET /v1/onair/webhooks', 'GET /v1/onair/webhooks/{webhookId}', 'PATCH /v1/onair/webhooks/{webhookId}',
  'DELETE /v1/onair/webhooks/{webhookId}',
  'GET /v1/on-demand', 'GET /v1/on-demand/{mediaId}', 'PATCH /v1/on-demand/{mediaId}', 'DELETE /v1/on-demand/{mediaId}',
  'PATCH /v1/on-demand/{mediaId}/update-mp4Support', 'GET /v1/on-demand/{mediaId}/media-clips',
  'POST /v1/on-demand/{mediaId}/playback-ids', 'GET /v1/on-demand/{mediaId}/playback-ids', 'DELETE /v1/on-demand/{mediaId}/playback-ids',
  'GET /v1/on-demand/{mediaId}/playback-ids/{playbackId}', 'PATCH /v1/on-demand/{mediaId}/playback-ids/{playbackId}/domains',
  'PATCH /v1/on-demand/{mediaId}/playback-ids/{playbackId}/user-agents',
];
