/** /v1/live/streams/{streamId}/simulcast: targets CRUD (update is PUT, as the OAS operation says). */
import { notifyMedia, type ApiApp, type ApiDeps } from './api-deps.js';
import { unwrap } from './live-streams-routes.js';
import { Simulcast, SimulcastBody, SimulcastParams, SimulcastUpdateBody, StreamParams, errorResponses, ok, okReply } from './schemas.js';
import { simulcastWire } from './wire.js';

const tags = ['Simulcast stream'];

export function registerSimulcastRoutes(app: ApiApp, deps: ApiDeps): void {
  const { streams } = deps;

  app.post('/v1/live/streams/:streamId/simulcast', {
    schema: { tags, summary: 'Create a simulcast', operationId: 'create-simulcast-of-stream', params: StreamParams, body: SimulcastBody, response: { 201: ok(Simulcast), ...errorResponses(400, 401, 403, 404, 422) } },
  }, async (req, reply) => {
    const { streamId } = req.params;
    const b = req.body;
    const input: { url: string; streamKey: string; metadata?: Record<string, string> } = { url: b.url, streamKey: b.streamKey };
    if (b.metadata !== undefined) input.metadata = { ...b.metadata };
    const sim = unwrap(await streams.addSimulcast(streamId, input));
    await notifyMedia(req.log, 'simulcastChanged', () => deps.liveControl().simulcastChanged(streamId));
    return reply.code(201).send(okReply(simulcastWire(sim)));
  });

  app.get('/v1/live/streams/:streamId/simulcast/:simulcastId', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get a specific simulcast of a stream', operationId: 'get-specific-simulcast-of-stream', params: SimulcastParams, response: { 200: ok(Simulcast), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId, simulcastId } = req.params;
    return okReply(simulcastWire(unwrap(await streams.getSimulcast(streamId, simulcastId))));
  });

  app.put('/v1/live/streams/:streamId/simulcast/:simulcastId', {
    schema: { tags, summary: 'Update a specific simulcast of a stream', operationId: 'update-specific-simulcast-of-stream', params: SimulcastParams, body: SimulcastUpdateBody, response: { 200: ok(Simulcast), ...errorResponses(400, 401, 403, 404, 422) } },
  }, async (req) => {
    const { streamId, simulcastId } = req.params;
    const b = req.body;
    const patch: { isEnabled?: boolean; metadata?: Record<string, string> } = {};
    if (b.isEnabled !== undefined) patch.isEnabled = b.isEnabled;
    if (b.metadata !== undefined) patch.metadata = { ...b.metadata };
    const sim = unwrap(await streams.updateSimulcast(streamId, simulcastId, patch));
    // "isEnabled" toggled while live: the push starts or stops now.
    await notifyMedia(req.log, 'simulcastChanged', () => deps.liveControl().simulcastChanged(streamId));
    return okReply(simulcastWire(sim));
  });

  app.delete('/v1/live/streams/:streamId/simulcast/:simulcastId', {
    schema: { tags, summary: 'Delete a simulcast', operationId: 'delete-simulcast-of-stream', params: SimulcastParams, response: { 200: ok(), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { streamId, simulcastId } = req.params;
    unwrap(await streams.deleteSimulcast(streamId, simulcastId));
    await notifyMedia(req.log, 'simulcastChanged', () => deps.liveControl().simulcastChanged(streamId));
    return okReply();
  });
}
