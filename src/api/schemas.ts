/**
 * TypeBox schemas of the /v1 contract (CONTRACT.md section 5, OAS components). The same objects validate
 * requests and produce /v1/openapi.json.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export { Type };

const literals = <T extends string>(values: readonly T[], opts: Record<string, unknown> = {}) =>
  Type.Union(values.map((v) => Type.Literal(v)), opts);

export const AccessPolicy = literals(['public', 'private'] as const, { description: 'Basic access policy for media content', default: 'public' });
export const MaxResolution = literals(['1080p', '720p', '480p'] as const, { default: '1080p' });

/** "≤10 entries, each value ≤255 chars" */
export const Metadata = Type.Object({}, {
  additionalProperties: Type.String({ maxLength: 255 }),
  maxProperties: 10,
  description: 'Custom key-value pairs: up to 10 entries, values up to 255 characters.',
});

export const ReconnectWindow = Type.Integer({ minimum: 60, maximum: 1800, default: 60, description: 'Seconds onair waits for the encoder to reconnect.' });

/** "maxDuration: 0 (the default, unbounded, as FastPix answers) or 60..28800 seconds at create" */
export const MaxDuration = Type.Union([Type.Literal(0), Type.Integer({ minimum: 60, maximum: 28800 })], { default: 0, description: '0 = unbounded, else 60..28800 seconds' });

export const CreateLiveStreamBody = Type.Object({
  playbackSettings: Type.Object({ accessPolicy: Type.Optional(AccessPolicy) }),
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

export const PlaybackIdBody = Type.Object({ accessPolicy: Type.Optional(AccessPolicy) });
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

// ---- responses (documentation: the API serializes with JSON.stringify) ----

export const PlaybackId = Type.Object({ id: Type.String({ format: 'uuid' }), accessPolicy: AccessPolicy });
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
export const Pagination = Type.Object({ totalRecords: Type.Integer(), currentOffset: Type.Integer(), offsetCount: Type.Integer() });

export const ErrorBody = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({
    code: Type.Integer(), message: Type.String(), description: Type.Optional(Type.String()),
    fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  }),
}, { description: 'FastPix error envelope' });

export const ok = (data?: TSchema, pagination = false) => Type.Object({
  success: Type.Literal(true),
  ...(data ? { data } : {}),
  ...(pagination ? { pagination: Pagination } : {}),
});

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
export const errorResponses = (...codes: number[]): Record<number, TSchema> =>
  Object.fromEntries(codes.map((c) => [c, ErrorBody]));
