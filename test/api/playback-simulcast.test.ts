/** Playback ids and simulcast targets of a stream, over HTTP on both engines. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

forEachEngine((engine, database) => {
  describe(`playback ids and simulcast (${engine})`, () => {
    let srv: TestServer;
    const newStream = async () => (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data;
    before(async () => { srv = await startTestServer({ database: await database() }); });
    after(async () => { await srv?.stop(); });

    test('playback ids: create (201), get by path, delete by query; they appear on the stream', async () => {
      const s = await newStream();
      const c = await srv.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`, { accessPolicy: 'private' });
      assert.equal(c.status, 201, c.text);
      assert.match(c.body.data.id, UUID);
      assert.deepEqual(c.body, { success: true, data: { id: c.body.data.id, accessPolicy: 'private' } });
      const dflt = await srv.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`);
      assert.equal(dflt.status, 201);
      assert.equal(dflt.body.data.accessPolicy, 'public');
      const g = await srv.request('GET', `/v1/live/streams/${s.streamId}/playback-ids/${c.body.data.id}`);
      assert.deepEqual(g.body, { success: true, data: { id: c.body.data.id, accessPolicy: 'private' } });
      const stream = await srv.request('GET', `/v1/live/streams/${s.streamId}`);
      assert.equal(stream.body.data.playbackIds.length, 3);
      const d = await srv.request('DELETE', `/v1/live/streams/${s.streamId}/playback-ids?playbackId=${c.body.data.id}`);
      assert.equal(d.status, 200);
      assert.deepEqual(d.body, { success: true });
      const gone = await srv.request('GET', `/v1/live/streams/${s.streamId}/playback-ids/${c.body.data.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.message, 'stream/playbackId not found');
      assert.equal((await srv.request('DELETE', `/v1/live/streams/${s.streamId}/playback-ids?playbackId=${c.body.data.id}`)).status, 404);
    });

    test('playback ids: bad policy 422, missing query 422, unknown stream 404', async () => {
      const s = await newStream();
      const bad = await srv.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`, { accessPolicy: 'drm' });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.fields[0].field, 'accessPolicy');
      const noq = await srv.request('DELETE', `/v1/live/streams/${s.streamId}/playback-ids`);
      assert.equal(noq.status, 422);
      assert.equal(noq.body.error.fields[0].field, 'playbackId');
      const nf = await srv.request('POST', '/v1/live/streams/ffff/playback-ids', { accessPolicy: 'public' });
      assert.equal(nf.status, 404);
      assert.equal(nf.body.error.message, 'stream not found');
      assert.equal((await srv.request('GET', `/v1/live/streams/ffff/playback-ids/${s.playbackIds[0].id}`)).status, 404);
    });

    test('simulcast: create, get, update (PUT), delete; listed on GET stream', async () => {
      const s = await newStream();
      const c = await srv.request('POST', `/v1/live/streams/${s.streamId}/simulcast`, { url: 'rtmp://hyd01.contribute.live-video.net/app/', streamKey: 'live_1012464221_x' });
      assert.equal(c.status, 201, c.text);
      const sim = c.body.data;
      assert.match(sim.simulcastId, /^[0-9a-f]{32}$/);
      assert.deepEqual(sim, { simulcastId: sim.simulcastId, url: 'rtmp://hyd01.contribute.live-video.net/app/', streamKey: 'live_1012464221_x', isEnabled: true });
      const g = await srv.request('GET', `/v1/live/streams/${s.streamId}/simulcast/${sim.simulcastId}`);
      assert.deepEqual(g.body, { success: true, data: sim });
      const stream = await srv.request('GET', `/v1/live/streams/${s.streamId}`);
      assert.deepEqual(stream.body.data.simulcastResponses, [sim]);
      const u = await srv.request('PUT', `/v1/live/streams/${s.streamId}/simulcast/${sim.simulcastId}`, { isEnabled: false, metadata: { simulcast_name: 'Tech today' } });
      assert.equal(u.status, 200, u.text);
      assert.deepEqual(u.body.data, { ...sim, isEnabled: false, metadata: { simulcast_name: 'Tech today' } });
      const d = await srv.request('DELETE', `/v1/live/streams/${s.streamId}/simulcast/${sim.simulcastId}`);
      assert.deepEqual(d.body, { success: true });
      const gone = await srv.request('GET', `/v1/live/streams/${s.streamId}/simulcast/${sim.simulcastId}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.message, 'stream/simulcast not found');
    });

    test('simulcast: validation 422, only while idle (400), no update once disabled', async () => {
      const s = await newStream();
      const missing = await srv.request('POST', `/v1/live/streams/${s.streamId}/simulcast`, { url: 'rtmp://x/app' });
      assert.equal(missing.status, 422);
      assert.equal(missing.body.error.fields[0].field, 'streamKey');
      const badUrl = await srv.request('POST', `/v1/live/streams/${s.streamId}/simulcast`, { url: 'ftp://x', streamKey: 'k' });
      assert.equal(badUrl.status, 422);
      assert.equal(badUrl.body.error.fields[0].field, 'url');
      const c = await srv.request('POST', `/v1/live/streams/${s.streamId}/simulcast`, { url: 'rtmps://x/app', streamKey: 'k', metadata: { a: 'b' } });
      assert.deepEqual(c.body.data.metadata, { a: 'b' });
      await srv.request('PUT', `/v1/live/streams/${s.streamId}/live-disable`);
      const refused = await srv.request('POST', `/v1/live/streams/${s.streamId}/simulcast`, { url: 'rtmp://x/app', streamKey: 'k2' });
      assert.equal(refused.status, 400);
      const noUpdate = await srv.request('PUT', `/v1/live/streams/${s.streamId}/simulcast/${c.body.data.simulcastId}`, { isEnabled: false });
      assert.equal(noUpdate.status, 400);
      assert.equal((await srv.request('GET', `/v1/live/streams/${s.streamId}/simulcast/${c.body.data.simulcastId}`)).body.data.isEnabled, true);
      assert.equal((await srv.request('POST', '/v1/live/streams/nope/simulcast', { url: 'rtmp://x/app', streamKey: 'k' })).status, 404);
      assert.equal((await srv.request('PUT', `/v1/live/streams/${s.streamId}/simulcast/nope`, {})).status, 404);
      assert.equal((await srv.request('DELETE', `/v1/live/streams/${s.streamId}/simulcast/nope`)).status, 404);
    });
  });
});
