/** /v1/live/streams/{streamId}/simulcast: targets CRUD (update is PUT, as the OAS operation says). */
import type { FastifyInstance } from 'fastify';
import { toSimulcastWire } from '../core/streams-serialize.js';
import { notifyMedia, type ApiDeps } from './api-deps.js';
import { unwrap } from './live-streams-routes.js';
import { Simulcast, SimulcastBody, SimulcastParams, SimulcastUpdateBody, StreamParams, errorResponses, ok } from './schemas.js';

const tags = ['Simulcast stream'];

export function registerSimulcastRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { streams } = deps;

  app.post('/v1/live/streams/:streamId/simulcast', {
    schema: { tags, summary: 'Create a simulcast', operationId: 'create-simulcast-of-stream', params: StreamParams, body: SimulcastBody, response: { 201: ok(Simulcast), ...errorResponses(400, 401, 403, 404, 422) } },
  }, async (req, reply) => {
    const { streamId } = req.params as { streamId: string };
    const b = req.body as SimulcastBody;
    const input: { url: string; streamKey: string; metadata?: Record<string, string> } = { url: b.url, streamKey: b.streamKey };
    if (b.metadata !== undefined) input.metadata = { ...(b.metadata as Record<string, string>) };
    const sim = unwrap(await streams.addSimulcast(streamId, input));
    await notifyMedia(req.log, 'simulcastChanged', () => deps.liveControl().simulcastChanged(streamId));
    return reply.code(201).send({ success: true, data: toSimulcastWire(sim) });
  });

  app.get('/v1/live/streams/:streamId/simulcast/:simulcastId', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get a specific simulcast of a stream', operationId: 'get-specific-simulcast-of-stream', params: SimulcastParams, response: { 200: ok(Simulcast), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId, simulcastId } = req.params as { streamId: string; simulcastId: string };
    return { success: true, data: toSimulcastWire(unwrap(await streams.getSimulcast(streamId, simulcastId))) };
  });

  app.put('/v1/live/streams/:streamId/simulcast/:simulcastId', {
    schema: { tags, summary: 'Update a specific simulcast of a stream', operationId: 'update-specific-simulcast-of-stream', params: SimulcastParams, body: SimulcastUpdateBody, response: { 200: ok(Simulcast), ...errorResponses(400, 401, 403, 404, 422) } },
  }, async (req) => {
    const { streamId, simulcastId } = req.params as { streamId: string; simulcastId: string };
    const b = req.body as SimulcastUpdateBody;
    const patch: { isEnabled?: boolean; metadata?: Record<string, string> } = {};
    if (b.isEnabled !== undefined) patch.isEnabled = b.isEnabled;
    if (b.metadata !== undefined) patch.metadata = { ...(b.metadata as Record<string, string>) };
    const sim = unwrap(await streams.updateSimulcast(streamId, simulcastId, patch));
    // "isEnabled" toggled while live: the push starts or stops now.
    await notifyMedia(req.log, 'simulcastChanged', () => deps.liveControl().simulcastChanged(streamId));
    return { success: true, data: toSimulcastWire(sim) };
  });

  app.delete('/v1/live/streams/:streamId/simulcast/:simulcastId', {
    schema: { tags, summary: 'Delete a simulcast', operationId: 'delete-simulcast-of-stream', params: SimulcastParams, response: { 200: ok(), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId, simulcastId } = req.params as { streamId: string; simulcastId: string };
    unwrap(await streams.deleteSimulcast(streamId, simulcastId));
    await notifyMedia(req.log, 'simulcastChanged', () => deps.liveControl().simulcastChanged(streamId));
    return { success: true };
  });
}
