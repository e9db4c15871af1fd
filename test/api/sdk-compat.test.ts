/**
 * Wire compatibility with FastPix's official Node SDK (`@fastpix/fastpix-node`, Speakeasy + zod), against the
 * real server process on SQLite.
 *
 * Requests are built the way the SDK builds them: its outbound schemas fill defaults (PATCH always carries
 * `reconnectWindow: 60`, list always `limit=10&offset=1&orderBy=desc`, simulcast PUT `isEnabled: true`),
 * action PUTs and DELETEs go out without a body or content type, the playback-id delete takes `playbackId` in
 * the query string, and the newest SDK adds `accessRestrictions` to playback settings / playback-id bodies.
 *
 * Responses are checked against what the SDK needs to PARSE them: the exact success status per operation
 * (the older generation matches `M.json(201, …)` / `M.json(200, …)` literally, anything else is "Unexpected
 * Status"), an `application/json` media type, and its zod field types (the strictest generation:
 * `z.number().int()`, `z.string().datetime({ offset: true })`, `{ field, message }` required in 422 entries).
 * Key sets and 404 strings follow the answers recorded from the live API (node-sdk tests/artifacts*).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

// ---- what the SDK's response schemas require ----

/** zod v3 `z.string().datetime({ offset: true })`, then `new Date(v)` must be valid */
const DateTime = Type.String({ pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:?\\d\\d)$' });
const Int = Type.Integer();
const Str = Type.String();
const Bool = Type.Boolean();
const StrMap = Type.Record(Type.String(), Type.String());

/** newest SDK `PlaybackIdAccessRestrictions` (zod: every field optional); onair sends it only once restrictions are set */
const RuleWire = Type.Object({ defaultPolicy: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny')])), allow: Type.Optional(Type.Array(Str)), deny: Type.Optional(Type.Array(Str)) });
const PlaybackIdWire = Type.Object({
  id: Str, accessPolicy: Type.Union([Type.Literal('public'), Type.Literal('private')]),
  accessRestrictions: Type.Optional(Type.Object({ domains: Type.Optional(RuleWire), userAgents: Type.Optional(RuleWire) })),
}, { additionalProperties: false });
const SimulcastWire = Type.Object({ simulcastId: Str, url: Str, streamKey: Str, isEnabled: Bool, metadata: Type.Optional(StrMap) }, { additionalProperties: false });
const LiveStreamWire = Type.Object({
  streamId: Str, streamKey: Str, srtSecret: Str, trial: Bool,
  status: Type.Union(['idle', 'preparing', 'active', 'disabled'].map((s) => Type.Literal(s))),
  maxResolution: Type.Union(['1080p', '720p', '480p'].map((s) => Type.Literal(s))),
  maxDuration: Int, createdAt: DateTime, reconnectWindow: Int, enableRecording: Bool, enableDvrMode: Bool,
  mediaPolicy: Type.Union([Type.Literal('public'), Type.Literal('private')]), metadata: Type.Optional(StrMap),
  lowLatency: Bool, closedCaptions: Bool, playbackIds: Type.Array(PlaybackIdWire),
  simulcastResponses: Type.Optional(Type.Array(SimulcastWire)), mediaIds: Type.Optional(Type.Array(Str)),
  srtPlaybackResponse: Type.Object({ srtPlaybackStreamId: Str, srtPlaybackSecret: Str }, { additionalProperties: false }),
}, { additionalProperties: false });
const Pagination = Type.Object({ totalRecords: Int, currentOffset: Int, offsetCount: Int }, { additionalProperties: false });
const ok = (data?: TSchema, pagination = false) => Type.Object({
  success: Type.Literal(true), ...(data ? { data } : {}), ...(pagination ? { pagination: Pagination } : {}),
}, { additionalProperties: false });
const ErrorWire = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({
    code: Int, message: Str, description: Type.Optional(Str),
    fields: Type.Optional(Type.Array(Type.Object({ field: Str, message: Str }, { additionalProperties: false }))),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

/** The SDK's media-type match: `application/json`, any parameters. */
function assertJson(r: ApiResponse): void {
  const ct = (r.headers.get('content-type') ?? '').toLowerCase().split(/\s*;\s*/)[0];
  assert.equal(ct, 'application/json', `content-type of ${r.status}: ${r.headers.get('content-type')}`);
}

/** Exact status + JSON + schema, like `M.json(status, schema)` in the strict SDK generation. */
function expectParse(r: ApiResponse, status: number, schema: TSchema): void {
  assert.equal(r.status, status, r.text);
  assertJson(r);
  const errors = [...Value.Errors(schema, r.body)].map((e) => `${e.path}: ${e.message}`);
  assert.deepEqual(errors, [], r.text);
}

function expectError(r: ApiResponse, status: number, message: string, description?: string): void {
  expectParse(r, status, ErrorWire);
  assert.equal(r.body.error.code, status);
  assert.equal(r.body.error.message, message);
  if (description !== undefined) assert.equal(r.body.error.description, description);
}

// ---- SDK-shaped request bodies ----

/** `CreateLiveStreamRequest$outboundSchema` with its defaults filled in (newest generation). */
const sdkCreateBody = (extra: { metadata?: Record<string, string>; accessPolicy?: 'public' | 'private' } = {}) => ({
  playbackSettings: {
    accessPolicy: extra.accessPolicy ?? 'public',
    accessRestrictions: { domains: { defaultPolicy: 'allow', allow: [], deny: [] }, userAgents: { defaultPolicy: 'allow', allow: [], deny: [] } },
  },
  inputMediaSettings: {
    maxResolution: '1080p', reconnectWindow: 60, mediaPolicy: 'public', enableDvrMode: false, enableRecording: true,
    ...(extra.metadata ? { metadata: extra.metadata } : {}),
  },
});

const STREAM_KEYS_CREATE = ['streamId', 'streamKey', 'srtSecret', 'trial', 'status', 'maxResolution', 'maxDuration', 'createdAt',
  'reconnectWindow', 'enableRecording', 'enableDvrMode', 'mediaPolicy', 'metadata', 'lowLatency', 'closedCaptions', 'playbackIds', 'srtPlaybackResponse'];
const NOT_FOUND_STREAM = "The requested resource (eg: streamId) doesn't exist in the workspace";

describe('FastPix Node SDK wire compatibility (sqlite)', () => {
  let srv: TestServer;
  before(async () => { srv = await startTestServer(); });
  after(async () => { await srv?.stop(); });

  const create = async (extra: Parameters<typeof sdkCreateBody>[0] = {}) => {
    const r = await srv.request('POST', '/v1/live/streams', sdkCreateBody(extra));
    expectParse(r, 201, ok(LiveStreamWire));
    return r.body.data;
  };

  test('create-new-stream: 201, every field typed as the SDK parses it, keys as the live API sends them', async () => {
    const s = await create({ metadata: { name: 'sdk-validate' } });
    assert.deepEqual(Object.keys(s), STREAM_KEYS_CREATE);
    assert.equal(s.maxDuration, 0);
    assert.ok(!Number.isNaN(new Date(s.createdAt).getTime()));
    assert.deepEqual(s.metadata, { name: 'sdk-validate' });
    assert.equal(s.playbackIds.length, 1);
  });

  test('get-live-stream-by-id and get-all-streams: simulcastResponses when targets exist, no empty mediaIds', async () => {
    const s = await create({ metadata: { name: 'listed' } });
    const bare = await create();
    const sim = await srv.request('POST', `/v1/live/streams/${s.streamId}/simulcast`, { url: 'rtmp://example.com/live', streamKey: 'sk-1' });
    expectParse(sim, 201, ok(SimulcastWire));

    const g = await srv.request('GET', `/v1/live/streams/${s.streamId}`);
    expectParse(g, 200, ok(LiveStreamWire));
    assert.deepEqual(g.body.data.simulcastResponses, [sim.body.data]);
    assert.equal('mediaIds' in g.body.data, false);

    // the SDK always sends its defaults
    const l = await srv.request('GET', '/v1/live/streams?limit=10&offset=1&orderBy=desc');
    expectParse(l, 200, ok(Type.Array(LiveStreamWire), true));
    const item = l.body.data.find((x: { streamId: string }) => x.streamId === s.streamId);
    assert.deepEqual(item.simulcastResponses, [sim.body.data]);
    assert.equal('mediaIds' in item, false);
    const bareItem = l.body.data.find((x: { streamId: string }) => x.streamId === bare.streamId);
    assert.equal('simulcastResponses' in bareItem, false);
    assert.equal('metadata' in bareItem, false, 'empty metadata is left out of list items');
    assert.equal(l.body.pagination.currentOffset, 1);
    assert.equal(l.body.pagination.offsetCount, Math.ceil(l.body.pagination.totalRecords / 10));

    const empty = await srv.request('GET', '/v1/live/streams?limit=10&offset=99&orderBy=asc');
    expectParse(empty, 200, ok(Type.Array(LiveStreamWire), true));
    assert.deepEqual(empty.body.data, []);
  });

  test('update-live-stream: the SDK body (reconnectWindow default 60 always sent) answers 200 without get-only fields', async () => {
    const s = await create({ metadata: { name: 'x' } });
    const r = await srv.request('PATCH', `/v1/live/streams/${s.streamId}`, { metadata: { updated: 'true' }, reconnectWindow: 60 });
    expectParse(r, 200, ok(LiveStreamWire));
    assert.deepEqual(Object.keys(r.body.data), STREAM_KEYS_CREATE);
    assert.deepEqual(r.body.data.metadata, { updated: 'true' });
  });

  test('enable / disable / complete / delete: PUT and DELETE without a body answer 200 {success:true} or the 400 envelope', async () => {
    const s = await create();
    const fin = await srv.request('PUT', `/v1/live/streams/${s.streamId}/finish`);
    // verbatim live answer (NON_GET_ENDPOINTS_VALIDATION_REPORT.md)
    assert.deepEqual(fin.body, { success: false, error: { code: 400, message: 'stream cannot be completed', description: 'Only active streams can be marked as completed.' } });
    expectError(fin, 400, 'stream cannot be completed');
    expectError(await srv.request('PUT', `/v1/live/streams/${s.streamId}/live-enable`), 400, 'stream is already enabled');
    expectParse(await srv.request('PUT', `/v1/live/streams/${s.streamId}/live-disable`), 200, ok());
    expectError(await srv.request('PUT', `/v1/live/streams/${s.streamId}/live-disable`), 400, 'stream already disabled');
    // some clients send a JSON content type with an empty body on PUT
    expectParse(await srv.request('PUT', `/v1/live/streams/${s.streamId}/live-enable`, undefined, { raw: '' }), 200, ok());
    expectParse(await srv.request('GET', `/v1/live/streams/${s.streamId}/viewer-count`), 200, ok(Type.Object({ views: Int }, { additionalProperties: false })));
    expectParse(await srv.request('DELETE', `/v1/live/streams/${s.streamId}`), 200, ok());
    for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['PUT', '/live-enable'], ['PUT', '/live-disable'], ['PUT', '/finish'], ['GET', '/viewer-count']] as const) {
      const r = await srv.request(method, `/v1/live/streams/${s.streamId}${suffix}`, method === 'PATCH' ? { reconnectWindow: 60 } : undefined);
      expectError(r, 404, 'stream not found', NOT_FOUND_STREAM);
    }
  });

  test('playback ids: create 201 (accessRestrictions accepted), get by path, delete by ?playbackId=; 404 strings', async () => {
    const s = await create();
    const c = await srv.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`, {
      accessPolicy: 'public', accessRestrictions: { domains: { defaultPolicy: 'allow', allow: ['example.com'], deny: [] } },
    });
    expectParse(c, 201, ok(PlaybackIdWire));
    const g = await srv.request('GET', `/v1/live/streams/${s.streamId}/playback-ids/${c.body.data.id}`);
    expectParse(g, 200, ok(PlaybackIdWire));
    assert.deepEqual(g.body.data, c.body.data);
    const d = await srv.request('DELETE', `/v1/live/streams/${s.streamId}/playback-ids?playbackId=${encodeURIComponent(c.body.data.id)}`);
    expectParse(d, 200, ok());
    expectError(await srv.request('GET', `/v1/live/streams/${s.streamId}/playback-ids/${c.body.data.id}`), 404, 'stream/playbackId not found');
    expectError(await srv.request('DELETE', `/v1/live/streams/${s.streamId}/playback-ids?playbackId=${c.body.data.id}`), 404, 'stream/playbackId not found');
    // a deleted / unknown stream: the live API says `stream not found` on the child paths too
    const gone = 'ffffffffffffffffffffffffffffffff';
    expectError(await srv.request('DELETE', `/v1/live/streams/${gone}/playback-ids?playbackId=${s.playbackIds[0].id}`), 404, 'stream not found', NOT_FOUND_STREAM);
    expectError(await srv.request('GET', `/v1/live/streams/${gone}/playback-ids/${s.playbackIds[0].id}`), 404, 'stream not found', NOT_FOUND_STREAM);
    expectError(await srv.request('POST', `/v1/live/streams/${gone}/playback-ids`, { accessPolicy: 'public' }), 404, 'stream not found', NOT_FOUND_STREAM);
  });

  test('simulcast: create 201, get/update (PUT, SDK default isEnabled) 200, delete 200; 404 strings', async () => {
    const s = await create();
    const c = await srv.request('POST', `/v1/live/streams/${s.streamId}/simulcast`, { url: 'rtmp://a.rtmp.youtube.com/live2', streamKey: 'test-dummy-key-1234' });
    expectParse(c, 201, ok(SimulcastWire));
    // "metadata absent when none was given" (live artifact)
    assert.deepEqual(Object.keys(c.body.data), ['simulcastId', 'url', 'streamKey', 'isEnabled']);
    const id = c.body.data.simulcastId;
    expectParse(await srv.request('GET', `/v1/live/streams/${s.streamId}/simulcast/${id}`), 200, ok(SimulcastWire));
    const u = await srv.request('PUT', `/v1/live/streams/${s.streamId}/simulcast/${id}`, { isEnabled: true, metadata: { simulcast_name: 'x' } });
    expectParse(u, 200, ok(SimulcastWire));
    assert.deepEqual(u.body.data.metadata, { simulcast_name: 'x' });
    expectParse(await srv.request('DELETE', `/v1/live/streams/${s.streamId}/simulcast/${id}`), 200, ok());
    expectError(await srv.request('GET', `/v1/live/streams/${s.streamId}/simulcast/${id}`), 404, 'stream/simulcast not found');
    expectError(await srv.request('DELETE', `/v1/live/streams/${s.streamId}/simulcast/${id}`), 404, 'stream/simulcast not found');
    const gone = 'ffffffffffffffffffffffffffffffff';
    for (const [method, body] of [['GET', undefined], ['PUT', { isEnabled: true }], ['DELETE', undefined]] as const) {
      expectError(await srv.request(method, `/v1/live/streams/${gone}/simulcast/${id}`, body), 404, 'stream not found', NOT_FOUND_STREAM);
    }
    expectError(await srv.request('POST', `/v1/live/streams/${gone}/simulcast`, { url: 'rtmp://example.com/', streamKey: 'k' }), 404, 'stream not found', NOT_FOUND_STREAM);
  });

  test('signing keys: create 201 (with or without a JSON content type), list 200 + pagination, get 200, delete 200 data.message', async () => {
    const created = Type.Object({ id: Str, privateKey: Str, createdAt: DateTime }, { additionalProperties: false });
    const a = await srv.request('POST', '/v1/iam/signing-keys');
    expectParse(a, 201, ok(created));
    expectParse(await srv.request('POST', '/v1/iam/signing-keys', undefined, { raw: '' }), 201, ok(created));
    const l = await srv.request('GET', '/v1/iam/signing-keys?limit=10&offset=1');
    expectParse(l, 200, ok(Type.Array(Type.Object({ id: Str, createdAt: DateTime }, { additionalProperties: false })), true));
    const g = await srv.request('GET', `/v1/iam/signing-keys/${a.body.data.id}`);
    expectParse(g, 200, ok(Type.Object({ workspaceId: Str, signingKeyId: Str, publicKey: Str }, { additionalProperties: false })));
    const d = await srv.request('DELETE', `/v1/iam/signing-keys/${a.body.data.id}`);
    expectParse(d, 200, ok(Type.Object({ message: Str }, { additionalProperties: false })));
    assert.deepEqual(d.body, { success: true, data: { message: 'signing key deleted successfully' } });
    expectError(await srv.request('GET', `/v1/iam/signing-keys/${a.body.data.id}`), 404, 'Signing key Not Found');
    expectError(await srv.request('DELETE', `/v1/iam/signing-keys/${a.body.data.id}`), 404, 'Signing key Not Found');
  });

  test('errors: 401 and 422 in the envelope the SDK error classes parse', async () => {
    expectError(await srv.request('GET', '/v1/live/streams', undefined, { auth: null }), 401, 'unauthorized');
    expectError(await srv.request('GET', '/v1/iam/signing-keys', undefined, { auth: 'Basic eDp5' }), 401, 'unauthorized');
    const bad = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'drm' }, inputMediaSettings: {} });
    expectError(bad, 422, 'payload validation failed');
    assert.ok(bad.body.error.fields.length >= 1);
    assert.equal(bad.body.error.fields[0].field, 'accessPolicy');
  });
});
