/** Builds the Fastify app of the REST API: validation, auth, error envelopes, OpenAPI, and every route module. */
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { httpDuration, httpRequests } from '../metrics.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './api-error.js';
import { makeAuthHook } from './auth.js';
import { registerLiveClipRoutes } from './live-clips-routes.js';
import { registerLiveStreamRoutes } from './live-streams-routes.js';
import { LoginLimiter } from './login-limiter.js';
import { registerOnairWebhookRoutes } from './onair-webhooks-routes.js';
import { validatorCompiler } from './payload-validator.js';
import { registerPlaybackIdRoutes } from './playback-ids-routes.js';
import { registerSigningKeyRoutes } from './signing-keys-routes.js';
import { registerSimulcastRoutes } from './simulcast-routes.js';
import { registerSystemRoutes } from './system-routes.js';

/** Request bodies of this API are small; anything bigger is refused with 413. */
export const BODY_LIMIT = 64 * 1024;

export interface ApiOptions {
  /** the process logger (Fastify logs requests and errors through it) */
  logger: Logger;
  isReady: () => boolean;
}

export async function buildApi(deps: ApiDeps, opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: opts.logger, bodyLimit: BODY_LIMIT, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true }) as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; answers are built field by field and sent as plain JSON.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // JSON bodies: an empty body is "no body" (SDKs send PUT live-enable with a JSON content type and nothing else).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new ApiError(400, 'invalid json', `The request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'onair: FastPix-compatible live streaming API', version: '1.0.0', description: 'The FastPix /v1 live-streaming contract, served by onair.' },
      components: { securitySchemes: { BasicAuth: { type: 'http', scheme: 'basic', description: 'Access token id as user name, secret as password.' } } },
      security: [{ BasicAuth: [] }],
    },
  });

  const limiter = new LoginLimiter(deps.config.authFailLimit, deps.config.authFailWindowMs);
  app.addHook('onRequest', makeAuthHook(deps.store, limiter));
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const e = toApiError(err);
    if (e.statusCode >= 500) req.log.error({ err }, 'request failed');
    if (e.headers) void reply.headers(e.headers);
    return reply.code(e.statusCode).type('application/json; charset=utf-8').send(e.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError(404, 'route not found', `${req.method} ${req.url.split('?')[0]} is not part of this API.`);
    return reply.code(404).type('application/json; charset=utf-8').send(e.body());
  });

  registerSystemRoutes(app, opts.isReady);
  registerLiveStreamRoutes(app, deps);
  registerPlaybackIdRoutes(app, deps);
  registerSimulcastRoutes(app, deps);
  registerLiveClipRoutes(app, deps);
  registerSigningKeyRoutes(app, deps);
  registerOnairWebhookRoutes(app, deps);
  return app;
}

function toApiError(err: FastifyError | ApiError): ApiError {
  if (err instanceof ApiError) return err;
  const code = (err as FastifyError).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'payload too large', `Request bodies are limited to ${BODY_LIMIT} bytes.`);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError(415, 'unsupported media type', 'Send request bodies as application/json.');
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return new ApiError(400, 'bad request', err.message);
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError(status, 'bad request', err.message);
  return new ApiError(500, 'internal server error', 'The server failed to handle the request; it is safe to retry.');
}
