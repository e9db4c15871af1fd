/**
 * Fastify validator compiler over TypeBox: bodies are checked strictly (no type coercion: a string where an
 * integer belongs is a 422), query strings are converted first. Errors become FastPix 422 `fields`.
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { payloadError, type FieldError } from './api-error.js';

const cache = new WeakMap<object, TypeCheck<TSchema>>();

function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let c = cache.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    cache.set(schema, c);
  }
  return c;
}

/** The field a 422 names: the last path segment, or `metadata` for anything inside a metadata map. */
export function fieldOf(path: string, rootName: string): string {
  const parts = path.split('/').filter((p) => p.length > 0).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const meta = parts.indexOf('metadata');
  if (meta >= 0) return 'metadata';
  // an array item is named by its array (`allow`, not `0`)
  while (parts.length > 1 && /^\d+$/.test(parts[parts.length - 1]!)) parts.pop();
  return parts.length > 0 ? parts[parts.length - 1]! : rootName;
}

function messageOf(e: ValueError): string {
  const anyOf = (e.schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (anyOf && anyOf.every((s) => s.const !== undefined)) return `must be one of: ${anyOf.map((s) => String(s.const)).join(', ')}`;
  if (e.value === undefined) return 'must not be null';
  return e.message.charAt(0).toLowerCase() + e.message.slice(1);
}

/** At most one message per field, in the order found. */
export function fieldErrors(errors: Iterable<ValueError>, rootName: string): FieldError[] {
  const out = new Map<string, string>();
  for (const e of errors) {
    const field = fieldOf(e.path, rootName);
    if (!out.has(field)) out.set(field, messageOf(e));
    if (out.size >= 20) break;
  }
  return [...out].map(([field, message]) => ({ field, message }));
}

type Part = 'body' | 'querystring' | 'params' | 'headers' | string;

export function validatorCompiler({ schema, httpPart }: { schema: unknown; httpPart?: Part }): (data: unknown) => { value?: unknown; error?: Error } {
  const s = schema as TSchema;
  const check = checkerFor(s);
  return (data: unknown) => {
    let value = data;
    if (httpPart === 'body') {
      // No body at all is validated as `{}`, so missing required fields are named.
      if (value === null || value === undefined) value = {};
    } else {
      value = Value.Default(s, Value.Convert(s, value ?? {}));
    }
    if (check.Check(value)) return { value };
    return { error: payloadError(fieldErrors(check.Errors(value), httpPart === 'body' ? 'body' : 'query')) };
  };
}
