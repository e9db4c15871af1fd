/**
 * /v1/live/streams/{streamId}/playback-ids: create, get (id in the path), delete (id in the query string), and the
 * access restrictions of one id (PATCH .../{playbackId}/domains and .../{playbackId}/user-agents, FastPix node SDK
 * operations update-live-stream-domain-restrictions / update-live-stream-user-agent-restrictions).
 */
import type { AccessRestrictions } from '../core/contracts.js';
import { restrictionsOf, ruleOf } from './access-restrictions-body.js';
import { notifyMedia, type ApiApp, type ApiDeps } from './api-deps.js';
import { unwrap } from './live-streams-routes.js';
import {
  DomainRestrictionsBody, PlaybackId, PlaybackIdBody, PlaybackIdDeleteQuery, PlaybackIdParams, RestrictionRule, StreamParams,
  UserAgentRestrictionsBody, errorResponses, ok, okReply,
} from './schemas.js';
import { playbackIdWire } from './wire.js';

const tags = ['Live playback'];

export function registerPlaybackIdRoutes(app: ApiApp, deps: ApiDeps): void {
  const { streams } = deps;

  app.post('/v1/live/streams/:streamId/playback-ids', {
    schema: { tags, summary: 'Create a playbackId', operationId: 'create-playbackId-of-stream', params: StreamParams, body: PlaybackIdBody, response: { 201: ok(PlaybackId), ...errorResponses(401, 403, 404, 422) } },
  }, async (req, reply) => {
    const { streamId } = req.params;
    const b = req.body;
    const p = unwrap(await streams.addPlaybackId(streamId, b.accessPolicy ?? 'public', restrictionsOf(b.accessRestrictions)));
    await notifyMedia(req.log, 'playbackIdsChanged', () => deps.liveControl().playbackIdsChanged());
    return reply.code(201).send(okReply(playbackIdWire(p)));
  });

  app.get('/v1/live/streams/:streamId/playback-ids/:playbackId', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get stream\'s playbackId', operationId: 'get-live-stream-playback-id', params: PlaybackIdParams, response: { 200: ok(PlaybackId), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId, playbackId } = req.params;
    const p = unwrap(await streams.getPlaybackId(streamId, playbackId));
    return okReply(playbackIdWire(p));
  });

  // "Deleting a playback id takes the id as a query parameter on the collection path"
  app.delete('/v1/live/streams/:streamId/playback-ids', {
    schema: { tags, summary: 'Delete a playbackId', operationId: 'delete-playbackId-of-stream', params: StreamParams, querystring: PlaybackIdDeleteQuery, response: { 200: ok(), ...errorResponses(401, 403, 404, 422) } },
  }, async (req) => {
    const { streamId } = req.params;
    const { playbackId } = req.query;
    unwrap(await streams.deletePlaybackId(streamId, playbackId));
    await notifyMedia(req.log, 'playbackIdsChanged', () => deps.liveControl().playbackIdsChanged());
    return okReply();
  });

  // SDK: PATCH with { defaultPolicy (default allow), allow?, deny? }; answers 200 { success, data: { defaultPolicy, allow, deny } }.
  const restrictionRoute = (suffix: string, kind: keyof AccessRestrictions, body: typeof DomainRestrictionsBody | typeof UserAgentRestrictionsBody, summary: string, operationId: string) => {
    app.patch(`/v1/live/streams/:streamId/playback-ids/:playbackId/${suffix}`, {
      schema: { tags, summary, operationId, params: PlaybackIdParams, body, response: { 200: ok(RestrictionRule), ...errorResponses(401, 403, 404, 422) } },
    }, async (req) => {
      const { streamId, playbackId } = req.params;
      const rule = unwrap(await streams.setPlaybackRestriction(streamId, playbackId, kind, ruleOf(req.body, kind === 'domains')));
      await notifyMedia(req.log, 'playbackIdsChanged', () => deps.liveControl().playbackIdsChanged());
      return okReply(rule);
    });
  };
  restrictionRoute('domains', 'domains', DomainRestrictionsBody, 'Update domain restrictions for a live stream playback ID', 'update-live-stream-domain-restrictions');
  restrictionRoute('user-agents', 'userAgents', UserAgentRestrictionsBody, 'Update user-agent restrictions for a live stream playback ID', 'update-live-stream-user-agent-restrictions');
}
