/** Unauthenticated operational routes: /healthz, /metrics (Prometheus text), /v1/openapi.json. */
import type { ApiApp } from './api-deps.js';
import { registry } from '../metrics.js';

export function registerSystemRoutes(app: ApiApp, isReady: () => boolean): void {
  const config = { permission: 'none' as const };

  app.get('/healthz', { config, schema: { hide: true } }, async (_req, reply) => {
    if (!isReady()) return reply.code(503).send({ success: false, error: { code: 503, message: 'starting' } });
    return { success: true, data: { status: 'ok' } };
  });

  app.get('/metrics', { config, schema: { hide: true } }, async (_req, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  app.get('/v1/openapi.json', { config, schema: { hide: true } }, async () => app.swagger());
}
