/** /v1/on-demand/{livestreamId}/live-clips: clips cut from a live stream (CONTRACT.md sections 2 and 6). */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.js';
import { unwrap } from './live-streams-routes.js';
import { pageOf, paginationOf } from './pagination.js';
import { LiveClipParams, LiveMediaClip, StreamListQuery, Type, errorResponses, ok } from './schemas.js';

const tags = ['Manage videos'];

export function registerLiveClipRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { streams } = deps;

  // "Live-clips lives under /on-demand/, path param named livestreamId"; query as on the stream list.
  app.get('/v1/on-demand/:livestreamId/live-clips', {
    config: { permission: 'read' },
    schema: {
      tags, summary: 'Get all clips of a live stream', operationId: 'list-live-clips', params: LiveClipParams, querystring: StreamListQuery,
      response: { 200: ok(Type.Array(LiveMediaClip), true), ...errorResponses(401, 403, 404, 422) },
    },
  }, async (req) => {
    const { livestreamId } = req.params as { livestreamId: string };
    const q = req.query as StreamListQuery;
    const page = pageOf(q);
    const { items, total } = unwrap(await streams.listClips(livestreamId, { ...page, order: q.orderBy ?? 'desc' }));
    return { success: true, data: items, pagination: paginationOf(total, page) };
  });
}
