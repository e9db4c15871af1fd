/** /v1/live/streams over HTTP against the real server process, on SQLite and Postgres. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICRO_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

const minimal = { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} };

forEachEngine((engine, database) => {
  describe(`live streams (${engine})`, () => {
    let srv: TestServer;
    before(async () => { srv = await startTestServer({ database: await database() }); });
    after(async () => { await srv?.stop(); });

    const create = async (body: unknown = minimal) => {
      const r = await srv.request('POST', '/v1/live/streams', body);
      assert.equal(r.status, 201, r.text);
      return r.body.data;
    };

    test('create answers 201 with every LiveStream field and FastPix defaults', async () => {
      const r = await srv.request('POST', '/v1/live/streams', {
        playbackSettings: { accessPolicy: 'private' },
        inputMediaSettings: { maxResolution: '720p', reconnectWindow: 120, mediaPolicy: 'private', metadata: { name: 'show' }, enableDvrMode: true },
      });
      assert.equal(r.status, 201, r.text);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(r.body.success, true);
      const s = r.body.data;
      assert.deepEqual(Object.keys(s), ['streamId', 'streamKey', 'srtSecret', 'trial', 'status', 'maxResolution', 'maxDuration', 'createdAt',
        'reconnectWindow', 'enableRecording', 'enableDvrMode', 'mediaPolicy', 'metadata', 'lowLatency', 'closedCaptions', 'playbackIds', 'srtPlaybackResponse']);
      assert.match(s.streamId, HEX32);
      assert.equal(s.streamKey, s.streamKey.slice(0, 32) + 'k' + s.streamId);
      assert.match(s.streamKey.slice(0, 32), HEX32);
      assert.match(s.srtSecret, new RegExp(`^[0-9a-f]{32}k${s.streamId}$`));
      assert.notEqual(s.srtSecret, s.streamKey);
      assert.ok(s.srtSecret.length >= 10 && s.srtSecret.length <= 79, 'srtSecret usable as an SRT passphrase');
      assert.equal(s.trial, false);
      assert.equal(s.status, 'idle');
      assert.equal(s.maxResolution, '720p');
      assert.equal(s.maxDuration, 0);
      assert.match(s.createdAt, MICRO_ISO);
      assert.equal(s.reconnectWindow, 120);
      assert.equal(s.enableRecording, true);
      assert.equal(s.enableDvrMode, true);
      assert.equal(s.mediaPolicy, 'private');
      assert.deepEqual(s.metadata, { name: 'show' });
      assert.equal(s.lowLatency, false);
      assert.equal(s.closedCaptions, false);
      assert.equal(s.playbackIds.length, 1);
      assert.match(s.playbackIds[0].id, UUID);
      assert.equal(s.playbackIds[0].accessPolicy, 'private');
      assert.equal(s.srtPlaybackResponse.srtPlaybackStreamId, `play${s.streamId}`);
      assert.ok(s.srtPlaybackResponse.srtPlaybackSecret.length >= 10);
    });

    test('create applies defaults and accepts maxDuration, enableRecording, lowLatency, closedCaptions', async () => {
      const d = await create();
      assert.equal(d.maxResolution, '1080p');
      assert.equal(d.reconnectWindow, 60);
      assert.equal(d.mediaPolicy, 'public');
      assert.equal(d.enableDvrMode, false);
      assert.deepEqual(d.metadata, {});
      assert.equal(d.playbackIds[0].accessPolicy, 'public');
      const e = await create({ playbackSettings: {}, inputMediaSettings: { maxDuration: 600, enableRecording: false, lowLatency: true, closedCaptions: true } });
      assert.equal(e.maxDuration, 600);
      assert.equal(e.enableRecording, false);
      assert.equal(e.lowLatency, true);
      assert.equal(e.closedCaptions, true);
    });

    test('keys and secrets are unique per stream', async () => {
      const a = await create();
      const b = await create();
      assert.notEqual(a.streamId, b.streamId);
      assert.notEqual(a.streamKey.slice(0, 32), b.streamKey.slice(0, 32));
      assert.notEqual(a.srtSecret, b.srtSecret);
    });

    test('get returns the stored fields (no mediaIds before a recording); unknown id is 404 in the FastPix shape', async () => {
      const c = await create({ playbackSettings: {}, inputMediaSettings: { metadata: { a: '1' } } });
      const r = await srv.request('GET', `/v1/live/streams/${c.streamId}`);
      assert.equal(r.status, 200);
      assert.equal('mediaIds' in r.body.data, false, 'the live API leaves out an empty mediaIds');
      assert.deepEqual(r.body.data.metadata, { a: '1' });
      assert.equal(r.body.data.streamKey, c.streamKey);
      assert.equal(r.body.data.simulcastResponses, undefined);
      const nf = await srv.request('GET', '/v1/live/streams/00000000000000000000000000000000');
      assert.equal(nf.status, 404);
      assert.deepEqual(nf.body, { success: false, error: { code: 404, message: 'stream not found', description: "The requested resource (eg: streamId) doesn't exist in the workspace" } });
    });

    test('list paginates by 1-based page, orders by createdAt, omits empty metadata', async () => {
      const before = (await srv.request('GET', '/v1/live/streams')).body.pagination.totalRecords as number;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await srv.request('POST', '/v1/live/streams', i === 0 ? { ...minimal, inputMediaSettings: { metadata: { n: '0' } } } : minimal);
        ids.push(r.body.data.streamId);
      }
      const total = before + 5;
      const p1 = await srv.request('GET', '/v1/live/streams?limit=2');
      assert.equal(p1.status, 200);
      assert.deepEqual(p1.body.pagination, { totalRecords: total, currentOffset: 1, offsetCount: Math.ceil(total / 2) });
      assert.deepEqual(p1.body.data.map((s: { streamId: string }) => s.streamId), [ids[4], ids[3]]);
      const p3 = await srv.request('GET', '/v1/live/streams?limit=2&offset=3');
      assert.equal(p3.body.pagination.currentOffset, 3);
      assert.equal(p3.body.data[0].streamId, ids[0]);
      assert.deepEqual(p3.body.data[0].metadata, { n: '0' });
      const asc = await srv.request('GET', '/v1/live/streams?orderBy=asc&limit=50');
      assert.deepEqual(asc.body.data.map((s: { streamId: string }) => s.streamId).slice(-5), ids);
      const second = asc.body.data.find((s: { streamId: string }) => s.streamId === ids[1]);
      assert.equal('metadata' in second, false, 'empty metadata omitted from list items');
      assert.equal('mediaIds' in second, false, 'empty mediaIds omitted from list items');
      const dflt = await srv.request('GET', '/v1/live/streams');
      assert.equal(dflt.body.data.length, Math.min(10, total));
      assert.deepEqual(dflt.body.pagination, { totalRecords: total, currentOffset: 1, offsetCount: Math.ceil(total / 10) });
      const beyond = await srv.request('GET', '/v1/live/streams?offset=99');
      assert.deepEqual(beyond.body.data, []);
      for (const bad of ['limit=0', 'limit=51', 'limit=abc', 'offset=0', 'orderBy=up']) {
        const r = await srv.request('GET', `/v1/live/streams?${bad}`);
        assert.equal(r.status, 422, bad);
        assert.equal(r.body.error.message, 'payload validation failed');
        assert.equal(r.body.error.fields[0].field, bad.split('=')[0]);
      }
    });

    test('patch replaces metadata and reconnectWindow; refused once disabled', async () => {
      const c = await create({ playbackSettings: {}, inputMediaSettings: { metadata: { name: 'x' } } });
      const r = await srv.request('PATCH', `/v1/live/streams/${c.streamId}`, { metadata: { updated: 'true' }, reconnectWindow: 300 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.data.metadata, { updated: 'true' });
      assert.equal(r.body.data.reconnectWindow, 300);
      assert.equal(r.body.data.mediaIds, undefined);
      const g = await srv.request('GET', `/v1/live/streams/${c.streamId}`);
      assert.deepEqual(g.body.data.metadata, { updated: 'true' });
      assert.equal((await srv.request('PUT', `/v1/live/streams/${c.streamId}/live-disable`)).status, 200);
      const p = await srv.request('PATCH', `/v1/live/streams/${c.streamId}`, { reconnectWindow: 100 });
      assert.equal(p.status, 400);
      assert.equal(p.body.success, false);
      assert.equal(p.body.error.code, 400);
      const after = await srv.request('GET', `/v1/live/streams/${c.streamId}`);
      assert.equal(after.body.data.reconnectWindow, 300);
      assert.equal((await srv.request('PATCH', '/v1/live/streams/ffffffffffffffffffffffffffffffff', {})).status, 404);
    });

    test('live-disable / live-enable move disabled <-> idle and refuse repeats with 400', async () => {
      const c = await create();
      const d1 = await srv.request('PUT', `/v1/live/streams/${c.streamId}/live-disable`);
      assert.equal(d1.status, 200);
      assert.deepEqual(d1.body, { success: true });
      assert.equal((await srv.request('GET', `/v1/live/streams/${c.streamId}`)).body.data.status, 'disabled');
      const d2 = await srv.request('PUT', `/v1/live/streams/${c.streamId}/live-disable`);
      assert.equal(d2.status, 400);
      assert.deepEqual(d2.body.error, { code: 400, message: 'stream already disabled', description: 'The requested stream is already disabled.' });
      const e1 = await srv.request('PUT', `/v1/live/streams/${c.streamId}/live-enable`, undefined, { headers: { 'content-type': 'application/json' } });
      assert.equal(e1.status, 200, e1.text);
      assert.deepEqual(e1.body, { success: true });
      assert.equal((await srv.request('GET', `/v1/live/streams/${c.streamId}`)).body.data.status, 'idle');
      const e2 = await srv.request('PUT', `/v1/live/streams/${c.streamId}/live-enable`);
      assert.equal(e2.status, 400);
      assert.equal(e2.body.error.message, 'stream is already enabled');
      assert.equal((await srv.request('PUT', '/v1/live/streams/0123/live-enable')).status, 404);
      assert.equal((await srv.request('PUT', '/v1/live/streams/0123/live-disable')).status, 404);
    });

    test('finish on an idle stream is the exact FastPix 400; unknown stream 404', async () => {
      const c = await create();
      const r = await srv.request('PUT', `/v1/live/streams/${c.streamId}/finish`);
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, { success: false, error: { code: 400, message: 'stream cannot be completed', description: 'Only active streams can be marked as completed.' } });
      assert.equal((await srv.request('PUT', '/v1/live/streams/nope/finish')).status, 404);
    });

    test('viewer-count answers {views} (0 without the media plane)', async () => {
      const c = await create();
      const r = await srv.request('GET', `/v1/live/streams/${c.streamId}/viewer-count`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { success: true, data: { views: 0 } });
      assert.equal((await srv.request('GET', '/v1/live/streams/nope/viewer-count')).status, 404);
    });

    test('delete removes the stream for good', async () => {
      const c = await create();
      const r = await srv.request('DELETE', `/v1/live/streams/${c.streamId}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { success: true });
      assert.equal((await srv.request('GET', `/v1/live/streams/${c.streamId}`)).status, 404);
      assert.equal((await srv.request('DELETE', `/v1/live/streams/${c.streamId}`)).status, 404);
    });
  });
});
