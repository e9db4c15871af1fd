/** /v1/live/streams/{streamId}/playback-ids: create, get (id in the path), delete (id in the query string). */
import type { FastifyInstance } from 'fastify';
import { notifyMedia, type ApiDeps } from './api-deps.js';
import { unwrap } from './live-streams-routes.js';
import { PlaybackId, PlaybackIdBody, PlaybackIdDeleteQuery, PlaybackIdParams, StreamParams, errorResponses, ok } from './schemas.js';

const tags = ['Live playback'];

export function registerPlaybackIdRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { streams } = deps;

  app.post('/v1/live/streams/:streamId/playback-ids', {
    schema: { tags, summary: 'Create a playbackId', operationId: 'create-playbackId-of-stream', params: StreamParams, body: PlaybackIdBody, response: { 201: ok(PlaybackId), ...errorResponses(401, 403, 404, 422) } },
  }, async (req, reply) => {
    const { streamId } = req.params as { streamId: string };
    const b = req.body as PlaybackIdBody;
    const p = unwrap(await streams.addPlaybackId(streamId, b.accessPolicy ?? 'public'));
    await notifyMedia(req.log, 'playbackIdsChanged', () => deps.liveControl().playbackIdsChanged());
    return reply.code(201).send({ success: true, data: { id: p.id, accessPolicy: p.accessPolicy } });
  });

  app.get('/v1/live/streams/:streamId/playback-ids/:playbackId', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get stream\'s playbackId', operationId: 'get-live-stream-playback-id', params: PlaybackIdParams, response: { 200: ok(PlaybackId), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId, playbackId } = req.params as { streamId: string; playbackId: string };
    const p = unwrap(await streams.getPlaybackId(streamId, playbackId));
    return { success: true, data: { id: p.id, accessPolicy: p.accessPolicy } };
  });

  // "Deleting a playback id takes the id as a query parameter on the collection path"
  app.delete('/v1/live/streams/:streamId/playback-ids', {
    schema: { tags, summary: 'Delete a playbackId', operationId: 'delete-playbackId-of-stream', params: StreamParams, querystring: PlaybackIdDeleteQuery, response: { 200: ok(), ...errorResponses(401, 403, 404, 422) } },
  }, async (req) => {
    const { streamId } = req.params as { streamId: string };
    const { playbackId } = req.query as { playbackId: string };
    unwrap(await streams.deletePlaybackId(streamId, playbackId));
    await notifyMedia(req.log, 'playbackIdsChanged', () => deps.liveControl().playbackIdsChanged());
    return { success: true };
  });
}
