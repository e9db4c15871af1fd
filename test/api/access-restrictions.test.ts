/**
 * Playback id access restrictions over HTTP on both engines: accessRestrictions on create, PATCH .../domains and
 * .../user-agents (FastPix node SDK livePlayback.updateDomainRestrictions / updateUserAgentRestrictions), where they
 * show up in answers, 404 / 422 / 401. Enforcement is in test/e2e/access-restrictions.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const OPEN = { defaultPolicy: 'allow', allow: [], deny: [] };

forEachEngine((engine, database) => {
  describe(`playback id access restrictions (${engine})`, () => {
    let srv: TestServer;
    const newStream = async () => (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data;
    before(async () => { srv = await startTestServer({ database: await database() }); });
    after(async () => { await srv?.stop(); });

    test('create with accessRestrictions (as the SDK docs show): echoed, missing halves filled as allow-all', async () => {
      const s = await newStream();
      const body = { accessPolicy: 'public', accessRestrictions: { domains: { defaultPolicy: 'deny', allow: ['Example.com', '*.example.org'], deny: [] } } };
      const c = await srv.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`, body);
      assert.equal(c.status, 201, c.text);
      const want = { domains: { defaultPolicy: 'deny', allow: ['example.com', '*.example.org'], deny: [] }, userAgents: OPEN };
      assert.deepEqual(c.body, { success: true, data: { id: c.body.data.id, accessPolicy: 'public', accessRestrictions: want } });
      const g = await srv.request('GET', `/v1/live/streams/${s.streamId}/playback-ids/${c.body.data.id}`);
      assert.deepEqual(g.body.data, c.body.data);
      // on the stream object too; the default id (no restrictions set) keeps the two-field shape of the live API
      const stream = (await srv.request('GET', `/v1/live/streams/${s.streamId}`)).body.data;
      assert.deepEqual(stream.playbackIds, [s.playbackIds[0], c.body.data]);
      assert.deepEqual(Object.keys(stream.playbackIds[0]), ['id', 'accessPolicy']);
      const listed = (await srv.request('GET', '/v1/live/streams?limit=50')).body.data.find((x: { streamId: string }) => x.streamId === s.streamId);
      assert.deepEqual(listed.playbackIds[1], c.body.data);
    });

    test('stream create: playbackSettings.accessRestrictions go to the first playback id; allow-all ones are not stored', async () => {
      const ua = { defaultPolicy: 'deny', allow: ['hls.js'], deny: [] };
      const c = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public', accessRestrictions: { userAgents: ua } }, inputMediaSettings: {} });
      assert.equal(c.status, 201, c.text);
      const pid = c.body.data.playbackIds[0];
      assert.deepEqual(pid.accessRestrictions, { domains: OPEN, userAgents: ua });
      const g = await srv.request('GET', `/v1/live/streams/${c.body.data.streamId}/playback-ids/${pid.id}`);
      assert.deepEqual(g.body.data, pid);
      // what the SDK sends when the caller leaves them at their defaults: nothing to restrict, nothing stored
      const all = { domains: OPEN, userAgents: OPEN };
      const d = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public', accessRestrictions: all }, inputMediaSettings: {} });
      assert.deepEqual(Object.keys(d.body.data.playbackIds[0]), ['id', 'accessPolicy']);
      const p = await srv.request('POST', `/v1/live/streams/${d.body.data.streamId}/playback-ids`, { accessPolicy: 'private', accessRestrictions: all });
      assert.deepEqual(Object.keys(p.body.data), ['id', 'accessPolicy']);
      const bad = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessRestrictions: { domains: { allow: ['not a host'] } } }, inputMediaSettings: {} });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.fields[0].field, 'allow');
    });

    test('PATCH domains and user-agents: 200 with the rule; each replaces its half only; survives a restart', async () => {
      const s = await newStream();
      const pid = s.playbackIds[0].id;
      const base = `/v1/live/streams/${s.streamId}/playback-ids/${pid}`;
      const d = await srv.request('PATCH', `${base}/domains`, { defaultPolicy: 'deny', allow: ['example.com'], deny: [] });
      assert.equal(d.status, 200, d.text);
      assert.deepEqual(d.body, { success: true, data: { defaultPolicy: 'deny', allow: ['example.com'], deny: [] } });
      let g = (await srv.request('GET', base)).body.data;
      assert.deepEqual(g.accessRestrictions, { domains: { defaultPolicy: 'deny', allow: ['example.com'], deny: [] }, userAgents: OPEN });
      const u = await srv.request('PATCH', `${base}/user-agents`, { defaultPolicy: 'allow', allow: ['Mozilla'] });
      assert.equal(u.status, 200, u.text);
      // the SDK's recorded answer: { defaultPolicy: 'allow', allow: ['Mozilla'], deny: [] }
      assert.deepEqual(u.body, { success: true, data: { defaultPolicy: 'allow', allow: ['Mozilla'], deny: [] } });
      g = (await srv.request('GET', base)).body.data;
      assert.deepEqual(g.accessRestrictions.userAgents, { defaultPolicy: 'allow', allow: ['Mozilla'], deny: [] });
      assert.deepEqual(g.accessRestrictions.domains.allow, ['example.com'], 'domains untouched by the user-agent PATCH');
      await srv.restart();
      assert.deepEqual((await srv.request('GET', base)).body.data, g);
      // an empty body resets the half to allow-all (defaultPolicy defaults to allow, lists to [])
      const reset = await srv.request('PATCH', `${base}/domains`, {});
      assert.deepEqual(reset.body.data, OPEN);
      assert.deepEqual((await srv.request('GET', base)).body.data.accessRestrictions.domains, OPEN);
    });

    test('404 for an unknown stream or playback id, same bodies as the other playback-id routes', async () => {
      const s = await newStream();
      const pid = s.playbackIds[0].id;
      for (const suffix of ['domains', 'user-agents']) {
        const nf = await srv.request('PATCH', `/v1/live/streams/98f28be5ac9bd7a4205634691a1a096b/playback-ids/${pid}/${suffix}`, { defaultPolicy: 'allow' });
        assert.equal(nf.status, 404);
        assert.deepEqual(nf.body, (await srv.request('GET', '/v1/live/streams/98f28be5ac9bd7a4205634691a1a096b')).body);
        const np = await srv.request('PATCH', `/v1/live/streams/${s.streamId}/playback-ids/5a3e5e0e-0000-4000-8000-000000000000/${suffix}`, { defaultPolicy: 'allow' });
        assert.equal(np.status, 404);
        assert.equal(np.body.error.message, 'stream/playbackId not found');
      }
      // an id of another stream is not found under this one
      const other = await newStream();
      assert.equal((await srv.request('PATCH', `/v1/live/streams/${other.streamId}/playback-ids/${pid}/domains`, {})).status, 404);
    });

    test('422 for bad policies, lists and entries (on PATCH and on create); 401 without credentials', async () => {
      const s = await newStream();
      const base = `/v1/live/streams/${s.streamId}/playback-ids/${s.playbackIds[0].id}`;
      const cases: [string, unknown, string][] = [
        ['domains', { defaultPolicy: 'maybe' }, 'defaultPolicy'],
        ['domains', { allow: 'example.com' }, 'allow'],
        ['domains', { allow: ['https://example.com/'] }, 'allow'],
        ['domains', { deny: [''] }, 'deny'],
        ['user-agents', { deny: [42] }, 'deny'],
        ['user-agents', { defaultPolicy: 'DENY' }, 'defaultPolicy'],
      ];
      for (const [suffix, body, field] of cases) {
        const r = await srv.request('PATCH', `${base}/${suffix}`, body);
        assert.equal(r.status, 422, `${suffix} ${JSON.stringify(body)}`);
        assert.equal(r.body.error.message, 'payload validation failed');
        assert.equal(r.body.error.fields[0].field, field, JSON.stringify(r.body));
      }
      const bad = await srv.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`, { accessRestrictions: { userAgents: { defaultPolicy: 'block' } } });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.fields[0].field, 'defaultPolicy');
      assert.equal((await srv.request('GET', base)).body.data.accessRestrictions, undefined, 'refused writes stored nothing');
      assert.equal((await srv.request('PATCH', `${base}/domains`, {}, { auth: null })).status, 401);
    });

    test('/v1/openapi.json documents both PATCH routes and accessRestrictions on playback ids', async () => {
      const doc = (await srv.request('GET', '/v1/openapi.json', undefined, { auth: null })).body;
      const d = doc.paths['/v1/live/streams/{streamId}/playback-ids/{playbackId}/domains']?.patch;
      const u = doc.paths['/v1/live/streams/{streamId}/playback-ids/{playbackId}/user-agents']?.patch;
      assert.equal(d?.operationId, 'update-live-stream-domain-restrictions');
      assert.equal(u?.operationId, 'update-live-stream-user-agent-restrictions');
      const create = doc.paths['/v1/live/streams/{streamId}/playback-ids'].post;
      assert.ok(create.requestBody.content['application/json'].schema.properties.accessRestrictions.properties.domains);
    });
  });
});
