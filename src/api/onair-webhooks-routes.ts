/** /v1/onair/webhooks: an onair extension (FastPix configures endpoints in its dashboard) to manage webhook endpoints. */
import { deleteEndpoint, findEndpoint, listEndpoints, updateEndpoint, type WebhookEndpoint as Endpoint } from '../store/webhook-repo.js';
import { addEndpoint } from '../webhooks/webhook-endpoints.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { ApiError } from './api-error.js';
import { Type, WebhookCreateBody, WebhookEndpoint, WebhookParams, WebhookUpdateBody, errorResponses, ok, okReply } from './schemas.js';

const tags = ['onair: webhooks'];
const notFound = () => new ApiError(404, 'webhook not found', "The requested webhook endpoint doesn't exist in the workspace.");

const wire = (e: Endpoint, withSecret = false) => ({
  id: e.id, url: e.url, isEnabled: e.enabled, createdAt: e.createdAt, ...(withSecret ? { secret: e.secret } : {}),
});

export function registerOnairWebhookRoutes(app: ApiApp, deps: ApiDeps): void {
  const { store } = deps;

  app.post('/v1/onair/webhooks', {
    schema: { tags, summary: 'Add a webhook endpoint (returns its signing secret once)', body: WebhookCreateBody, response: { 201: ok(WebhookEndpoint), ...errorResponses(401, 403, 422) } },
  }, async (req, reply) => {
    const b = req.body;
    const e = await addEndpoint(store, b.url, { ...(b.secret !== undefined ? { secret: b.secret } : {}), source: 'api' });
    return reply.code(201).send(okReply(wire(e, true)));
  });

  app.get('/v1/onair/webhooks', {
    config: { permission: 'read' },
    schema: { tags, summary: 'List webhook endpoints', response: { 200: ok(Type.Array(WebhookEndpoint)), ...errorResponses(401, 403) } },
  }, async () => (okReply((await listEndpoints(store.db)).map((e) => wire(e)))));

  app.get('/v1/onair/webhooks/:webhookId', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Get a webhook endpoint', params: WebhookParams, response: { 200: ok(WebhookEndpoint), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const e = await findEndpoint(store.db, req.params.webhookId);
    if (!e) throw notFound();
    return okReply(wire(e));
  });

  app.patch('/v1/onair/webhooks/:webhookId', {
    schema: { tags, summary: 'Change a webhook endpoint\'s URL or enable/disable it', params: WebhookParams, body: WebhookUpdateBody, response: { 200: ok(WebhookEndpoint), ...errorResponses(401, 403, 404, 422) } },
  }, async (req) => {
    const id = req.params.webhookId;
    const b = req.body;
    if (!(await findEndpoint(store.db, id))) throw notFound();
    await updateEndpoint(store.db, id, { ...(b.url !== undefined ? { url: b.url } : {}), ...(b.isEnabled !== undefined ? { enabled: b.isEnabled } : {}) });
    return okReply(wire((await findEndpoint(store.db, id))!));
  });

  app.delete('/v1/onair/webhooks/:webhookId', {
    schema: { tags, summary: 'Remove a webhook endpoint (drops its undelivered events)', params: WebhookParams, response: { 200: ok(), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    if (!(await deleteEndpoint(store.db, req.params.webhookId))) throw notFound();
    return okReply();
  });
}
