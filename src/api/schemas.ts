/**
 * TypeBox schemas of the /v1 contract (CONTRACT.md section 5, OAS components). The same objects validate
 * requests, type the handlers, check the responses and produce /v1/openapi.json.
 *
 * How a route declares its typed schema (the pattern every *-routes.ts follows):
 * 1. take `app: ApiApp` (api-deps.ts: Fastify with the TypeBox type provider), never a plain FastifyInstance;
 * 2. put `params`, `querystring`, `body` and `response: { 200: ok(Item), ...errorResponses(401, 404) }` in `schema`;
 * 3. read `req.params` / `req.query` / `req.body` without casts: their types are the schemas' `Static` types;
 * 4. return (or `reply.code(201).send(...)`) exactly the response schema's shape: the compiler checks it, and at run
 *    time response-check.ts refuses extra keys or wrong types (500 outside production), so describe every field.
 */
import { Type, type Static, type TLiteral, type TObject, type TSchema } from '@sinclair/typebox';

export { Type };

const literals = <T extends string>(values: readonly T[], opts: Record<string, unknown> = {}) =>
  Type.Union(values.map((v) => Type.Literal(v)), opts);

export const AccessPolicy = literals(['public', 'private'] as const, { description: 'Basic access policy for media content', default: 'public' });
export const MaxResolution = literals(['1080p', '720p', '480p'] as const, { default: '1080p' });

/** "≤10 entries, each value ≤255 chars" */
export const Metadata = Type.Unsafe<Record<string, string>>(Type.Object({}, {
  additionalProperties: Type.String({ maxLength: 255 }),
  maxProperties: 10,
  description: 'Custom key-value pairs: up to 10 entries, values up to 255 characters.',
}));

export const ReconnectWindow = Type.Integer({ minimum: 60, maximum: 1800, default: 60, description: 'Seconds onair waits for the encoder to reconnect.' });

/** "maxDuration: 0 (the default, unbounded, as FastPix answers) or 60..28800 seconds at create" */
export const MaxDuration = Type.Union([Type.Literal(0), Type.Integer({ minimum: 60, maximum: 28800 })], { default: 0, description: '0 = unbounded, else 60..28800 seconds' });

// ---- playback id access restrictions (FastPix node SDK: PlaybackIdRequest.accessRestrictions, PATCH .../domains, .../user-agents) ----

export const PolicyAction = literals(['allow', 'deny'] as const, { description: 'Policy action type' });
const restrictionRule = (what: string) => Type.Object({
  defaultPolicy: PolicyAction,
  allow: Type.Array(Type.String(), { description: `${what} that are explicitly allowed access.` }),
  deny: Type.Array(Type.String(), { description: `${what} that are explicitly blocked.` }),
});
export const AccessRestrictions = Type.Object({
  domains: restrictionRule('Domains'),
  userAgents: restrictionRule('User agents'),
}, { description: 'Controls access based on domains and user agents: a default policy plus explicit allow and deny lists.' });
/** `example.com`, `*.example.com` or an IPv4 address; matched against the Origin/Referer host (ports ignored). */
const DomainEntry = Type.String({ minLength: 1, maxLength: 253, pattern: '^(\\*\\.)?[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', description: 'host name or *.wildcard' });
/** matched as a case-insensitive substring of the User-Agent header */
const UserAgentEntry = Type.String({ minLength: 1, maxLength: 512, description: 'User-Agent substring (case-insensitive)' });
const ruleBody = <E extends TSchema>(entry: E, what: string) => Type.Object({
  defaultPolicy: Type.Optional(literals(['allow', 'deny'] as const, { default: 'allow', description: `Fallback for ${what} not listed in allow or deny.` })),
  allow: Type.Optional(Type.Array(entry, { maxItems: 100, description: `${what} explicitly allowed.` })),
  deny: Type.Optional(Type.Array(entry, { maxItems: 100, description: `${what} explicitly denied (deny wins over allow).` })),
});
export const DomainRestrictionsBody = ruleBody(DomainEntry, 'Domains');
export const UserAgentRestrictionsBody = ruleBody(UserAgentEntry, 'User agents');
export type RestrictionRuleBody = Static<typeof DomainRestrictionsBody>;
export const AccessRestrictionsBody = Type.Object({
  domains: Type.Optional(DomainRestrictionsBody),
  userAgents: Type.Optional(UserAgentRestrictionsBody),
});
export type AccessRestrictionsBody = Static<typeof AccessRestrictionsBody>;
export const RestrictionRule = restrictionRule('Entries');

export const CreateLiveStreamBody = Type.Object({
  // newest SDK (PlaybackSettings model): accessRestrictions of the stream's first playback id
  playbackSettings: Type.Object({ accessPolicy: Type.Optional(AccessPolicy), accessRestrictions: Type.Optional(AccessRestrictionsBody) }),
  inputMediaSettings: Type.Object({
    maxResolution: Type.Optional(MaxResolution),
    reconnectWindow: Type.Optional(ReconnectWindow),
    mediaPolicy: Type.Optional(AccessPolicy),
    metadata: Type.Optional(Metadata),
    enableDvrMode: Type.Optional(Type.Boolean({ default: false })),
    enableRecording: Type.Optional(Type.Boolean({ default: true })),
    lowLatency: Type.Optional(Type.Boolean({ default: false })),
    closedCaptions: Type.Optional(Type.Boolean({ default: false })),
    maxDuration: Type.Optional(MaxDuration),
  }),
});
export type CreateLiveStreamBody = Static<typeof CreateLiveStreamBody>;

export const PatchLiveStreamBody = Type.Object({
  metadata: Type.Optional(Metadata),
  reconnectWindow: Type.Optional(ReconnectWindow),
});
export type PatchLiveStreamBody = Static<typeof PatchLiveStreamBody>;


export const PlaybackIdBody = Type.Object({ accessPolicy: Type.Optional(AccessPolicy), accessRestrictions: Type.Optional(AccessRestrictionsBody) });
export type PlaybackIdBody = Static<typeof PlaybackIdBody>;

export const SimulcastBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^rtmps?://', description: 'RTMP(S) host and application, e.g. rtmp://hyd01.contribute.live-video.net/app/' }),
  streamKey: Type.String({ minLength: 1, maxLength: 1024 }),
  metadata: Type.Optional(Metadata),
});
export type SimulcastBody = Static<typeof SimulcastBody>;

export const SimulcastUpdateBody = Type.Object({
  isEnabled: Type.Optional(Type.Boolean({ default: true })),
  metadata: Type.Optional(Metadata),
});
export type SimulcastUpdateBody = Static<typeof SimulcastUpdateBody>;

const Limit = Type.Integer({ minimum: 1, maximum: 50, default: 10, description: 'Items per page' });
const Offset = Type.Integer({ minimum: 1, default: 1, description: '1-based page number' });

export const StreamListQuery = Type.Object({
  limit: Type.Optional(Limit),
  offset: Type.Optional(Offset),
  orderBy: Type.Optional(literals(['asc', 'desc'] as const, { default: 'desc' })),
});
export type StreamListQuery = Static<typeof StreamListQuery>;

export const SigningKeyListQuery = Type.Object({ limit: Type.Optional(Limit), offset: Type.Optional(Offset) });
export type SigningKeyListQuery = Static<typeof SigningKeyListQuery>;

export const PlaybackIdDeleteQuery = Type.Object({ playbackId: Type.String({ minLength: 1 }) });

export const StreamParams = Type.Object({ streamId: Type.String() });
export const PlaybackIdParams = Type.Object({ streamId: Type.String(), playbackId: Type.String() });
export const SimulcastParams = Type.Object({ streamId: Type.String(), simulcastId: Type.String() });
export const SigningKeyParams = Type.Object({ signingKeyId: Type.String() });

// ---- responses (checked strictly before sending, see response-check.ts) ----

export const PlaybackId = Type.Object({ id: Type.String({ format: 'uuid' }), accessPolicy: AccessPolicy, accessRestrictions: Type.Optional(AccessRestrictions) });
export const Simulcast = Type.Object({
  simulcastId: Type.String(), url: Type.String(), streamKey: Type.String(), isEnabled: Type.Boolean(), metadata: Type.Optional(Metadata),
});
export const LiveStream = Type.Object({
  streamId: Type.String(), streamKey: Type.String(), srtSecret: Type.String(), trial: Type.Boolean(),
  status: literals(['idle', 'preparing', 'active', 'disabled'] as const), maxResolution: MaxResolution,
  maxDuration: Type.Integer(), createdAt: Type.String({ format: 'date-time' }), reconnectWindow: Type.Integer(),
  enableRecording: Type.Boolean(), enableDvrMode: Type.Boolean(), mediaPolicy: AccessPolicy, metadata: Type.Optional(Metadata),
  lowLatency: Type.Boolean(), closedCaptions: Type.Boolean(), playbackIds: Type.Array(PlaybackId),
  simulcastResponses: Type.Optional(Type.Array(Simulcast)), mediaIds: Type.Optional(Type.Array(Type.String())),
  srtPlaybackResponse: Type.Object({ srtPlaybackStreamId: Type.String(), srtPlaybackSecret: Type.String() }),
});

// ---- live clips (OAS `Live-Media-Clips`); onair does not record yet, so lists are empty, but the item is documented ----

const ClipAccessPolicy = literals(['public', 'private', 'drm'] as const, { description: 'Access policy for media content' });
export const ClipPlaybackId = Type.Object({
  id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]), accessPolicy: ClipAccessPolicy, accessRestrictions: Type.Optional(AccessRestrictions),
});
const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()]);
const TrackBase = { id: Type.String({ format: 'uuid' }), status: Type.String({ description: "e.g. 'available'" }) };
const VideoTrack = Type.Object({ ...TrackBase, type: Type.Literal('video'), width: Type.Number(), height: Type.Number(), frameRate: Type.String({ description: 'e.g. 30/1; -1 when indeterminable' }) });
const AudioTrack = Type.Object({ ...TrackBase, type: Type.Literal('audio'), languageName: Type.Optional(Type.String()), languageCode: Type.Optional(Type.String()) });
const SubtitleTrack = Type.Object({ ...TrackBase, type: Type.Literal('subtitle'), languageName: Type.Optional(Type.String()), languageCode: Type.Optional(Type.String()) });
export const LiveMediaClip = Type.Object({
  thumbnail: Type.Optional(nullable(Type.String())),
  id: Type.String({ format: 'uuid' }),
  workspaceId: Type.String({ format: 'uuid' }),
  streamId: Type.String({ description: 'The live stream the clip was cut from.' }),
  creatorId: Type.Optional(Type.String({ maxLength: 255 })),
  title: Type.Optional(nullable(Type.String({ maxLength: 255 }))),
  maxResolution: literals(['2160p', '1440p', '1080p', '720p', '480p'] as const, { default: '1080p' }),
  sourceResolution: literals(['2160p', '2160', '1440p', '1440', '1080p', '1080', '720p', '720', '480p', '480'] as const, { default: '1080p' }),
  status: literals(['Created', 'Downloading', 'Downloaded', 'Validating', 'In Queue', 'Processing', 'Ready', 'Failed'] as const),
  sourceAccess: Type.Boolean(),
  playbackIds: Type.Array(ClipPlaybackId),
  tracks: Type.Array(Type.Union([VideoTrack, AudioTrack, SubtitleTrack])),
  mp4Support: Type.Optional(literals(['none', 'capped_4k', 'audioOnly', 'audioOnly,capped_4k'] as const)),
  generatedSubtitles: Type.Optional(nullable(Type.Array(Type.Object({ status: Type.String(), url: nullable(Type.String({ format: 'uri' })) })))),
  isAudioOnly: Type.Optional(nullable(Type.Boolean())),
  subtitleAvailable: Type.Optional(nullable(Type.Boolean())),
  duration: Type.String({ description: 'HH:MM:SS; at most 12 hours per media' }),
  aspectRatio: Type.Optional(nullable(Type.String())),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
}, { title: 'Live-Media-Clips' });
export const LiveClipParams = Type.Object({ livestreamId: Type.String() });

export const Pagination = Type.Object({ totalRecords: Type.Integer(), currentOffset: Type.Integer(), offsetCount: Type.Integer() });

export const ErrorBody = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({
    code: Type.Integer(), message: Type.String(), description: Type.Optional(Type.String()),
    fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  }),
}, { description: 'FastPix error envelope' });

/** `{ success: true }`, `{ success: true, data }` or `{ success: true, data, pagination }` (typed per form). */
export function ok(): TObject<{ success: TLiteral<true> }>;
export function ok<D extends TSchema>(data: D): TObject<{ success: TLiteral<true>; data: D }>;
export function ok<D extends TSchema>(data: D, pagination: true): TObject<{ success: TLiteral<true>; data: D; pagination: typeof Pagination }>;
export function ok(data?: TSchema, pagination = false): TObject {
  return Type.Object({
    success: Type.Literal(true),
    ...(data ? { data } : {}),
    ...(pagination ? { pagination: Pagination } : {}),
  });
}

/** Answer bodies matching `ok(...)`: `success` stays the literal `true` the response types ask for. */
export function okReply(): { success: true };
export function okReply<T>(data: T): { success: true; data: T };
export function okReply<T, P>(data: T, pagination: P): { success: true; data: T; pagination: P };
export function okReply(...args: unknown[]): Record<string, unknown> {
  if (args.length === 0) return { success: true };
  return args.length === 1 ? { success: true, data: args[0] } : { success: true, data: args[0], pagination: args[1] };
}

export const SigningKeyCreated = Type.Object({ id: Type.String({ format: 'uuid' }), privateKey: Type.String({ description: 'base64 of a PKCS#8 PEM, returned once' }), createdAt: Type.String({ format: 'date-time' }) });
export const SigningKeyItem = Type.Object({ id: Type.String({ format: 'uuid' }), createdAt: Type.String({ format: 'date-time' }) });
export const SigningKeyPublic = Type.Object({ workspaceId: Type.String({ format: 'uuid' }), signingKeyId: Type.String({ format: 'uuid' }), publicKey: Type.String() });

// ---- onair extension: webhook endpoints ----

export const WebhookCreateBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://' }),
  secret: Type.Optional(Type.String({ minLength: 16, maxLength: 512, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'base64 signing secret; generated when absent' })),
});
export type WebhookCreateBody = Static<typeof WebhookCreateBody>;
export const WebhookUpdateBody = Type.Object({
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://' })),
  isEnabled: Type.Optional(Type.Boolean()),
});
export type WebhookUpdateBody = Static<typeof WebhookUpdateBody>;
export const WebhookParams = Type.Object({ webhookId: Type.String() });
export const WebhookEndpoint = Type.Object({
  id: Type.String({ format: 'uuid' }), url: Type.String(), isEnabled: Type.Boolean(), createdAt: Type.String({ format: 'date-time' }),
  secret: Type.Optional(Type.String({ description: 'returned on create only' })),
});

/** Standard error responses for the OpenAPI document. */
export const errorResponses = (...codes: number[]): Record<number, typeof ErrorBody> =>
  Object.fromEntries(codes.map((c) => [c, ErrorBody]));
