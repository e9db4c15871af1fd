/** /v1/on-demand/{livestreamId}/live-clips: the clip media cut from a live stream (CONTRACT.md sections 2 and 6). */
import type { Static } from '@sinclair/typebox';
import { toMediaWire } from '../core/media-serialize.js';
import { listMedia } from '../store/media-repo.js';
import { streamExists } from '../store/stream-repo.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { refusalError } from './api-error.js';
import { LiveMediaClip } from './on-demand-schemas.js';
import { playbackBaseUrlOf } from './on-demand-routes.js';
import { pageOf, paginationOf } from './pagination.js';
import { LiveClipParams, StreamListQuery, Type, errorResponses, ok, okReply } from './schemas.js';

const tags = ['Manage videos'];

export function registerLiveClipRoutes(app: ApiApp, deps: ApiDeps): void {
  const { store } = deps;

  // "Live-clips lives under /on-demand/, path param named livestreamId"; query as on the stream list.
  app.get('/v1/on-demand/:livestreamId/live-clips', {
    config: { permission: 'read' },
    schema: {
      tags, summary: 'Get all clips of a live stream', operationId: 'list-live-clips', params: LiveClipParams, querystring: StreamListQuery,
      response: { 200: ok(Type.Array(LiveMediaClip), true), ...errorResponses(401, 403, 404, 422) },
    },
  }, async (req) => {
    const { livestreamId } = req.params;
    // an unknown or deleted stream is `stream not found` like every stream path
    if (!(await streamExists(store.db, livestreamId))) throw refusalError('stream-not-found');
    const page = pageOf(req.query);
    const { items, total } = await listMedia(store.db, { ...page, order: req.query.orderBy ?? 'desc' }, { streamId: livestreamId, kind: 'clip' });
    const ctx = { workspaceId: store.workspace.id, playbackBaseUrl: playbackBaseUrlOf(deps) };
    return okReply(items.map((m) => toMediaWire(m, 'live-clip', ctx) as Static<typeof LiveMediaClip>), paginationOf(total, page));
  });
}
