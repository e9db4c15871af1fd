/** Responses are checked against strict copies of their schemas: drift is a 500 (tests, dev) or a logged count (production). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { pino } from 'pino';
import { buildApi } from '../../../src/api/api-app.js';
import { makeResponseSerializerCompiler, responseProblems, strictSchema } from '../../../src/api/response-check.js';
import type { ApiApp } from '../../../src/api/api-deps.js';
import { LiveStream, Metadata, PlaybackId, Type, ok, okReply } from '../../../src/api/schemas.js';
import { resolveConfig } from '../../../src/config.js';
import { StreamsService } from '../../../src/core/streams-service.js';
import { registry } from '../../../src/metrics.js';
import { Store } from '../../../src/store/store.js';
import { upsertToken } from '../../../src/store/token-repo.js';
import { NoopLiveControl } from '../../../src/api/noop-live-control.js';

const silent = pino({ level: 'silent' });
const noop = new NoopLiveControl();

test('strictSchema closes objects but keeps declared maps (metadata) open', () => {
  const check = TypeCompiler.Compile(strictSchema(Type.Object({ a: Type.String(), meta: Metadata, list: Type.Array(PlaybackId) })));
  const good = { a: 'x', meta: { anyKey: 'v' }, list: [{ id: '0b0e5b4c-8d59-4f39-9f77-3a3c2f4d2a11', accessPolicy: 'public' }] };
  assert.deepEqual(responseProblems(check, good), []);
  assert.notDeepEqual(responseProblems(check, { ...good, extra: 1 }), [], 'extra key at the top');
  assert.notDeepEqual(responseProblems(check, { ...good, list: [{ ...good.list[0], extra: true }] }), [], 'extra key in an array item');
  assert.notDeepEqual(responseProblems(check, { ...good, meta: { k: 5 } }), [], 'metadata values stay strings');
  assert.notDeepEqual(responseProblems(check, { ...good, list: [{ id: 'not-a-uuid', accessPolicy: 'public' }] }), [], 'formats are checked');
  // the documented schema itself is left as it was (the OpenAPI document does not change)
  assert.equal((PlaybackId as { additionalProperties?: unknown }).additionalProperties, undefined);
});

test('serializer: valid answers are sent byte for byte as JSON.stringify; drift throws (or is logged and counted)', async () => {
  const schema = ok(Type.Object({ n: Type.Integer(), when: Type.String({ format: 'date-time' }) }));
  const throwing = makeResponseSerializerCompiler('throw', silent)({ schema, method: 'GET', url: '/x', httpStatus: '200' });
  const good = { success: true, data: { when: '2024-05-01T10:00:00.123456Z', n: 3 } };
  assert.equal(throwing(good), JSON.stringify(good), 'key order and values untouched');
  assert.throws(() => throwing({ ...good, extra: 'x' }), /GET \/x \(200\) does not match its schema/);
  assert.throws(() => throwing({ success: true, data: { n: '3', when: good.data.when } }), /\/data\/n/);
  assert.throws(() => throwing({ success: true }), /\/data/);

  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const logging = makeResponseSerializerCompiler('log', pino({ level: 'error' }, sink))({ schema, method: 'GET', url: '/y', httpStatus: '200' });
  const drifted = { ...good, extra: 'x' };
  assert.equal(logging(drifted), JSON.stringify(drifted), 'production mode sends the answer unchanged');
  assert.match(lines.join(''), /response does not match its schema/);
  assert.match(await registry.metrics(), /onair_api_response_drift_total\{route="GET \/y",status="200"\} 1/);
});

/** Never called: type-checked only (test/tsconfig.json), so typed handlers stay typed. */
export function typedHandlersRefuseDrift(app: ApiApp): void {
  const schema = { params: Type.Object({ streamId: Type.String() }), response: { 200: ok(Type.Object({ views: Type.Integer() })) } };
  app.get('/typed/:streamId', { schema }, async (req) => {
    const id: string = req.params.streamId;
    // @ts-expect-error -- params are typed by the schema: no such param
    void req.params.nope;
    return okReply({ views: id.length });
  });
  // @ts-expect-error -- a handler answering a string where the schema says integer does not compile
  app.get('/typed-bad', { schema }, async () => okReply({ views: 'many' }));
}

test('through the real API app: a drifting handler answers 500 in the FastPix envelope; real routes pass the check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-rc-'));
  const config = resolveConfig({ dataDir: dir, adminTokenId: 'admin', adminTokenSecret: 'secret-secret', logLevel: 'silent' });
  const store = await Store.open(config.database);
  try {
    await upsertToken(store.db, 'admin', 'secret-secret', 'write', 'admin');
    const app = await buildApi({ store, streams: new StreamsService(store), liveControl: () => noop, config }, { logger: silent, isReady: () => true, responseCheck: 'throw' });
    app.get('/v1/test/drift', { config: { permission: 'none' }, schema: { response: { 200: ok(LiveStream) } } }, async () => ({ success: true, data: { streamId: 'x', surprise: 1 } }));
    const drift = await app.inject({ method: 'GET', url: '/v1/test/drift' });
    assert.equal(drift.statusCode, 500);
    assert.deepEqual(drift.json(), { success: false, error: { code: 500, message: 'internal server error', description: 'The server failed to handle the request; it is safe to retry.' } });

    const auth = `Basic ${Buffer.from('admin:secret-secret').toString('base64')}`;
    const created = await app.inject({ method: 'POST', url: '/v1/live/streams', headers: { authorization: auth }, payload: { playbackSettings: {}, inputMediaSettings: { metadata: { a: 'b' } } } });
    assert.equal(created.statusCode, 201, created.body);
    const list = await app.inject({ method: 'GET', url: '/v1/live/streams', headers: { authorization: auth } });
    assert.equal(list.statusCode, 200, list.body);
    assert.equal(list.json().data[0].streamId, created.json().data.streamId);
    await app.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
