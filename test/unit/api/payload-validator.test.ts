/** The TypeBox validator compiler: field naming, defaults on query strings, and a seeded fuzz over create bodies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../../src/api/api-error.js';
import { parseBasic } from '../../../src/api/auth.js';
import { fieldOf, validatorCompiler } from '../../../src/api/payload-validator.js';
import { CreateLiveStreamBody, StreamListQuery } from '../../../src/api/schemas.js';
import { mulberry32 } from '../../helpers/prng.js';


test('fieldOf names the last segment, or metadata for anything inside it', () => {
  assert.equal(fieldOf('/inputMediaSettings/reconnectWindow', 'body'), 'reconnectWindow');
  assert.equal(fieldOf('/inputMediaSettings/metadata/some~1key', 'body'), 'metadata');
  assert.equal(fieldOf('', 'body'), 'body');
});

test('bodies are not coerced; query strings are converted and defaulted', () => {
  const body = validatorCompiler({ schema: CreateLiveStreamBody, httpPart: 'body' });
  const bad = body({ playbackSettings: {}, inputMediaSettings: { reconnectWindow: '60' } });
  assert.ok(bad.error instanceof ApiError);
  assert.equal((bad.error as ApiError).statusCode, 422);
  assert.deepEqual((bad.error as ApiError).fields?.map((f) => f.field), ['reconnectWindow']);
  assert.ok(body({ playbackSettings: {}, inputMediaSettings: { reconnectWindow: 60 } }).value);
  const q = validatorCompiler({ schema: StreamListQuery, httpPart: 'querystring' });
  assert.deepEqual(q({ limit: '5' }).value, { limit: 5, offset: 1, orderBy: 'desc' });
  assert.ok(q({ limit: 'x' }).error instanceof ApiError);
});

test('fuzz: random and mutated create bodies give a value or a 422 with named fields, never a throw', () => {
  const rnd = mulberry32(0x0a1b2c3d);
  const check = validatorCompiler({ schema: CreateLiveStreamBody, httpPart: 'body' });
  const atoms: unknown[] = [null, true, false, 0, 59, 60, 1800, 1801, -1, 1.5, '', 'x', '1080p', 'private', 'drm', [], {}, 'y'.repeat(300)];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = ['playbackSettings', 'inputMediaSettings', 'accessPolicy', 'maxResolution', 'reconnectWindow', 'mediaPolicy', 'metadata', 'enableDvrMode', 'maxDuration', 'zz'];
  const randomValue = (depth: number): unknown => {
    if (depth > 3 || rnd() < 0.5) return pick(atoms);
    const o: Record<string, unknown> = {};
    const n = Math.floor(rnd() * 12);
    for (let i = 0; i < n; i++) o[pick(keys) + (rnd() < 0.2 ? String(i) : '')] = randomValue(depth + 1);
    return rnd() < 0.1 ? [o] : o;
  };
  let valid = 0;
  for (let i = 0; i < 3000; i++) {
    const v = randomValue(0);
    const r = check(v);
    if (r.error) {
      assert.ok(r.error instanceof ApiError);
      const e = r.error as ApiError;
      assert.equal(e.statusCode, 422);
      assert.ok(e.fields && e.fields.length > 0);
      for (const f of e.fields) assert.ok(typeof f.field === 'string' && f.field.length > 0 && typeof f.message === 'string');
    } else {
      valid++;
      assert.ok(r.value && typeof r.value === 'object');
    }
  }
  assert.ok(valid < 3000);
});

test('parseBasic splits at the first colon and rejects garbage (fuzzed)', () => {
  assert.deepEqual(parseBasic(`Basic ${Buffer.from('id:se:cret').toString('base64')}`), { id: 'id', secret: 'se:cret' });
  assert.equal(parseBasic(undefined), undefined);
  assert.equal(parseBasic('Bearer x'), undefined);
  assert.equal(parseBasic(`Basic ${Buffer.from(':x').toString('base64')}`), undefined);
  const rnd = mulberry32(7);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
    const header = rnd() < 0.5 ? `Basic ${bytes.toString('base64')}` : bytes.toString('latin1');
    const r = parseBasic(header);
    assert.ok(r === undefined || (typeof r.id === 'string' && r.id.length > 0 && typeof r.secret === 'string'));
  }
});

