/** GET /v1/on-demand/{livestreamId}/live-clips over HTTP on both engines (onair records nothing yet: always empty). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { basicAuth, runCli, startTestServer, type TestServer } from '../helpers/server.js';

forEachEngine((engine, database) => {
  describe(`live clips (${engine})`, () => {
    let srv: TestServer;
    let dbArgs: string[];
    let streamId: string;
    before(async () => {
      const db = await database();
      srv = await startTestServer({ ...(db ? { database: db } : {}) });
      dbArgs = ['--data', srv.dataDir, ...(db ? ['--database', db] : [])];
      streamId = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
    });
    after(async () => { await srv?.stop(); });

    test('a known stream has no clips: empty data, pagination echoes the page', async () => {
      const r = await srv.request('GET', `/v1/on-demand/${streamId}/live-clips`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { success: true, data: [], pagination: { totalRecords: 0, currentOffset: 1, offsetCount: 0 } });
      const p = await srv.request('GET', `/v1/on-demand/${streamId}/live-clips?limit=50&offset=3&orderBy=asc`);
      assert.equal(p.status, 200, p.text);
      assert.deepEqual(p.body, { success: true, data: [], pagination: { totalRecords: 0, currentOffset: 3, offsetCount: 0 } });
      // a disabled stream still answers (its clips would still exist)
      await srv.request('PUT', `/v1/live/streams/${streamId}/live-disable`);
      assert.equal((await srv.request('GET', `/v1/on-demand/${streamId}/live-clips?orderBy=desc`)).status, 200);
      await srv.request('PUT', `/v1/live/streams/${streamId}/live-enable`);
    });

    test('unknown or deleted stream: 404 stream not found, same body as other stream 404s', async () => {
      const r = await srv.request('GET', '/v1/on-demand/98f28be5ac9bd7a4205634691a1a096b/live-clips');
      assert.equal(r.status, 404);
      const other = await srv.request('GET', '/v1/live/streams/98f28be5ac9bd7a4205634691a1a096b');
      assert.deepEqual(r.body, other.body);
      assert.equal(r.body.error.message, 'stream not found');
      const gone = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
      assert.equal((await srv.request('DELETE', `/v1/live/streams/${gone}`)).status, 200);
      assert.equal((await srv.request('GET', `/v1/on-demand/${gone}/live-clips`)).status, 404);
    });

    test('bad query values: 422 payload validation failed naming the field', async () => {
      for (const bad of ['limit=0', 'limit=51', 'limit=abc', 'offset=0', 'orderBy=up']) {
        const r = await srv.request('GET', `/v1/on-demand/${streamId}/live-clips?${bad}`);
        assert.equal(r.status, 422, bad);
        assert.equal(r.body.success, false);
        assert.equal(r.body.error.code, 422);
        assert.equal(r.body.error.message, 'payload validation failed');
        assert.equal(r.body.error.fields[0].field, bad.split('=')[0]);
      }
    });

    test('401 without or with wrong credentials; a read token may list', async () => {
      for (const auth of [null, basicAuth(srv.tokenId, 'wrong')]) {
        const r = await srv.request('GET', `/v1/on-demand/${streamId}/live-clips`, undefined, { auth });
        assert.equal(r.status, 401);
        assert.equal(r.body.error.message, 'unauthorized');
      }
      const made = await runCli(['tokens', 'create', ...dbArgs, '--permission', 'read', '--json']);
      assert.equal(made.code, 0, made.stderr);
      const tok = JSON.parse(made.stdout.trim());
      const r = await srv.request('GET', `/v1/on-demand/${streamId}/live-clips`, undefined, { auth: basicAuth(tok.id, tok.secret) });
      assert.equal(r.status, 200);
      // a write on the stream with the same token is refused (403), the clip list is a read
      const w = await srv.request('PATCH', `/v1/live/streams/${streamId}`, { reconnectWindow: 90 }, { auth: basicAuth(tok.id, tok.secret) });
      assert.equal(w.status, 403);
    });

    test('/v1/openapi.json documents the route and the clip item', async () => {
      const doc = (await srv.request('GET', '/v1/openapi.json', undefined, { auth: null })).body;
      const op = doc.paths['/v1/on-demand/{livestreamId}/live-clips']?.get;
      assert.ok(op, 'route documented');
      assert.equal(op.operationId, 'list-live-clips');
      assert.deepEqual(op.parameters.map((p: { name: string }) => p.name).sort(), ['limit', 'livestreamId', 'offset', 'orderBy']);
      const item = op.responses['200'].content['application/json'].schema.properties.data.items;
      for (const f of ['id', 'workspaceId', 'streamId', 'status', 'playbackIds', 'tracks', 'duration', 'createdAt', 'updatedAt', 'mp4Support']) {
        assert.ok(item.properties[f], `clip field ${f}`);
      }
      assert.ok(item.properties.playbackIds.items.properties.accessRestrictions.properties.userAgents);
      assert.ok(op.responses['404'] && op.responses['422'] && op.responses['401']);
    });
  });
});
