/** Builds the Fastify app of the REST API: validation, auth, error envelopes, OpenAPI, and every route module. */
import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { limitConnections } from '../ingest/connection-limiter.js';
import { httpDuration, httpRequests } from '../metrics.js';
import type { ApiApp, ApiDeps } from './api-deps.js';
import { ApiError } from './api-error.js';
import { makeAuthHook } from './auth.js';
import { registerDashboardRoutes } from './dashboard-routes.js';
import { answerClientError } from './client-errors.js';
import { registerLiveClipRoutes } from './live-clips-routes.js';
import { registerLiveStreamRoutes } from './live-streams-routes.js';
import { LoginLimiter } from './login-limiter.js';
import { registerOnDemandRoutes } from './on-demand-routes.js';
import { registerOnairWebhookRoutes } from './onair-webhooks-routes.js';
import { validatorCompiler } from './payload-validator.js';
import { registerPlaybackIdRoutes } from './playback-ids-routes.js';
import { makeResponseSerializerCompiler, type ResponseCheckMode } from './response-check.js';
import { registerSigningKeyRoutes } from './signing-keys-routes.js';
import { registerSimulcastRoutes } from './simulcast-routes.js';
import { registerSystemRoutes } from './system-routes.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

/** Request bodies of this API are small; anything bigger is refused with 413. */
export const BODY_LIMIT = 64 * 1024;

export interface ApiOptions {
  /** the process logger (Fastify logs requests and errors through it) */
  logger: Logger;
  isReady: () => boolean;
  /** what a response that does not match its schema does (see response-check.ts); default: 'log' when
   * NODE_ENV=production, else 'throw' */
  responseCheck?: ResponseCheckMode;
}

export async function buildApi(deps: ApiDeps, opts: ApiOptions): Promise<FastifyInstance> {
  const log = opts.logger;
  const app = Fastify({
    loggerInstance: log, bodyLimit: BODY_LIMIT, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true,
    // a request id in every request's log lines (reqId), taken from a sane incoming x-request-id (a proxy's) or made here
    genReqId: requestIdOf, requestIdLogLabel: 'reqId',
    trustProxy: fastifyTrustProxy(parseTrustProxy(deps.config.trustProxy)),
    // over-long headers (431), malformed requests and unknown methods (400) in the FastPix envelope
    clientErrorHandler: (err, socket) => {
      log.debug({ err: { code: err.code, message: err.message } }, 'client error');
      answerClientError(err, socket);
    },
  }) as unknown as FastifyInstance;
  // Open connections, in total and per client address (behind a reverse proxy: per proxy address).
  limitConnections(app.server, 'api', { maxConnections: deps.config.apiMaxConnections ?? 1000, maxPerAddress: deps.config.apiMaxConnectionsPerAddress ?? 200 }, log);

  app.setValidatorCompiler(validatorCompiler);
  // Answers are sent as the handlers build them (JSON.stringify), after a check against the response schema.
  app.setSerializerCompiler(makeResponseSerializerCompiler(opts.responseCheck ?? (process.env.NODE_ENV === 'production' ? 'log' : 'throw'), log));

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

  const limiter = new LoginLimiter({
    pairLimit: deps.config.authFailLimit, addressLimit: deps.config.authFailLimit * 10, windowMs: deps.config.authFailWindowMs,
  });
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
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

  const typed: ApiApp = app.withTypeProvider<TypeBoxTypeProvider>();
  registerSystemRoutes(typed, opts.isReady);
  registerLiveStreamRoutes(typed, deps);
  registerPlaybackIdRoutes(typed, deps);
  registerSimulcastRoutes(typed, deps);
  registerLiveClipRoutes(typed, deps);
  registerOnDemandRoutes(typed, deps);
  registerSigningKeyRoutes(typed, deps);
  registerOnairWebhookRoutes(typed, deps);
  await registerDashboardRoutes(app, deps);
  return app;
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
/** The request's id: the caller's `x-request-id` when it is a short plain token, else a new UUID. */
function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
}

/** Fastify's types take no hop count (its runtime does): a count becomes the function Fastify would make of it. */
function fastifyTrustProxy(tp: TrustProxy): boolean | string[] | ((addr: string, hop: number) => boolean) {
  return typeof tp === 'number' ? (_addr, hop) => hop < tp : tp;
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
