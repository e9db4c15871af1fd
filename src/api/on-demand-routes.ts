/**
 * /v1/on-demand: the on-demand media onair makes (recordings of live sessions, clips) and their playback ids
 * (shared/reference/fastpix-ondemand-openapi.yaml). Operations of FastPix's on-demand API that onair does not do
 * (uploads, AI features, DRM, subtitles and tracks, source access) answer 501 in the FastPix error shape.
 * `GET /v1/on-demand/{livestreamId}/live-clips` is in live-clips-routes.ts.
 */
import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import { publicHostOf } from '../config.js';
import type { AccessRestrictions, RestrictionRule } from '../core/contracts.js';
import type { MediaData } from '../core/media-model.js';
import { toMediaClipItemWire, toMediaPlaybackIdWire, toMediaWire, type MediaView, type MediaWireContext } from '../core/media-serialize.js';
import { newUuid } from '../core/streams-ids.js';
import type { PlaybackIdData } from '../core/streams-model.js';
import { openRestrictions } from '../core/streams-service.js';
import { LocalSegmentStore } from '../store/local-segment-store.js';
import {
  deleteMediaPlaybackId, findMediaPlaybackId, insertMediaPlaybackId, listMedia, loadMedia, setMediaPlaybackRestrictions,
} from '../store/media-repo.js';
import { deleteMedia, updateMediaFields } from '../store/media-store.js';
import { segmentKeys, type SegmentStore } from '../store/segment-store.js';
import { restrictionsOf, ruleOf } from './access-restrictions-body.js';
import { notifyMedia, type ApiApp, type ApiDeps } from './api-deps.js';
import { ApiError } from './api-error.js';
import {
  Media, MediaClipItem, MediaListItem, MediaListQuery, MediaParams, MediaPlaybackId, MediaPlaybackIdBody, MediaPlaybackIdDeleteQuery,
  MediaPlaybackIdParams, Mp4SupportBody, PatchMediaBody,
} from './on-demand-schemas.js';
import { pageOf, paginationOf } from './pagination.js';
import { DomainRestrictionsBody, RestrictionRule as RestrictionRuleSchema, Type, UserAgentRestrictionsBody, errorResponses, ok, okReply } from './schemas.js';

const tagsVideos = ['Manage videos'];
const tagsPlayback = ['Playback'];

/** 404 of an unknown or deleted media (same wording pattern as the live API's `stream not found`). */
export const mediaNotFound = (): ApiError =>
  new ApiError(404, 'media not found', "The requested resource (eg: mediaId) doesn't exist in the workspace");
export const mediaPlaybackNotFound = (): ApiError =>
  new ApiError(404, 'media/playbackId not found', "The requested resource (eg: mediaId or playbackId) doesn't exist in the workspace");
/** An operation of FastPix's on-demand API that onair does not do. */
export const notSupported = (what: string): ApiError =>
  new ApiError(501, 'not supported', `onair does not ${what}. Its on-demand media are the recordings of live streams and clips cut from them.`);

/** `http://host:port` of the playback listener (thumbnail URLs). */
export function playbackBaseUrlOf(deps: ApiDeps): string {
  return `http://${publicHostOf(deps.config)}:${deps.config.playbackPort}`;
}

/** The segment store the API deletes through: the server's, else local disk under <data>/media. */
export function segmentStoreOf(deps: ApiDeps): SegmentStore {
  return deps.segments ?? new LocalSegmentStore(join(deps.config.dataDir, 'media'));
}

type MediaWire = Static<typeof Media>;
type MediaListWire = Static<typeof MediaListItem>;
type MediaPlaybackIdWire = Static<typeof MediaPlaybackId>;
type MediaClipWire = Static<typeof MediaClipItem>;

export function registerOnDemandRoutes(app: ApiApp, deps: ApiDeps): void {
  const { store } = deps;
  const ctx = (): MediaWireContext => ({ workspaceId: store.workspace.id, playbackBaseUrl: playbackBaseUrlOf(deps) });
  const wire = <V extends MediaView>(m: MediaData, view: V) => toMediaWire(m, view, ctx()) as V extends 'list' ? MediaListWire : MediaWire;
  const pidWire = (p: PlaybackIdData) => toMediaPlaybackIdWire(p) as MediaPlaybackIdWire;
  const segments = segmentStoreOf(deps);
  const mustLoad = async (mediaId: string): Promise<MediaData> => {
    const m = await loadMedia(store.db, mediaId);
    if (!m) throw mediaNotFound();
    return m;
  };
  const routesChanged = (log: Parameters<typeof notifyMedia>[0]) =>
    notifyMedia(log, 'playbackIdsChanged', () => deps.liveControl().playbackIdsChanged());

  app.get('/v1/on-demand', {
    config: { permission: 'read' },
    schema: {
      tags: tagsVideos, summary: 'Get list of all media', operationId: 'list-media', querystring: MediaListQuery,
      response: { 200: ok(Type.Array(MediaListItem), true), ...errorResponses(401, 403, 422) },
    },
  }, async (req) => {
    const page = pageOf(req.query);
    const { items, total } = await listMedia(store.db, { ...page, order: req.query.orderBy ?? 'desc' });
    return okReply(items.map((m) => wire(m, 'list')), paginationOf(total, page));
  });

  app.get('/v1/on-demand/:mediaId', {
    config: { permission: 'read' },
    schema: { tags: tagsVideos, summary: 'Get a media by ID', operationId: 'get-media', params: MediaParams, response: { 200: ok(Media), ...errorResponses(401, 403, 404) } },
  }, async (req) => okReply(wire(await mustLoad(req.params.mediaId), 'get')));

  app.patch('/v1/on-demand/:mediaId', {
    schema: { tags: tagsVideos, summary: 'Update a media by ID', operationId: 'updated-media', params: MediaParams, body: PatchMediaBody, response: { 200: ok(Media), ...errorResponses(401, 403, 404, 422) } },
  }, async (req) => {
    const b = req.body;
    const patch: { metadata?: Record<string, string>; title?: string; creatorId?: string } = {};
    // metadata replaces the old map, as on live streams
    if (b.metadata !== undefined) patch.metadata = { ...b.metadata };
    if (b.title !== undefined) patch.title = b.title;
    if (b.creatorId !== undefined) patch.creatorId = b.creatorId;
    const m = await updateMediaFields(store, req.params.mediaId, patch);
    if (!m) throw mediaNotFound();
    return okReply(wire(m, 'get'));
  });

  app.delete('/v1/on-demand/:mediaId', {
    schema: { tags: tagsVideos, summary: 'Delete a media by ID', operationId: 'delete-media', params: MediaParams, response: { 200: ok(), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { mediaId } = req.params;
    const m = await deleteMedia(store, mediaId);
    if (!m) throw mediaNotFound();
    // The media plane first stops recording into it and ends its playback, then its bytes go.
    await notifyMedia(req.log, 'mediaDeleted', async () => { await deps.liveControl().mediaDeleted?.(mediaId); });
    await routesChanged(req.log);
    try {
      await segments.deletePrefix(segmentKeys.mediaPrefix(mediaId));
    } catch (err) {
      req.log.error({ err, mediaId }, 'deleting the stored segments of a deleted media failed (they stay on disk)');
    }
    return okReply();
  });

  app.patch('/v1/on-demand/:mediaId/update-mp4Support', {
    schema: { tags: tagsVideos, summary: 'Update the mp4Support of a media by ID', operationId: 'updated-mp4Support', params: MediaParams, body: Mp4SupportBody, response: { 200: ok(Media), ...errorResponses(401, 403, 404, 422) } },
  }, async (req) => {
    const m = await updateMediaFields(store, req.params.mediaId, { mp4Support: req.body.mp4Support });
    if (!m) throw mediaNotFound();
    await routesChanged(req.log); // the playback listener serves the MP4 / M4A by the route's mp4Support
    return okReply(wire(m, 'get'));
  });

  app.get('/v1/on-demand/:mediaId/media-clips', {
    config: { permission: 'read' },
    schema: {
      tags: tagsVideos, summary: 'Get all clips of a media', operationId: 'get-media-clips', params: MediaParams, querystring: MediaListQuery,
      response: { 200: ok(Type.Array(MediaClipItem), true), ...errorResponses(401, 403, 404, 422) },
    },
  }, async (req) => {
    await mustLoad(req.params.mediaId);
    const page = pageOf(req.query);
    const { items, total } = await listMedia(store.db, { ...page, order: req.query.orderBy ?? 'desc' }, { sourceMediaId: req.params.mediaId, kind: 'clip' });
    return okReply(items.map((m) => toMediaClipItemWire(m, ctx()) as MediaClipWire), paginationOf(total, page));
  });

  // ---- playback ids ----

  app.post('/v1/on-demand/:mediaId/playback-ids', {
    schema: { tags: tagsPlayback, summary: 'Create a playback ID', operationId: 'create-media-playback-id', params: MediaParams, body: MediaPlaybackIdBody, response: { 201: ok(MediaPlaybackId), ...errorResponses(400, 401, 403, 404, 422) } },
  }, async (req, reply) => {
    const b = req.body;
    if (b.accessPolicy === 'drm' || b.drmConfigurationId !== undefined) {
      throw new ApiError(400, 'drm not supported', 'onair does not do DRM; create a public playback id, or a private one (signed JWT playback).');
    }
    const p = await store.transact(async (trx) => {
      if (!(await loadMedia(trx, req.params.mediaId))) return undefined;
      const pid: PlaybackIdData = { id: newUuid(), accessPolicy: b.accessPolicy as 'public' | 'private' };
      const r = restrictionsOf(b.accessRestrictions);
      if (r) pid.accessRestrictions = r;
      await insertMediaPlaybackId(trx, req.params.mediaId, pid);
      return pid;
    });
    if (!p) throw mediaNotFound();
    await routesChanged(req.log);
    return reply.code(201).send(okReply(pidWire(p)));
  });

  app.get('/v1/on-demand/:mediaId/playback-ids', {
    config: { permission: 'read' },
    schema: { tags: tagsPlayback, summary: 'Get all playback IDs details for a media', operationId: 'list-playback-ids', params: MediaParams, response: { 200: ok(Type.Array(MediaPlaybackId)), ...errorResponses(401, 403, 404) } },
  }, async (req) => okReply((await mustLoad(req.params.mediaId)).playbackIds.map(pidWire)));

  app.delete('/v1/on-demand/:mediaId/playback-ids', {
    schema: { tags: tagsPlayback, summary: 'Delete a playback ID', operationId: 'delete-media-playback-id', params: MediaParams, querystring: MediaPlaybackIdDeleteQuery, response: { 200: ok(), ...errorResponses(401, 403, 404, 422) } },
  }, async (req) => {
    const { mediaId } = req.params;
    if (!(await deleteMediaPlaybackId(store.db, mediaId, req.query.playbackId))) {
      throw (await loadMedia(store.db, mediaId)) ? mediaPlaybackNotFound() : mediaNotFound();
    }
    await routesChanged(req.log);
    return okReply();
  });

  app.get('/v1/on-demand/:mediaId/playback-ids/:playbackId', {
    config: { permission: 'read' },
    schema: { tags: tagsPlayback, summary: 'Get a playback ID', operationId: 'get-playback-id', params: MediaPlaybackIdParams, response: { 200: ok(MediaPlaybackId), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { mediaId, playbackId } = req.params;
    const p = await findMediaPlaybackId(store.db, mediaId, playbackId);
    if (!p) throw (await loadMedia(store.db, mediaId)) ? mediaPlaybackNotFound() : mediaNotFound();
    return okReply(pidWire(p));
  });

  const restrictionRoute = (suffix: string, kind: keyof AccessRestrictions, body: typeof DomainRestrictionsBody | typeof UserAgentRestrictionsBody, summary: string, operationId: string) => {
    app.patch(`/v1/on-demand/:mediaId/playback-ids/:playbackId/${suffix}`, {
      schema: { tags: tagsPlayback, summary, operationId, params: MediaPlaybackIdParams, body, response: { 200: ok(RestrictionRuleSchema), ...errorResponses(401, 403, 404, 422) } },
    }, async (req) => {
      const { mediaId, playbackId } = req.params;
      const rule: RestrictionRule = ruleOf(req.body, kind === 'domains');
      const done = await store.transact(async (trx) => {
        const p = await findMediaPlaybackId(trx, mediaId, playbackId);
        if (!p) return false;
        await setMediaPlaybackRestrictions(trx, mediaId, playbackId, { ...(p.accessRestrictions ?? openRestrictions()), [kind]: rule });
        return true;
      });
      if (!done) throw (await loadMedia(store.db, mediaId)) ? mediaPlaybackNotFound() : mediaNotFound();
      await routesChanged(req.log);
      return okReply(rule);
    });
  };
  restrictionRoute('domains', 'domains', DomainRestrictionsBody, 'Update domain restrictions for a playback ID', 'update-domain-restrictions');
  restrictionRoute('user-agents', 'userAgents', UserAgentRestrictionsBody, 'Update user-agent restrictions for a playback ID', 'update-user-agent-restrictions');

  registerUnsupported(app);
}

/**
 * FastPix on-demand operations onair does not do: each answers 501 with what it is, after auth (any valid token).
 * Anything else under /v1/on-demand/ answers 501 too (not a bare route-not-found), hidden from the OpenAPI document.
 */
function registerUnsupported(app: ApiApp): void {
  const ops: [method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, operationId: string, what: string][] = [
    ['POST', '/v1/on-demand', 'create-media', 'create media from URLs (pull ingest)'],
    ['POST', '/v1/on-demand/upload', 'direct-upload-video-media', 'take direct uploads'],
    ['GET', '/v1/on-demand/uploads', 'list-uploads', 'take direct uploads'],
    ['PUT', '/v1/on-demand/upload/:uploadId/cancel', 'cancel-upload', 'take direct uploads'],
    ['GET', '/v1/on-demand/:mediaId/input-info', 'retrieveMediaInputInfo', 'keep media inputs (a recording has no input file)'],
    ['PATCH', '/v1/on-demand/:mediaId/source-access', 'updated-source-access', 'keep source files for download (sourceAccess stays false)'],
    ['POST', '/v1/on-demand/:mediaId/tracks', 'add-media-track', 'add audio or subtitle tracks to media'],
    ['PATCH', '/v1/on-demand/:mediaId/tracks/:trackId', 'update-media-track', 'edit media tracks'],
    ['DELETE', '/v1/on-demand/:mediaId/tracks/:trackId', 'delete-media-track', 'edit media tracks'],
    ['POST', '/v1/on-demand/:mediaId/tracks/:trackId/generate-subtitles', 'generate-subtitle-track', 'generate subtitles'],
    ['PATCH', '/v1/on-demand/:mediaId/summary', 'update-media-summary', 'run AI features (summary)'],
    ['PATCH', '/v1/on-demand/:mediaId/chapters', 'update-media-chapters', 'run AI features (chapters)'],
    ['PATCH', '/v1/on-demand/:mediaId/named-entities', 'update-media-named-entities', 'run AI features (named entities)'],
    ['PATCH', '/v1/on-demand/:mediaId/moderation', 'update-media-moderation', 'run AI features (moderation)'],
    ['GET', '/v1/on-demand/drm-configurations', 'get-drm-configuration', 'do DRM'],
    ['GET', '/v1/on-demand/drm-configurations/:drmConfigurationId', 'get-drm-configuration-by-id', 'do DRM'],
  ];
  for (const [method, url, operationId, what] of ops) {
    app.route({
      method, url, config: { permission: 'read' },
      schema: { tags: ['Not supported by onair'], summary: `Not supported: onair does not ${what}`, operationId, response: errorResponses(401, 501) },
      handler: async () => { throw notSupported(what); },
    });
  }
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/v1/on-demand/*', config: { permission: 'read' },
    schema: { hide: true },
    handler: async (req) => {
      throw new ApiError(501, 'not supported', `${req.method} ${req.url.split('?')[0]} is not an on-demand operation onair does. onair serves recordings of live streams and their clips: list, get, update, delete, playback ids, mp4Support, media clips and live clips.`);
    },
  });
}
