/**
 * TypeBox schemas of the on-demand part of the /v1 contract (shared/reference/fastpix-ondemand-openapi.yaml:
 * recordings, clips and their playback ids). Field names and enums as there; what onair leaves out of an answer
 * is Optional here, and every field an answer carries is declared (response-check.ts closes the objects).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AccessRestrictions, AccessRestrictionsBody, Metadata } from './schemas.js';

const literals = <T extends string>(values: readonly T[], opts: Record<string, unknown> = {}) =>
  Type.Union(values.map((v) => Type.Literal(v)), opts);
const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()]);

// ---- enums ----

/** AccessPolicy of the on-demand API: `drm` is in the enum, onair refuses it (400). */
export const MediaAccessPolicy = literals(['public', 'private', 'drm'] as const, { description: 'Access policy for media content' });
export const MediaStatusWire = literals(['Created', 'Downloading', 'Downloaded', 'Validating', 'In Queue', 'Processing', 'Ready', 'Failed'] as const, {
  description: 'Created while a recording starts, Processing while its session is live, Ready once the VOD is complete, Failed (e.g. a full disk).',
});
export const Mp4SupportWire = literals(['none', 'capped_4k', 'audioOnly', 'audioOnly,capped_4k'] as const, {
  description: 'capped_4k: /{playbackId}/capped-4k.mp4 (remuxed, no re-encode); audioOnly: /{playbackId}/audio.m4a.',
});
const MediaMaxResolution = literals(['2160p', '1440p', '1080p', '720p', '480p'] as const, { default: '1080p' });
const SourceResolution = literals(['2160p', '2160', '1440p', '1440', '1080p', '1080', '720p', '720', '480p', '480', '360p', '360'] as const, {
  description: 'Resolution of the recorded source.',
});
const SortOrder = literals(['asc', 'desc'] as const, { default: 'desc' });

// ---- requests ----

export const MediaParams = Type.Object({ mediaId: Type.String({ description: 'The media id (uuid).' }) });
export type MediaParams = Static<typeof MediaParams>;
export const MediaPlaybackIdParams = Type.Object({ mediaId: Type.String(), playbackId: Type.String() });
export type MediaPlaybackIdParams = Static<typeof MediaPlaybackIdParams>;

export const MediaListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10, description: 'Items per page' })),
  offset: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: '1-based page number' })),
  orderBy: Type.Optional(SortOrder),
});
export type MediaListQuery = Static<typeof MediaListQuery>;

export const PatchMediaBody = Type.Object({
  metadata: Type.Optional(Metadata),
  title: Type.Optional(Type.String({ maxLength: 255, description: 'Title of the media file.' })),
  creatorId: Type.Optional(Type.String({ maxLength: 255, description: 'The unique identifier of the user who created this media.' })),
});
export type PatchMediaBody = Static<typeof PatchMediaBody>;

export const Mp4SupportBody = Type.Object({ mp4Support: Mp4SupportWire });
export type Mp4SupportBody = Static<typeof Mp4SupportBody>;

export const MediaPlaybackIdBody = Type.Object({
  accessPolicy: MediaAccessPolicy,
  accessRestrictions: Type.Optional(AccessRestrictionsBody),
  drmConfigurationId: Type.Optional(Type.String({ description: 'DRM configuration id (onair does not do DRM)' })),
  resolution: Type.Optional(literals(['480p', '720p', '1080p', '1440p', '2160p'] as const, { description: 'Accepted; onair serves every rendition of the media.' })),
});
export type MediaPlaybackIdBody = Static<typeof MediaPlaybackIdBody>;

export const MediaPlaybackIdDeleteQuery = Type.Object({ playbackId: Type.String({ minLength: 1 }) });
export type MediaPlaybackIdDeleteQuery = Static<typeof MediaPlaybackIdDeleteQuery>;

// ---- responses ----

export const MediaPlaybackId = Type.Object({
  id: Type.String({ format: 'uuid' }),
  accessPolicy: MediaAccessPolicy,
  accessRestrictions: AccessRestrictions,
}, { title: 'PlaybackId' });

const VideoTrack = Type.Object({
  id: Type.String(), type: Type.Literal('video'), width: Type.Number(), height: Type.Number(),
  frameRate: Type.String({ description: 'e.g. 30/1; -1 when indeterminable' }), status: Type.String({ description: "'available'" }),
}, { title: 'VideoTrack' });
const VideoTrackForGetAll = Type.Object({
  id: Type.String(), type: Type.Literal('video'), width: Type.Number(), height: Type.Number(), status: Type.String(),
}, { title: 'VideoTrackForGetAll' });
const AudioTrack = Type.Object({
  id: Type.String(), type: Type.Literal('audio'), status: Type.String(),
  languageName: Type.Optional(Type.String()), languageCode: Type.Optional(Type.String()),
}, { title: 'AudioTrack' });
const TracksSubtitles = Type.Object({ status: Type.String(), url: nullable(Type.String()) }, { title: 'TracksSubtitles' });

const mediaFields = (videoTrack: typeof VideoTrack | typeof VideoTrackForGetAll) => ({
  thumbnail: Type.Optional(nullable(Type.String({ description: 'http://<playback host>/<playbackId>/thumbnail.png, once Ready' }))),
  id: Type.String({ format: 'uuid' }),
  sourceMediaId: Type.Optional(Type.String({ format: 'uuid', description: 'Clips: the recording the clip was cut from.' })),
  workspaceId: Type.String({ format: 'uuid' }),
  streamId: Type.Optional(Type.String({ description: 'The live stream the media was recorded or clipped from.' })),
  metadata: Metadata,
  mediaQuality: literals(['standard', 'pro', 'premium'] as const),
  creatorId: Type.Optional(Type.String({ maxLength: 255 })),
  title: Type.Optional(Type.String({ maxLength: 255 })),
  maxResolution: MediaMaxResolution,
  sourceResolution: Type.Optional(SourceResolution),
  status: MediaStatusWire,
  mp4Support: Type.Optional(Mp4SupportWire),
  sourceAccess: Type.Boolean({ description: 'Always false: onair keeps no source file apart from the recording.' }),
  playbackIds: Type.Array(MediaPlaybackId),
  tracks: Type.Array(Type.Union([videoTrack, AudioTrack])),
  generatedSubtitles: Type.Array(TracksSubtitles),
  isAudioOnly: Type.Boolean(),
  subtitleAvailable: Type.Boolean(),
  duration: Type.String({ pattern: '^\\d{2,}:\\d{2}:\\d{2}$', description: 'HH:MM:SS' }),
  aspectRatio: Type.Optional(Type.String({ description: 'e.g. 16:9' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** GET/PATCH /on-demand/{mediaId}, update-mp4Support (GetMediaResponse, Update-Media, Media). */
export const Media = Type.Object(mediaFields(VideoTrack), { title: 'Media' });
/** GET /on-demand items (GetAllMediaResponse). */
export const MediaListItem = Type.Object(mediaFields(VideoTrackForGetAll), { title: 'GetAllMediaResponse' });

/** GET /on-demand/{livestreamId}/live-clips items (Live-Media-Clips). */
export const LiveMediaClip = Type.Object({
  thumbnail: Type.Optional(nullable(Type.String())),
  id: Type.String({ format: 'uuid' }),
  workspaceId: Type.String({ format: 'uuid' }),
  streamId: Type.String({ description: 'The live stream the clip was cut from.' }),
  creatorId: Type.Optional(Type.String({ maxLength: 255 })),
  title: Type.Optional(Type.String({ maxLength: 255 })),
  maxResolution: MediaMaxResolution,
  sourceResolution: Type.Optional(SourceResolution),
  status: MediaStatusWire,
  sourceAccess: Type.Boolean(),
  playbackIds: Type.Array(MediaPlaybackId),
  tracks: Type.Array(Type.Union([VideoTrack, AudioTrack])),
  mp4Support: Type.Optional(Mp4SupportWire),
  generatedSubtitles: Type.Array(TracksSubtitles),
  isAudioOnly: Type.Boolean(),
  subtitleAvailable: Type.Boolean(),
  duration: Type.String({ description: 'HH:MM:SS; at most 12 hours per media' }),
  aspectRatio: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
}, { title: 'Live-Media-Clips' });

/** GET /on-demand/{mediaId}/media-clips items (MediaClipResponse). */
export const MediaClipItem = Type.Object({
  id: Type.String({ format: 'uuid' }),
  duration: Type.String(),
  status: MediaStatusWire,
  thumbnail: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  playbackIds: Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), accessPolicy: Type.String() })),
}, { title: 'MediaClip' });
