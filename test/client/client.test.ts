/**
 * The typed client (src/client) against the real server: its operations are exactly the operations of the
 * OpenAPI document onair serves, every answer it receives validates against that document's response schema for
 * the operation and status, its TypeScript types match the TypeBox schemas the document is made from (checked at
 * compile time below), and refusals / an unreachable server surface as typed errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Static } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type * as S from '../../src/api/schemas.js';
import { CLIENT_OPERATIONS, OnairApiError, OnairClient, OnairConnectionError } from '../../src/client/index.js';
import type * as C from '../../src/client/types.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// ---- compile time: the client's types and the server's schemas describe the same objects ----
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;
type Norm<T> = T extends object ? { [K in keyof T]: Norm<T[K]> } : T;
export type TypeChecks = [
  Check<Same<Norm<Static<typeof S.PlaybackId>>, Norm<C.PlaybackId>>>,
  Check<Same<Norm<Static<typeof S.Simulcast>>, Norm<C.Simulcast>>>,
  Check<Same<Norm<Static<typeof S.LiveStream>>, Norm<C.LiveStream>>>,
  Check<Same<Norm<Static<typeof S.SigningKeyCreated>>, Norm<C.SigningKeyCreated>>>,
  Check<Same<Norm<Static<typeof S.SigningKeyPublic>>, Norm<C.SigningKeyPublic>>>,
  Check<Same<Norm<Static<typeof S.WebhookEndpoint>>, Norm<C.WebhookEndpoint>>>,
  Check<Same<Norm<Static<typeof S.Pagination>>, Norm<C.Pagination>>>,
  Check<Same<Norm<Static<typeof S.SimulcastUpdateBody>>, Norm<C.SimulcastUpdateRequest>>>,
  Check<Same<Norm<Static<typeof S.CreateLiveStreamBody>>, Norm<C.CreateLiveStreamRequest>>>,
  Check<Same<Norm<Static<typeof S.PatchLiveStreamBody>>, Norm<C.PatchLiveStreamRequest>>>,
  Check<Same<Norm<Static<typeof S.SimulcastBody>>, Norm<C.SimulcastRequest>>>,
  Check<Same<Norm<Static<typeof S.PlaybackIdBody>>, Norm<C.PlaybackIdRequest>>>,
];

interface Seen { method: string; path: string; status: number; body: unknown }

/** OpenAPI path template -> regexp over concrete paths */
function templateRegex(template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
}

describe('typed client vs the served OpenAPI document', () => {
  let srv: TestServer;
  let client: OnairClient;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };
  const seen: Seen[] = [];
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const validators = new Map<string, ValidateFunction>();

  before(async () => {
    srv = await startTestServer();
    // a fetch that remembers every answer, so each can be checked against the document
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.clone().text();
      const url = new URL(String(input));
      let body: unknown;
      try { body = JSON.parse(text); } catch { body = text; }
      seen.push({ method: init?.method ?? 'GET', path: url.pathname, status: res.status, body });
      return res;
    };
    client = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: srv.tokenSecret, fetch: recording });
    doc = await client.system.openapi() as typeof doc;
  });
  after(async () => { await srv?.stop(); });

  function validatorFor(method: string, path: string, status: number): ValidateFunction {
    const template = Object.keys(doc.paths).find((t) => templateRegex(t).test(path) && doc.paths[t]![method.toLowerCase()]);
    assert.ok(template, `no operation ${method} ${path} in /v1/openapi.json`);
    const op = doc.paths[template][method.toLowerCase()]!;
    const response = op.responses[String(status)];
    assert.ok(response, `${method} ${template} answered ${status}, which the document does not list (${Object.keys(op.responses).join(', ')})`);
    const schema = response.content?.['application/json']?.schema;
    assert.ok(schema, `${method} ${template} ${status} has no JSON schema`);
    const key = `${method} ${template} ${status}`;
    let v = validators.get(key);
    if (!v) validators.set(key, v = ajv.compile(schema));
    return v;
  }

  test('the client covers exactly the supported operations of /v1/openapi.json', () => {
    // supported = has a success answer; onair lists FastPix operations it does not do with error answers only
    const served = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops)
      .filter(([, op]) => Object.keys(op.responses).some((c) => c.startsWith('2'))).map(([m]) => `${m.toUpperCase()} ${p}`)).sort();
    assert.ok(served.length >= 20, `suspiciously few operations: ${served.length}`);
    assert.deepEqual([...CLIENT_OPERATIONS].sort(), served);
  });

  test('every operation, every answer validates against the document', async () => {
    const s = await client.liveStreams.create({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { metadata: { name: 'client <test>' }, reconnectWindow: 90 } });
    assert.equal(s.status, 'idle');
    assert.equal(s.reconnectWindow, 90);
    assert.equal(s.metadata?.name, 'client <test>');
    const s2 = await client.liveStreams.create({ playbackSettings: {}, inputMediaSettings: {} });

    const page = await client.liveStreams.list({ limit: 1, offset: 1, orderBy: 'asc' });
    assert.equal(page.pagination.totalRecords, 2);
    assert.equal(page.pagination.offsetCount, 2);
    assert.equal(page.data[0]!.streamId, s.streamId);
    const all = await client.liveStreams.listAll();
    assert.deepEqual(all.map((x) => x.streamId).sort(), [s.streamId, s2.streamId].sort());

    assert.equal((await client.liveStreams.get(s.streamId)).streamKey, s.streamKey);
    const upd = await client.liveStreams.update(s.streamId, { metadata: { updated: 'yes' } });
    assert.deepEqual(upd.metadata, { updated: 'yes' });
    assert.deepEqual(await client.liveStreams.getViewerCount(s.streamId), { views: 0 });
    const clips = await client.liveStreams.listClips(s.streamId);
    assert.equal(clips.pagination.totalRecords, clips.data.length);

    const pid = await client.livePlayback.createId(s.streamId, { accessPolicy: 'private' });
    assert.equal(pid.accessPolicy, 'private');
    assert.equal((await client.playbackIds.get(s.streamId, pid.id)).id, pid.id);
    const rule = await client.livePlayback.updateDomainRestrictions(s.streamId, pid.id, { defaultPolicy: 'deny', allow: ['example.com'] });
    assert.deepEqual(rule, { defaultPolicy: 'deny', allow: ['example.com'], deny: [] });
    const ua = await client.livePlayback.updateUserAgentRestrictions(s.streamId, pid.id, { deny: ['curl'] });
    assert.deepEqual(ua.deny, ['curl']);
    await client.playbackIds.delete(s.streamId, pid.id);
    await assert.rejects(client.livePlayback.get(s.streamId, pid.id), (e: unknown) => e instanceof OnairApiError && e.status === 404);

    const sim = await client.simulcasts.create(s.streamId, { url: 'rtmp://127.0.0.1:9/app', streamKey: 'k', metadata: { platform: 'test' } });
    assert.equal(sim.isEnabled, true);
    assert.equal((await client.simulcasts.get(s.streamId, sim.simulcastId)).url, 'rtmp://127.0.0.1:9/app');
    assert.equal((await client.simulcasts.update(s.streamId, sim.simulcastId, { isEnabled: false })).isEnabled, false);
    await client.simulcasts.delete(s.streamId, sim.simulcastId);

    await client.liveStreams.disable(s.streamId);
    assert.equal((await client.liveStreams.get(s.streamId)).status, 'disabled');
    await client.liveStreams.enable(s.streamId);
    assert.equal((await client.liveStreams.get(s.streamId)).status, 'idle');
    await assert.rejects(client.liveStreams.complete(s.streamId), (e: unknown) => e instanceof OnairApiError && e.status === 400 && e.message.startsWith('stream cannot be completed'));

    const key = await client.signingKeys.create();
    assert.match(Buffer.from(key.privateKey, 'base64').toString(), /BEGIN PRIVATE KEY/);
    assert.ok((await client.signingKeys.list()).data.some((k) => k.id === key.id));
    assert.match((await client.signingKeys.getById(key.id)).publicKey, /BEGIN PUBLIC KEY/);
    assert.deepEqual(await client.signingKeys.delete(key.id), { message: 'signing key deleted successfully' });

    const hook = await client.webhooks.create({ url: 'http://127.0.0.1:9/hook' });
    assert.ok(hook.secret && hook.secret.length > 10);
    assert.ok((await client.webhooks.list()).some((h) => h.id === hook.id && h.secret === undefined));
    assert.equal((await client.webhooks.update(hook.id, { isEnabled: false })).isEnabled, false);
    assert.equal((await client.webhooks.get(hook.id)).isEnabled, false);
    await client.webhooks.delete(hook.id);

    // on-demand media: none recorded here, so the list is empty and every per-media call is a typed 404
    const media = await client.media.list();
    assert.equal(media.pagination.totalRecords, 0);
    const nope = '00000000-0000-4000-8000-000000000000';
    const is404 = (e: unknown) => e instanceof OnairApiError && e.status === 404;
    for (const call of [
      () => client.media.get(nope), () => client.media.update(nope, { metadata: { a: 'b' } }), () => client.media.delete(nope),
      () => client.media.updateMp4Support(nope, 'capped_4k'), () => client.media.listClips(nope),
      () => client.mediaPlaybackIds.create(nope, { accessPolicy: 'public' }), () => client.mediaPlaybackIds.list(nope), () => client.mediaPlaybackIds.get(nope, nope),
      () => client.mediaPlaybackIds.delete(nope, nope), () => client.mediaPlaybackIds.updateDomainRestrictions(nope, nope, { defaultPolicy: 'allow' }),
      () => client.mediaPlaybackIds.updateUserAgentRestrictions(nope, nope, { defaultPolicy: 'allow' }),
    ]) await assert.rejects(call(), is404);

    await client.liveStreams.delete(s.streamId);
    await client.liveStreams.delete(s2.streamId);
    await assert.rejects(client.liveStreams.get(s.streamId), (e: unknown) => e instanceof OnairApiError && e.status === 404 && e.message.startsWith('stream not found'));

    // every recorded answer (errors included) validates against the document
    const apiCalls = seen.filter((x) => x.path.startsWith('/v1/') && x.path !== '/v1/openapi.json');
    assert.ok(apiCalls.length >= 30, `only ${apiCalls.length} calls recorded`);
    const covered = new Set<string>();
    for (const call of apiCalls) {
      const v = validatorFor(call.method, call.path, call.status);
      assert.ok(v(call.body), `${call.method} ${call.path} ${call.status}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(call.body)}`);
      const template = Object.keys(doc.paths).find((t) => templateRegex(t).test(call.path) && doc.paths[t]![call.method.toLowerCase()])!;
      covered.add(`${call.method} ${template}`);
    }
    assert.deepEqual([...covered].sort(), [...CLIENT_OPERATIONS].sort(), 'every client operation was exercised');
  });

  test('refusals carry FastPix error fields; wrong tokens, unknown ids and bad bodies are typed errors', async () => {
    const bad = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: 'wrong' });
    await assert.rejects(bad.liveStreams.list(), (e: unknown) => e instanceof OnairApiError && e.status === 401 && e.code === 401 && e.message.startsWith('unauthorized'));
    await assert.rejects(
      client.liveStreams.create({ playbackSettings: {}, inputMediaSettings: { reconnectWindow: 5 } }),
      (e: unknown) => e instanceof OnairApiError && e.status === 422 && (e.fields ?? []).some((f) => /reconnectWindow/.test(f.field)),
    );
    assert.equal(await client.system.health(), true);
    assert.match(await client.system.metrics(), /^# HELP onair_/m);
  });

  test('an unreachable server is an OnairConnectionError, not a raw fetch failure', async () => {
    const port = await freePort();
    const down = new OnairClient({ serverURL: `http://127.0.0.1:${port}/v1/`, tokenId: 'a', tokenSecret: 'b', timeoutMs: 2000 });
    assert.equal(down.serverURL, `http://127.0.0.1:${port}`);
    await assert.rejects(down.liveStreams.list(), (e: unknown) => e instanceof OnairConnectionError && /connection refused/.test(e.message));
  });
});
