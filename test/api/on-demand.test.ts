/**
 * /v1/on-demand over HTTP against the real server process, on SQLite and Postgres. Nothing records from the media
 * side in these tests: media rows are made through the Store's recorder methods by a second Store opened on the
 * server's own database (as a crashed-and-restarted recorder would find them), and their bytes through a
 * LocalSegmentStore on the server's `<data>/media`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MediaData } from '../../src/core/media-model.js';
import { LocalSegmentStore } from '../../src/store/local-segment-store.js';
import { segmentKeys } from '../../src/store/segment-store.js';
import { Store } from '../../src/store/store.js';
import { forEachEngine } from '../helpers/engines.js';
import { basicAuth, runCli, startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

const NOT_FOUND_MEDIA = "The requested resource (eg: mediaId) doesn't exist in the workspace";
const NOT_FOUND_PID = "The requested resource (eg: mediaId or playbackId) doesn't exist in the workspace";
const OPEN = { domains: { defaultPolicy: 'allow', allow: [], deny: [] }, userAgents: { defaultPolicy: 'allow', allow: [], deny: [] } };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectError(r: ApiResponse, status: number, message: string, description?: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(r.body.success, false);
  assert.equal(r.body.error.code, status);
  assert.equal(r.body.error.message, message, r.text);
  if (description !== undefined) assert.equal(r.body.error.description, description);
}

forEachEngine((engine, database) => {
  describe(`on-demand API (${engine})`, () => {
    let srv: TestServer;
    let seed: Store;
    let bytes: LocalSegmentStore;
    let dbArgs: string[];
    let streamId: string;
    let recording: MediaData;

    /** a finished recording of `streamId`: 12 segments of 1 s over two renditions, 1080p video + audio */
    const seedRecording = async (sid: string, segs = 12): Promise<MediaData> => {
      const m = (await seed.createRecordingMedia(sid))!;
      await seed.markMediaProcessing(m.mediaId, {
        sourceResolution: '1080',
        tracks: [
          { id: '6eb56a83-9a8b-47a5-94b2-cadb4458cf4d', type: 'video', width: 1920, height: 1080, frameRate: '30/1', status: 'available' },
          { id: '7eb56a83-9a8b-47a5-94b2-cadb4458cf4d', type: 'audio', status: 'available' },
        ],
      });
      for (let i = 0; i < segs; i++) {
        const key = segmentKeys.segment(m.mediaId, 'r0', i);
        await bytes.put(key, [Buffer.from(`moof${i}`), Buffer.from('mdat')]);
        await seed.addMediaSegment({ mediaId: m.mediaId, rendition: 'r0', seq: i, msn: 1000 + i, durationS: 1, key, size: 9, discontinuity: false, initKey: segmentKeys.init(m.mediaId, 'r0', 0) });
      }
      return (await seed.completeMedia(m.mediaId, { durationS: segs }))!;
    };

    before(async () => {
      const db = await database();
      srv = await startTestServer({ ...(db ? { database: db } : {}) });
      dbArgs = ['--data', srv.dataDir, ...(db ? ['--database', db] : [])];
      seed = await Store.open(db ?? join(srv.dataDir, 'onair.sqlite'));
      bytes = new LocalSegmentStore(join(srv.dataDir, 'media'));
      const s = await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: { mediaPolicy: 'private', maxResolution: '720p' } });
      streamId = s.body.data.streamId;
      recording = await seedRecording(streamId);
    });
    after(async () => {
      await seed?.close();
      await srv?.stop();
    });

    test('GET /v1/on-demand/{mediaId}: the recording as FastPix describes a media', async () => {
      const r = await srv.request('GET', `/v1/on-demand/${recording.mediaId}`);
      assert.equal(r.status, 200, r.text);
      const d = r.body.data;
      const pid = recording.playbackIds[0]!.id;
      assert.deepEqual(d, {
        thumbnail: `http://127.0.0.1:${srv.ports.playback}/${pid}/thumbnail.png`,
        id: recording.mediaId, workspaceId: d.workspaceId, streamId, metadata: {}, mediaQuality: 'standard',
        maxResolution: '720p', sourceResolution: '1080', status: 'Ready', sourceAccess: false,
        playbackIds: [{ id: pid, accessPolicy: 'private', accessRestrictions: OPEN }],
        tracks: [
          { id: '6eb56a83-9a8b-47a5-94b2-cadb4458cf4d', type: 'video', width: 1920, height: 1080, frameRate: '30/1', status: 'available' },
          { id: '7eb56a83-9a8b-47a5-94b2-cadb4458cf4d', type: 'audio', status: 'available' },
        ],
        generatedSubtitles: [], isAudioOnly: false, subtitleAvailable: false, duration: '00:00:12', aspectRatio: '16:9',
        createdAt: recording.createdAt, updatedAt: d.updatedAt,
      });
      assert.match(d.workspaceId, UUID);
      assert.ok(Date.parse(d.updatedAt) >= Date.parse(d.createdAt));
    });

    test('the stream\'s mediaIds come from its recordings (GET and list; not on create)', async () => {
      const g = await srv.request('GET', `/v1/live/streams/${streamId}`);
      assert.deepEqual(g.body.data.mediaIds, [recording.mediaId]);
      const l = await srv.request('GET', '/v1/live/streams?limit=50');
      assert.deepEqual(l.body.data.find((x: { streamId: string }) => x.streamId === streamId).mediaIds, [recording.mediaId]);
      const c = await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} });
      assert.equal('mediaIds' in c.body.data, false);
    });

    test('GET /v1/on-demand: 1-based pages of every media, orderBy createdAt, list items without track frameRate', async () => {
      const s2 = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
      await seedRecording(s2, 3);
      await seed.createRecordingMedia(s2); // one still recording (Created)
      const all = await srv.request('GET', '/v1/on-demand?limit=50&orderBy=asc');
      assert.equal(all.status, 200, all.text);
      const n = all.body.pagination.totalRecords;
      assert.ok(n >= 3);
      assert.equal(all.body.data.length, n);
      const created = all.body.data.map((m: { createdAt: string }) => m.createdAt);
      assert.deepEqual(created, [...created].sort(), 'asc by createdAt');
      assert.ok(all.body.data.every((m: { tracks: { type: string; frameRate?: string }[] }) => m.tracks.every((t) => t.type !== 'video' || !('frameRate' in t))));
      const createdOne = all.body.data.find((m: { status: string }) => m.status === 'Created');
      assert.ok(createdOne);
      assert.equal('thumbnail' in createdOne, false, 'no thumbnail before the media is Ready');
      assert.equal(createdOne.duration, '00:00:00');
      assert.ok(all.body.data.filter((m: { status: string }) => m.status === 'Ready').every((m: { thumbnail?: string }) => m.thumbnail?.endsWith('/thumbnail.png')));

      const desc = await srv.request('GET', '/v1/on-demand?limit=50');
      assert.deepEqual(desc.body.data.map((m: { id: string }) => m.id), all.body.data.map((m: { id: string }) => m.id).reverse(), 'desc is the default');
      const p1 = await srv.request('GET', '/v1/on-demand?limit=2&offset=1&orderBy=asc');
      const p2 = await srv.request('GET', '/v1/on-demand?limit=2&offset=2&orderBy=asc');
      assert.deepEqual(p1.body.data.map((m: { id: string }) => m.id), all.body.data.slice(0, 2).map((m: { id: string }) => m.id));
      assert.deepEqual(p2.body.data.map((m: { id: string }) => m.id), all.body.data.slice(2, 4).map((m: { id: string }) => m.id));
      assert.deepEqual(p2.body.pagination, { totalRecords: n, currentOffset: 2, offsetCount: Math.ceil(n / 2) });
      const past = await srv.request('GET', `/v1/on-demand?limit=50&offset=${n + 5}`);
      assert.deepEqual([past.status, past.body.data], [200, []]);
      for (const bad of ['limit=0', 'limit=51', 'offset=0', 'offset=x', 'orderBy=up']) {
        const r = await srv.request('GET', `/v1/on-demand?${bad}`);
        expectError(r, 422, 'payload validation failed');
        assert.equal(r.body.error.fields[0].field, bad.split('=')[0]);
      }
    });

    test('PATCH /v1/on-demand/{mediaId}: title, creatorId, metadata (replaced); video.media.updated queued', async () => {
      const m = await seedRecording(streamId, 2);
      const r = await srv.request('PATCH', `/v1/on-demand/${m.mediaId}`, { title: 'Match day', creatorId: 'user-7', metadata: { a: '1', b: '2' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.data.title, 'Match day');
      assert.equal(r.body.data.creatorId, 'user-7');
      assert.deepEqual(r.body.data.metadata, { a: '1', b: '2' });
      const r2 = await srv.request('PATCH', `/v1/on-demand/${m.mediaId}`, { metadata: { c: '3' } });
      assert.deepEqual(r2.body.data.metadata, { c: '3' });
      assert.equal(r2.body.data.title, 'Match day', 'fields not sent stay');
      assert.ok(r2.body.data.updatedAt > m.updatedAt);
      const g = await srv.request('GET', `/v1/on-demand/${m.mediaId}`);
      assert.deepEqual([g.body.data.title, g.body.data.metadata], ['Match day', { c: '3' }]);
      const ev = await seed.db.selectFrom('webhook_events').select('body').where('object_id', '=', m.mediaId).where('type', '=', 'video.media.updated').execute();
      assert.equal(ev.length, 2);
      assert.deepEqual(JSON.parse(ev.at(-1)!.body).object, { type: 'media', id: m.mediaId });

      for (const [body, field] of [
        [{ title: 'x'.repeat(256) }, 'title'], [{ creatorId: 7 }, 'creatorId'], [{ metadata: { k: 'v'.repeat(256) } }, 'metadata'],
        [{ metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
      ] as const) {
        const bad = await srv.request('PATCH', `/v1/on-demand/${m.mediaId}`, body);
        expectError(bad, 422, 'payload validation failed');
        assert.equal(bad.body.error.fields[0].field, field);
      }
      expectError(await srv.request('PATCH', '/v1/on-demand/00000000-0000-4000-8000-000000000000', { title: 't' }), 404, 'media not found', NOT_FOUND_MEDIA);
    });

    test('PATCH /v1/on-demand/{mediaId}/update-mp4Support: every enum value; anything else is a 422', async () => {
      for (const v of ['capped_4k', 'audioOnly', 'audioOnly,capped_4k', 'none']) {
        const r = await srv.request('PATCH', `/v1/on-demand/${recording.mediaId}/update-mp4Support`, { mp4Support: v });
        assert.equal(r.status, 200, r.text);
        // FastPix leaves mp4Support out of a media that has none
        assert.equal(r.body.data.mp4Support, v === 'none' ? undefined : v);
        assert.equal('mp4Support' in r.body.data, v !== 'none');
        assert.equal(r.body.data.id, recording.mediaId);
        assert.equal((await seed.listMediaPlaybackIds()).find((x) => x.mediaId === recording.mediaId)?.mp4Support, v);
      }
      for (const body of [{ mp4Support: 'mp4' }, {}, { mp4Support: true }]) {
        const r = await srv.request('PATCH', `/v1/on-demand/${recording.mediaId}/update-mp4Support`, body);
        expectError(r, 422, 'payload validation failed');
        assert.equal(r.body.error.fields[0].field, 'mp4Support');
      }
      expectError(await srv.request('PATCH', '/v1/on-demand/00000000-0000-4000-8000-000000000000/update-mp4Support', { mp4Support: 'none' }), 404, 'media not found');
    });

    test('playback ids of a media: create, list, get, domains / user-agents, delete; 404 shapes', async () => {
      const m = await seedRecording(streamId, 1);
      const base = `/v1/on-demand/${m.mediaId}/playback-ids`;
      const c = await srv.request('POST', base, { accessPolicy: 'public' });
      assert.equal(c.status, 201, c.text);
      assert.match(c.body.data.id, UUID);
      assert.deepEqual(c.body.data, { id: c.body.data.id, accessPolicy: 'public', accessRestrictions: OPEN });
      const restricted = { domains: { defaultPolicy: 'deny', allow: ['Example.com'] }, userAgents: { deny: ['curl'] } };
      const c2 = await srv.request('POST', base, { accessPolicy: 'private', accessRestrictions: restricted });
      assert.equal(c2.status, 201, c2.text);
      assert.deepEqual(c2.body.data.accessRestrictions, { domains: { defaultPolicy: 'deny', allow: ['example.com'], deny: [] }, userAgents: { defaultPolicy: 'allow', allow: [], deny: ['curl'] } });

      const l = await srv.request('GET', base);
      assert.equal(l.status, 200);
      assert.deepEqual(l.body.data.map((p: { id: string }) => p.id), [m.playbackIds[0]!.id, c.body.data.id, c2.body.data.id]);
      assert.equal('pagination' in l.body, false);
      const g = await srv.request('GET', `${base}/${c2.body.data.id}`);
      assert.deepEqual(g.body, { success: true, data: c2.body.data });

      const d = await srv.request('PATCH', `${base}/${c.body.data.id}/domains`, { defaultPolicy: 'deny', allow: ['*.example.org'] });
      assert.deepEqual(d.body, { success: true, data: { defaultPolicy: 'deny', allow: ['*.example.org'], deny: [] } });
      const u = await srv.request('PATCH', `${base}/${c.body.data.id}/user-agents`, { deny: ['BadBot'] });
      assert.deepEqual(u.body, { success: true, data: { defaultPolicy: 'allow', allow: [], deny: ['BadBot'] } });
      const g2 = await srv.request('GET', `${base}/${c.body.data.id}`);
      assert.deepEqual(g2.body.data.accessRestrictions, { domains: { defaultPolicy: 'deny', allow: ['*.example.org'], deny: [] }, userAgents: { defaultPolicy: 'allow', allow: [], deny: ['BadBot'] } });
      // the routes the playback listener loads follow
      const route = (await seed.listMediaPlaybackIds()).find((x) => x.playbackId === c.body.data.id);
      assert.deepEqual(route?.accessRestrictions?.domains.allow, ['*.example.org']);
      assert.equal(route?.mediaId, m.mediaId);

      expectError(await srv.request('PATCH', `${base}/${c.body.data.id}/domains`, { allow: ['not a domain!'] }), 422, 'payload validation failed');
      expectError(await srv.request('POST', base, { accessPolicy: 'drm' }), 400, 'drm not supported');
      expectError(await srv.request('POST', base, { accessPolicy: 'public', drmConfigurationId: '123e4567-e89b-12d3-a456-426614174000' }), 400, 'drm not supported');
      const noPolicy = await srv.request('POST', base, {});
      expectError(noPolicy, 422, 'payload validation failed');
      assert.equal(noPolicy.body.error.fields[0].field, 'accessPolicy');
      expectError(await srv.request('POST', base, { accessPolicy: 'open' }), 422, 'payload validation failed');

      assert.deepEqual((await srv.request('DELETE', `${base}?playbackId=${c.body.data.id}`)).body, { success: true });
      expectError(await srv.request('GET', `${base}/${c.body.data.id}`), 404, 'media/playbackId not found', NOT_FOUND_PID);
      expectError(await srv.request('DELETE', `${base}?playbackId=${c.body.data.id}`), 404, 'media/playbackId not found');
      expectError(await srv.request('PATCH', `${base}/${c.body.data.id}/user-agents`, { deny: [] }), 404, 'media/playbackId not found');
      expectError(await srv.request('DELETE', base), 422, 'payload validation failed');
      // a live stream's playback id is not a media's
      const livePid = (await srv.request('GET', `/v1/live/streams/${streamId}`)).body.data.playbackIds[0].id;
      expectError(await srv.request('GET', `${base}/${livePid}`), 404, 'media/playbackId not found');
      const unknown = '/v1/on-demand/00000000-0000-4000-8000-000000000000/playback-ids';
      expectError(await srv.request('POST', unknown, { accessPolicy: 'public' }), 404, 'media not found', NOT_FOUND_MEDIA);
      expectError(await srv.request('GET', unknown), 404, 'media not found');
      expectError(await srv.request('GET', `${unknown}/${livePid}`), 404, 'media not found');
      expectError(await srv.request('DELETE', `${unknown}?playbackId=${livePid}`), 404, 'media not found');
      expectError(await srv.request('PATCH', `${unknown}/${livePid}/domains`, {}), 404, 'media not found');
    });

    test('clips: live-clips lists a stream\'s clips (not its recordings), media-clips a recording\'s', async () => {
      const s = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: { mediaPolicy: 'public' } })).body.data.streamId;
      const rec = await seedRecording(s, 4);
      const c1 = (await seed.createClipMedia({ streamId: s, sourceMediaId: rec.mediaId, startS: 0, endS: 2 }))!.media;
      await seed.completeMedia(c1.mediaId, { durationS: 2, sourceResolution: '1080', tracks: rec.tracks });
      const c2 = (await seed.createClipMedia({ streamId: s, sourceMediaId: rec.mediaId, startS: 1, endS: 3, title: 'the goal' }))!.media;

      const lc = await srv.request('GET', `/v1/on-demand/${s}/live-clips?orderBy=asc`);
      assert.equal(lc.status, 200, lc.text);
      assert.deepEqual(lc.body.data.map((x: { id: string }) => x.id), [c1.mediaId, c2.mediaId]);
      assert.deepEqual(lc.body.pagination, { totalRecords: 2, currentOffset: 1, offsetCount: 1 });
      const first = lc.body.data[0];
      assert.deepEqual(Object.keys(first), ['thumbnail', 'id', 'workspaceId', 'streamId', 'maxResolution', 'sourceResolution', 'status', 'sourceAccess',
        'playbackIds', 'tracks', 'generatedSubtitles', 'isAudioOnly', 'subtitleAvailable', 'duration', 'aspectRatio', 'createdAt', 'updatedAt']);
      assert.deepEqual([first.status, first.duration, first.streamId], ['Ready', '00:00:02', s]);
      assert.equal(lc.body.data[1].title, 'the goal');
      assert.equal(lc.body.data[1].status, 'Created');
      const page2 = await srv.request('GET', `/v1/on-demand/${s}/live-clips?limit=1&offset=2&orderBy=asc`);
      assert.deepEqual(page2.body.data.map((x: { id: string }) => x.id), [c2.mediaId]);

      const mc = await srv.request('GET', `/v1/on-demand/${rec.mediaId}/media-clips?orderBy=desc`);
      assert.equal(mc.status, 200, mc.text);
      assert.deepEqual(mc.body.data.map((x: { id: string }) => x.id), [c2.mediaId, c1.mediaId]);
      assert.deepEqual(Object.keys(mc.body.data[1]), ['id', 'duration', 'status', 'thumbnail', 'createdAt', 'playbackIds']);
      assert.equal('thumbnail' in mc.body.data[0], false, 'the second clip is not Ready yet');
      assert.deepEqual(mc.body.data[1].playbackIds, [{ id: c1.playbackIds[0]!.id, accessPolicy: 'public' }]);
      assert.deepEqual(mc.body.pagination, { totalRecords: 2, currentOffset: 1, offsetCount: 1 });
      assert.deepEqual((await srv.request('GET', `/v1/on-demand/${c1.mediaId}/media-clips`)).body.data, [], 'a clip has no clips');
      expectError(await srv.request('GET', '/v1/on-demand/00000000-0000-4000-8000-000000000000/media-clips'), 404, 'media not found');
      expectError(await srv.request('GET', `/v1/on-demand/${rec.mediaId}/media-clips?limit=100`), 422, 'payload validation failed');
      // a clip is a media like any other
      assert.equal((await srv.request('GET', `/v1/on-demand/${c1.mediaId}`)).body.data.sourceMediaId, rec.mediaId);
    });

    test('DELETE /v1/on-demand/{mediaId}: rows, playback ids and stored segments go; others stay; then 404', async () => {
      const s = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
      const keep = await seedRecording(s, 2);
      const gone = await seedRecording(s, 3);
      await bytes.put(segmentKeys.download(gone.mediaId, 'capped-4k.mp4'), Buffer.from('mp4'));
      assert.equal((await bytes.list(segmentKeys.mediaPrefix(gone.mediaId))).length, 4);
      assert.deepEqual((await srv.request('GET', `/v1/live/streams/${s}`)).body.data.mediaIds, [keep.mediaId, gone.mediaId]);

      const d = await srv.request('DELETE', `/v1/on-demand/${gone.mediaId}`);
      assert.deepEqual([d.status, d.body], [200, { success: true }]);
      assert.deepEqual(await bytes.list(segmentKeys.mediaPrefix(gone.mediaId)), [], 'the stored segments are deleted');
      assert.equal((await bytes.list(segmentKeys.mediaPrefix(keep.mediaId))).length, 2, 'another media keeps its segments');
      expectError(await srv.request('GET', `/v1/on-demand/${gone.mediaId}`), 404, 'media not found', NOT_FOUND_MEDIA);
      expectError(await srv.request('GET', `/v1/on-demand/${gone.mediaId}/playback-ids`), 404, 'media not found');
      expectError(await srv.request('DELETE', `/v1/on-demand/${gone.mediaId}`), 404, 'media not found');
      assert.deepEqual((await srv.request('GET', `/v1/live/streams/${s}`)).body.data.mediaIds, [keep.mediaId]);
      assert.ok(!(await seed.listMediaPlaybackIds()).some((r) => r.mediaId === gone.mediaId));
      const ev = await seed.db.selectFrom('webhook_events').select('type').where('object_id', '=', gone.mediaId).orderBy('created_at').execute();
      assert.deepEqual(ev.map((e) => e.type), ['video.media.created', 'video.media.ready', 'video.media.deleted']);
    });

    test('unknown ids: 404 media not found in the FastPix shape (uuid or not)', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', streamId]) {
        expectError(await srv.request('GET', `/v1/on-demand/${id}`), 404, 'media not found', NOT_FOUND_MEDIA);
      }
      expectError(await srv.request('GET', '/v1/on-demand/98f28be5ac9bd7a4205634691a1a096b/live-clips'), 404, 'stream not found');
    });

    test('operations onair does not do answer 501 in the FastPix shape (after auth), never a 500 or a route 404', async () => {
      const id = recording.mediaId;
      const calls: [string, string, unknown?][] = [
        ['POST', '/v1/on-demand', { inputs: [{ type: 'video', url: 'https://static.fastpix.com/fp-sample-video.mp4' }], accessPolicy: 'public' }],
        ['POST', '/v1/on-demand/upload', { corsOrigin: '*', pushMediaSettings: { accessPolicy: 'public' } }],
        ['GET', '/v1/on-demand/uploads'],
        ['PUT', '/v1/on-demand/upload/abc/cancel'],
        ['GET', `/v1/on-demand/${id}/input-info`],
        ['PATCH', `/v1/on-demand/${id}/source-access`, { sourceAccess: true }],
        ['POST', `/v1/on-demand/${id}/tracks`, { tracks: { url: 'https://x/y.vtt', type: 'subtitle' } }],
        ['PATCH', `/v1/on-demand/${id}/tracks/t1`, {}],
        ['DELETE', `/v1/on-demand/${id}/tracks/t1`],
        ['POST', `/v1/on-demand/${id}/tracks/t1/generate-subtitles`, {}],
        ['PATCH', `/v1/on-demand/${id}/summary`, { generate: true }],
        ['PATCH', `/v1/on-demand/${id}/chapters`, { chapters: true }],
        ['PATCH', `/v1/on-demand/${id}/named-entities`, { namedEntities: true }],
        ['PATCH', `/v1/on-demand/${id}/moderation`, { moderation: { type: 'video' } }],
        ['GET', '/v1/on-demand/drm-configurations'],
        ['GET', '/v1/on-demand/drm-configurations/123'],
        ['GET', `/v1/on-demand/${id}/something-new`],
        ['POST', `/v1/on-demand/${id}/a/b/c`, {}],
        ['PUT', `/v1/on-demand/${id}`, {}],
      ];
      for (const [method, path, body] of calls) {
        const r = await srv.request(method, path, body);
        expectError(r, 501, 'not supported');
        assert.match(r.body.error.description, /onair/, `${method} ${path}`);
        const anon = await srv.request(method, path, body, { auth: null });
        assert.equal(anon.status, 401, `${method} ${path} without credentials`);
      }
    });

    test('tokens: a read token lists and gets, a write needs a write token (403)', async () => {
      const made = await runCli(['tokens', 'create', ...dbArgs, '--permission', 'read', '--json']);
      assert.equal(made.code, 0, made.stderr);
      const tok = JSON.parse(made.stdout.trim());
      const auth = basicAuth(tok.id, tok.secret);
      assert.equal((await srv.request('GET', '/v1/on-demand', undefined, { auth })).status, 200);
      assert.equal((await srv.request('GET', `/v1/on-demand/${recording.mediaId}`, undefined, { auth })).status, 200);
      assert.equal((await srv.request('GET', `/v1/on-demand/${recording.mediaId}/playback-ids`, undefined, { auth })).status, 200);
      assert.equal((await srv.request('PATCH', `/v1/on-demand/${recording.mediaId}`, { title: 'no' }, { auth })).status, 403);
      assert.equal((await srv.request('DELETE', `/v1/on-demand/${recording.mediaId}`, undefined, { auth })).status, 403);
      assert.equal((await srv.request('POST', `/v1/on-demand/${recording.mediaId}/playback-ids`, { accessPolicy: 'public' }, { auth })).status, 403);
      assert.equal((await srv.request('GET', `/v1/on-demand/${recording.mediaId}`, undefined, { auth: null })).status, 401);
    });

    test('/v1/openapi.json documents the on-demand operations with FastPix operation ids', async () => {
      const doc = (await srv.request('GET', '/v1/openapi.json', undefined, { auth: null })).body;
      const ops: [string, string, string][] = [
        ['/v1/on-demand', 'get', 'list-media'], ['/v1/on-demand/{mediaId}', 'get', 'get-media'], ['/v1/on-demand/{mediaId}', 'patch', 'updated-media'],
        ['/v1/on-demand/{mediaId}', 'delete', 'delete-media'], ['/v1/on-demand/{mediaId}/playback-ids', 'post', 'create-media-playback-id'],
        ['/v1/on-demand/{mediaId}/playback-ids', 'get', 'list-playback-ids'], ['/v1/on-demand/{mediaId}/playback-ids', 'delete', 'delete-media-playback-id'],
        ['/v1/on-demand/{mediaId}/playback-ids/{playbackId}', 'get', 'get-playback-id'],
        ['/v1/on-demand/{mediaId}/playback-ids/{playbackId}/domains', 'patch', 'update-domain-restrictions'],
        ['/v1/on-demand/{mediaId}/playback-ids/{playbackId}/user-agents', 'patch', 'update-user-agent-restrictions'],
        ['/v1/on-demand/{mediaId}/update-mp4Support', 'patch', 'updated-mp4Support'], ['/v1/on-demand/{mediaId}/media-clips', 'get', 'get-media-clips'],
        ['/v1/on-demand/{livestreamId}/live-clips', 'get', 'list-live-clips'], ['/v1/on-demand', 'post', 'create-media'],
      ];
      for (const [path, method, operationId] of ops) assert.equal(doc.paths[path]?.[method]?.operationId, operationId, `${method} ${path}`);
      const media = doc.paths['/v1/on-demand/{mediaId}'].get.responses['200'].content['application/json'].schema.properties.data;
      for (const f of ['id', 'workspaceId', 'status', 'playbackIds', 'tracks', 'duration', 'mp4Support', 'createdAt', 'updatedAt']) assert.ok(media.properties[f], f);
      assert.ok(!Object.keys(doc.paths).some((p) => p.includes('*')), 'the catch-all is not documented');
    });
  });
});
