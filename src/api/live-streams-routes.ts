/** /v1/live/streams: create, list, get, update, delete, enable, disable, finish, viewer count (CONTRACT.md section 2). */
import type { Outcome } from '../core/streams-service.js';
import { notifyMedia, type ApiApp, type ApiDeps } from './api-deps.js';
import { refusalError } from './api-error.js';
import { pageOf, paginationOf } from './pagination.js';
import { restrictionsOf } from './access-restrictions-body.js';
import {
  CreateLiveStreamBody, LiveStream, PatchLiveStreamBody, StreamListQuery, StreamParams, Type, errorResponses, ok, okReply,
} from './schemas.js';
import { liveStreamWire } from './wire.js';

const tags = ['Live streams'];

export function unwrap<T>(o: Outcome<T>): T {
  if (!o.ok) throw refusalError(o.refusal);
  return o.value;
}

export function registerLiveStreamRoutes(app: ApiApp, deps: ApiDeps): void {
  const { streams } = deps;

  app.post('/v1/live/streams', {
    schema: { tags, summary: 'Create a new stream', operationId: 'create-new-stream', body: CreateLiveStreamBody, response: { 201: ok(LiveStream), ...errorResponses(401, 403, 422) } },
  }, async (req, reply) => {
    const b = req.body;
    const m = b.inputMediaSettings;
    const accessRestrictions = restrictionsOf(b.playbackSettings.accessRestrictions);
    const s = await streams.create({
      accessPolicy: b.playbackSettings.accessPolicy ?? 'public',
      ...(accessRestrictions ? { accessRestrictions } : {}),
      maxResolution: m.maxResolution ?? '1080p',
      reconnectWindow: m.reconnectWindow ?? 60,
      mediaPolicy: m.mediaPolicy ?? 'public',
      metadata: { ...m.metadata },
      enableDvrMode: m.enableDvrMode ?? false,
      // "enableRecording is accepted at create, defaults to true when omitted, honours an explicit false"
      enableRecording: m.enableRecording ?? true,
      lowLatency: m.lowLatency ?? false,
      closedCaptions: m.closedCaptions ?? false,
      maxDuration: m.maxDuration ?? 0,
    });
    await notifyMedia(req.log, 'streamChanged', () => deps.liveControl().streamChanged(s.streamId));
    return reply.code(201).send(okReply(liveStreamWire(s, 'create')));
  });

  app.get('/v1/live/streams', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get all live streams', operationId: 'get-all-streams', querystring: StreamListQuery, response: { 200: ok(Type.Array(LiveStream), true), ...errorResponses(401, 403, 422) } },
  }, async (req) => {
    const q = req.query;
    const page = pageOf(q);
    const { items, total } = await streams.list({ ...page, order: q.orderBy ?? 'desc' });
    return okReply(items.map((s) => liveStreamWire(s, 'list')), paginationOf(total, page));
  });

  app.get('/v1/live/streams/:streamId', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get stream by ID', operationId: 'get-live-stream-by-id', params: StreamParams, response: { 200: ok(LiveStream), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId } = req.params;
    return okReply(liveStreamWire(unwrap(await streams.get(streamId)), 'get'));
  });

  app.patch('/v1/live/streams/:streamId', {
    schema: { tags, summary: 'Update a stream', operationId: 'update-live-stream', params: StreamParams, body: PatchLiveStreamBody, response: { 200: ok(LiveStream), ...errorResponses(400, 401, 403, 404, 422) } },
  }, async (req) => {
    const { streamId } = req.params;
    const b = req.body;
    const patch: { metadata?: Record<string, string>; reconnectWindow?: number } = {};
    // "Metadata replaces the old map" (CONTRACT.md section 5)
    if (b.metadata !== undefined) patch.metadata = { ...b.metadata };
    if (b.reconnectWindow !== undefined) patch.reconnectWindow = b.reconnectWindow;
    const s = unwrap(await streams.update(streamId, patch));
    return okReply(liveStreamWire(s, 'patch'));
  });

  app.delete('/v1/live/streams/:streamId', {
    schema: { tags, summary: 'Delete a stream', operationId: 'delete-live-stream', params: StreamParams, response: { 200: ok(), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId } = req.params;
    unwrap(await streams.remove(streamId));
    // "DELETE stream: permanent; an active encoder is disconnected"
    await notifyMedia(req.log, 'kick', () => deps.liveControl().kick(streamId, 'deleted'));
    await notifyMedia(req.log, 'streamChanged', () => deps.liveControl().streamChanged(streamId));
    await notifyMedia(req.log, 'playbackIdsChanged', () => deps.liveControl().playbackIdsChanged());
    return okReply();
  });

  app.put('/v1/live/streams/:streamId/live-enable', {
    schema: { tags, summary: 'Enable a stream', operationId: 'enable-live-stream', params: StreamParams, response: { 200: ok(), ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    const { streamId } = req.params;
    unwrap(await streams.enable(streamId));
    await notifyMedia(req.log, 'streamChanged', () => deps.liveControl().streamChanged(streamId));
    return okReply();
  });

  app.put('/v1/live/streams/:streamId/live-disable', {
    schema: { tags, summary: 'Disable a stream', operationId: 'disable-live-stream', params: StreamParams, response: { 200: ok(), ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    const { streamId } = req.params;
    unwrap(await streams.disable(streamId));
    // "live-disable: any -> disabled ... An active encoder is cut."
    await notifyMedia(req.log, 'kick', () => deps.liveControl().kick(streamId, 'disabled'));
    await notifyMedia(req.log, 'streamChanged', () => deps.liveControl().streamChanged(streamId));
    return okReply();
  });

  app.put('/v1/live/streams/:streamId/finish', {
    schema: { tags, summary: 'Complete a stream', operationId: 'complete-live-stream', params: StreamParams, response: { 200: ok(), ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    const { streamId } = req.params;
    // "finish: only from active; moves to idle, ends the session" — the media plane does the move.
    unwrap(await streams.checkFinishable(streamId));
    await deps.liveControl().finish(streamId);
    return okReply();
  });

  app.get('/v1/live/streams/:streamId/viewer-count', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get stream views by ID', operationId: 'get-live-stream-viewer-count-by-id', params: StreamParams, response: { 200: ok(Type.Object({ views: Type.Integer() })), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId } = req.params;
    unwrap(await streams.get(streamId));
    return okReply({ views: deps.liveControl().viewerCount(streamId) });
  });
}
