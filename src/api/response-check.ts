/**
 * Responses go out through their route's response schema, checked rather than filtered.
 *
 * Why not fast-json-stringify (Fastify's default): it drops keys the schema does not name and coerces types
 * silently, so a handler that drifts from the FastPix contract would still "work" while clients get a different
 * shape than the code meant. Here every answer that has a response schema is checked against a STRICT copy of it
 * (every object closed with `additionalProperties: false` unless it declares its own, as `Metadata` does) and
 * sent with JSON.stringify, byte for byte what the handler built. On drift:
 * - mode 'throw' (the default outside production, so in every test): the request fails with a 500 in the FastPix
 *   envelope and the log names the route, status and the first mismatches;
 * - mode 'log' (NODE_ENV=production): the answer goes out unchanged, the drift is logged and counted in
 *   `onair_api_response_drift_total` (an extra key is better than an outage for a client).
 */
import { FormatRegistry, Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger } from 'fastify';
import { Counter } from 'prom-client';
import { registry } from '../metrics.js';

export type ResponseCheckMode = 'throw' | 'log';

const drift = new Counter({
  name: 'onair_api_response_drift_total',
  help: 'API responses that did not match their response schema (sent anyway in production)',
  labelNames: ['route', 'status'] as const,
  registers: [registry],
});

// Formats the response schemas use. TypeBox's checker refuses unknown formats, so they must be known.
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID_RE.test(v));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => DATE_TIME_RE.test(v) && !Number.isNaN(Date.parse(v)));
if (!FormatRegistry.Has('uri')) FormatRegistry.Set('uri', (v) => URL.canParse(v));

/** A copy of the schema with every object closed (`additionalProperties: false` unless declared). */
export function strictSchema<T extends TSchema>(schema: T): T {
  return close(schema) as T;
}

function close(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(close);
  if (s === null || typeof s !== 'object') return s;
  const src = s as Record<string | symbol, unknown>;
  const out: Record<string | symbol, unknown> = { ...src }; // keeps TypeBox's [Kind] symbol
  if (src.properties && typeof src.properties === 'object') {
    out.properties = Object.fromEntries(Object.entries(src.properties as Record<string, unknown>).map(([k, v]) => [k, close(v)]));
  }
  for (const key of ['items', 'anyOf', 'oneOf', 'allOf', 'not'] as const) if (src[key] !== undefined) out[key] = close(src[key]);
  if (src.additionalProperties !== undefined && typeof src.additionalProperties === 'object') out.additionalProperties = close(src.additionalProperties);
  const isObject = src[Kind] === 'Object' || src.type === 'object';
  if (isObject && src.additionalProperties === undefined && src.patternProperties === undefined) out.additionalProperties = false;
  return out;
}

export class ResponseDriftError extends Error {
  constructor(readonly route: string, readonly status: number, readonly problems: string[]) {
    super(`response of ${route} (${status}) does not match its schema: ${problems.join('; ')}`);
  }
}

/** What a check finds wrong with a value (empty = fine), at most `max` entries. */
export function responseProblems(check: TypeCheck<TSchema>, data: unknown, max = 5): string[] {
  if (check.Check(data)) return [];
  const out: string[] = [];
  for (const e of check.Errors(data)) {
    out.push(`${e.path || '/'}: ${e.message}`);
    if (out.length >= max) break;
  }
  return out.length > 0 ? out : ['/: does not match'];
}

interface SerializerArgs {
  schema: unknown;
  method?: string;
  url?: string;
  httpStatus?: string;
}

/** Fastify `serializerCompiler`: check against the strict schema, then JSON.stringify. */
export function makeResponseSerializerCompiler(mode: ResponseCheckMode, log: FastifyBaseLogger) {
  return ({ schema, method, url, httpStatus }: SerializerArgs) => {
    const check = TypeCompiler.Compile(strictSchema(schema as TSchema));
    const route = `${method ?? ''} ${url ?? ''}`.trim();
    const status = Number(httpStatus) || 0;
    return (data: unknown): string => {
      const problems = responseProblems(check, data);
      if (problems.length > 0) {
        const err = new ResponseDriftError(route, status, problems);
        if (mode === 'throw') throw err;
        drift.inc({ route, status: String(status) });
        log.error({ route, status, problems }, 'response does not match its schema (sent anyway)');
      }
      return JSON.stringify(data);
    };
  };
}
