/**
 * Wire compatibility of /v1/on-demand with FastPix's official Node SDK (`manageVideos` / `media` get, list,
 * update, mp4Support, media clips; `playback.*` for media playback ids; `liveStreams` live clips), against the real
 * server process on SQLite. Media are made through the Store's recorder methods (nothing records in this test).
 *
 * Responses are checked against what the SDK's inbound zod schemas need (node-sdk src/models: getmediaresponse,
 * getallmediaresponse, livemediaclips, mediaclipresponse, createplaybackid, playbackid: every field optional or
 * nullable, `types.date()` for createdAt/updatedAt, numbers for track sizes), with the exact success status per
 * operation and an application/json type; key sets and their order follow the answers recorded from the real API
 * (node-sdk tests/artifacts: get-media.api.json, list-media.api.json, list-playback-ids.api.json,
 * get-playback-id.api.json, create-media-playback-id.raw.json, updated-mp4Support.raw.json).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { MediaData } from '../../src/core/media-model.js';
import { segmentKeys } from '../../src/store/segment-store.js';
import { Store } from '../../src/store/store.js';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

const DateTime = Type.String({ pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:?\\d\\d)$' });
const Str = Type.String();
const Int = Type.Integer();
const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const lit = (...v: string[]) => Type.Union(v.map((x) => Type.Literal(x)));
const Rule = Type.Object({ defaultPolicy: lit('allow', 'deny'), allow: Type.Array(Str), deny: Type.Array(Str) }, { additionalProperties: false });
const Restrictions = Type.Object({ domains: Rule, userAgents: Rule }, { additionalProperties: false });
const PlaybackIdWire = Type.Object({ id: Uuid, accessPolicy: lit('public', 'private', 'drm'), accessRestrictions: Restrictions }, { additionalProperties: false });
const Video = Type.Object({ id: Str, type: Type.Literal('video'), width: Type.Number(), height: Type.Number(), frameRate: Type.Optional(Str), status: Str }, { additionalProperties: false });
const Audio = Type.Object({ id: Str, type: Type.Literal('audio'), status: Str, languageCode: Type.Optional(Str), languageName: Type.Optional(Str) }, { additionalProperties: false });
const MEDIA_STATUS = lit('Created', 'Downloading', 'Downloaded', 'Validating', 'In Queue', 'Processing', 'Ready', 'Failed');
const MediaWire = Type.Object({
  thumbnail: Type.Optional(Str), id: Uuid, sourceMediaId: Type.Optional(Uuid), workspaceId: Uuid, streamId: Type.Optional(Str),
  metadata: Type.Record(Str, Str), mediaQuality: lit('standard', 'pro', 'premium'), creatorId: Type.Optional(Str), title: Type.Optional(Str),
  maxResolution: lit('2160p', '1440p', '1080p', '720p', '480p'),
  sourceResolution: Type.Optional(lit('2160p', '2160', '1440p', '1440', '1080p', '1080', '720p', '720', '480p', '480')),
  status: MEDIA_STATUS, mp4Support: Type.Optional(lit('none', 'capped_4k', 'audioOnly', 'audioOnly,capped_4k')), sourceAccess: Type.Boolean(),
  playbackIds: Type.Array(PlaybackIdWire), tracks: Type.Array(Type.Union([Video, Audio])), generatedSubtitles: Type.Array(Type.Object({ status: Str, url: Type.Optional(Type.Union([Str, Type.Null()])) })),
  isAudioOnly: Type.Boolean(), subtitleAvailable: Type.Boolean(), duration: Type.String({ pattern: '^\\d\\d:\\d\\d:\\d\\d$' }),
  aspectRatio: Type.Optional(Str), createdAt: DateTime, updatedAt: DateTime,
}, { additionalProperties: false });
const LiveClipWire = Type.Object({
  thumbnail: Type.Optional(Str), id: Uuid, workspaceId: Uuid, streamId: Str, creatorId: Type.Optional(Str), title: Type.Optional(Str),
  maxResolution: lit('2160p', '1440p', '1080p', '720p', '480p'), sourceResolution: Type.Optional(Str), status: MEDIA_STATUS, sourceAccess: Type.Boolean(),
  playbackIds: Type.Array(PlaybackIdWire), tracks: Type.Array(Type.Union([Video, Audio])), mp4Support: Type.Optional(Str),
  generatedSubtitles: Type.Array(Type.Unknown()), isAudioOnly: Type.Boolean(), subtitleAvailable: Type.Boolean(), duration: Str, aspectRatio: Type.Optional(Str),
  createdAt: DateTime, updatedAt: DateTime,
}, { additionalProperties: false });
const MediaClipWire = Type.Object({
  id: Uuid, duration: Str, status: MEDIA_STATUS, thumbnail: Type.Optional(Type.String({ pattern: '^https?://' })), createdAt: DateTime,
  playbackIds: Type.Array(Type.Object({ id: Uuid, accessPolicy: Str }, { additionalProperties: false })),
}, { additionalProperties: false });
const Pagination = Type.Object({ totalRecords: Int, currentOffset: Int, offsetCount: Int }, { additionalProperties: false });
const ok = (data?: TSchema, pagination = false) => Type.Object({
  success: Type.Literal(true), ...(data ? { data } : {}), ...(pagination ? { pagination: Pagination } : {}),
}, { additionalProperties: false });
const ErrorWire = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({ code: Int, message: Str, description: Type.Optional(Str), fields: Type.Optional(Type.Array(Type.Object({ field: Str, message: Str }))) }, { additionalProperties: false }),
}, { additionalProperties: false });

function expectParse(r: ApiResponse, status: number, schema: TSchema): void {
  assert.equal(r.status, status, r.text);
  assert.equal((r.headers.get('content-type') ?? '').toLowerCase().split(/\s*;\s*/)[0], 'application/json');
  assert.deepEqual([...Value.Errors(schema, r.body)].map((e) => `${e.path}: ${e.message}`), [], r.text);
}

/** recorded get-media (Ready) key order; onair adds `streamId` after workspaceId (the media's live stream) */
const GET_MEDIA_KEYS = ['thumbnail', 'id', 'workspaceId', 'streamId', 'metadata', 'mediaQuality', 'maxResolution', 'sourceResolution', 'status', 'sourceAccess',
  'playbackIds', 'tracks', 'generatedSubtitles', 'isAudioOnly', 'subtitleAvailable', 'duration', 'aspectRatio', 'createdAt', 'updatedAt'];
/** recorded list-media item of a media still Created: no thumbnail, no aspectRatio, no mp4Support */
const LIST_CREATED_KEYS = ['id', 'workspaceId', 'streamId', 'metadata', 'mediaQuality', 'maxResolution', 'status', 'sourceAccess', 'playbackIds', 'tracks',
  'generatedSubtitles', 'isAudioOnly', 'subtitleAvailable', 'duration', 'createdAt', 'updatedAt'];

describe('FastPix Node SDK wire compatibility: on-demand (sqlite)', () => {
  let srv: TestServer;
  let seed: Store;
  let streamId: string;
  let ready: MediaData;
  let live: MediaData;

  before(async () => {
    srv = await startTestServer();
    seed = await Store.open(join(srv.dataDir, 'onair.sqlite'));
    streamId = (await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { maxResolution: '720p', mediaPolicy: 'public' } })).body.data.streamId;
    const m = (await seed.createRecordingMedia(streamId))!;
    await seed.markMediaProcessing(m.mediaId, {
      sourceResolution: '1080',
      tracks: [
        { id: '0d7cf616-8f43-4372-9d7d-cef1b1cf0c58', type: 'video', width: 1920, height: 1080, frameRate: '60.000', status: 'available' },
        { id: 'bb81b65e-967b-4e3a-b15f-cb900bd33fc2', type: 'audio', status: 'available', languageCode: 'und', languageName: 'default' },
      ],
    });
    await seed.addMediaSegment({ mediaId: m.mediaId, rendition: 'r0', seq: 0, msn: 1, durationS: 10, key: segmentKeys.segment(m.mediaId, 'r0', 0), size: 1, discontinuity: false, initKey: segmentKeys.init(m.mediaId, 'r0', 0) });
    ready = (await seed.completeMedia(m.mediaId, { durationS: 10 }))!;
    live = (await seed.createRecordingMedia(streamId))!;
  });
  after(async () => {
    await seed?.close();
    await srv?.stop();
  });

  test('manageVideos.get (get-media): 200, GetMediaResponse types, the recorded key order', async () => {
    const r = await srv.request('GET', `/v1/on-demand/${ready.mediaId}`);
    expectParse(r, 200, ok(MediaWire));
    assert.deepEqual(Object.keys(r.body.data), GET_MEDIA_KEYS);
    assert.deepEqual(Object.keys(r.body.data.tracks[0]), ['id', 'type', 'width', 'height', 'frameRate', 'status']);
    assert.deepEqual(Object.keys(r.body.data.tracks[1]), ['id', 'type', 'status', 'languageCode', 'languageName']);
    assert.deepEqual(Object.keys(r.body.data.playbackIds[0]), ['id', 'accessPolicy', 'accessRestrictions']);
  });

  test('media list (list-media): SDK defaults in the query, GetAllMediaResponse items, a Created media as recorded', async () => {
    const r = await srv.request('GET', '/v1/on-demand?limit=10&offset=1&orderBy=desc');
    expectParse(r, 200, ok(Type.Array(MediaWire), true));
    const created = r.body.data.find((x: { id: string }) => x.id === live.mediaId);
    assert.deepEqual(Object.keys(created), LIST_CREATED_KEYS);
    assert.equal(created.duration, '00:00:00');
    const item = r.body.data.find((x: { id: string }) => x.id === ready.mediaId);
    assert.equal('frameRate' in item.tracks[0], false, 'VideoTrackForGetAll has no frameRate');
    assert.deepEqual(r.body.pagination, { totalRecords: 2, currentOffset: 1, offsetCount: 1 });
  });

  test('updated-media and updated-mp4Support: 200 with the Media object; mp4Support appears once set', async () => {
    const u = await srv.request('PATCH', `/v1/on-demand/${ready.mediaId}`, { metadata: { updated: 'true' }, title: 'sdk validate title', creatorId: '8fa85f64-5717-4562-b3fc-2c963f66afa6' });
    expectParse(u, 200, ok(MediaWire));
    assert.deepEqual(Object.keys(u.body.data).slice(0, 8), ['thumbnail', 'id', 'workspaceId', 'streamId', 'metadata', 'mediaQuality', 'creatorId', 'title']);
    const m = await srv.request('PATCH', `/v1/on-demand/${ready.mediaId}/update-mp4Support`, { mp4Support: 'capped_4k' });
    expectParse(m, 200, ok(MediaWire));
    const keys = Object.keys(m.body.data);
    assert.equal(keys[keys.indexOf('status') + 1], 'mp4Support', 'mp4Support right after status, as recorded');
    assert.equal(m.body.data.mp4Support, 'capped_4k');
  });

  test('playback.* for media playback ids: create 201, list, get, domains / user-agents, delete', async () => {
    const base = `/v1/on-demand/${ready.mediaId}/playback-ids`;
    // the SDK's CreateMediaPlaybackIdRequest body
    const c = await srv.request('POST', base, { accessPolicy: 'public', accessRestrictions: { domains: { defaultPolicy: 'allow', allow: [], deny: [] }, userAgents: { defaultPolicy: 'allow', allow: [], deny: [] } } });
    expectParse(c, 201, ok(PlaybackIdWire));
    assert.deepEqual(Object.keys(c.body.data), ['id', 'accessPolicy', 'accessRestrictions']);
    const l = await srv.request('GET', base);
    expectParse(l, 200, ok(Type.Array(PlaybackIdWire)));
    assert.equal(l.body.data.length, 2);
    expectParse(await srv.request('GET', `${base}/${c.body.data.id}`), 200, ok(PlaybackIdWire));
    for (const suffix of ['domains', 'user-agents']) {
      const p = await srv.request('PATCH', `${base}/${c.body.data.id}/${suffix}`, { defaultPolicy: 'deny', allow: suffix === 'domains' ? ['yourdomain.com'] : ['Mozilla/5.0'], deny: [] });
      expectParse(p, 200, ok(Rule));
    }
    const d = await srv.request('DELETE', `${base}?playbackId=${c.body.data.id}`);
    expectParse(d, 200, ok());
    const gone = await srv.request('GET', `${base}/${c.body.data.id}`);
    expectParse(gone, 404, ErrorWire);
    assert.equal(gone.body.error.message, 'media/playbackId not found');
  });

  test('liveStreams live clips and media clips: Live-Media-Clips and MediaClipResponse items', async () => {
    const clip = (await seed.createClipMedia({ streamId, sourceMediaId: ready.mediaId, startS: 2, endS: 8 }))!.media;
    await seed.completeMedia(clip.mediaId, { durationS: 6, sourceResolution: '1080', tracks: ready.tracks });
    const lc = await srv.request('GET', `/v1/on-demand/${streamId}/live-clips?limit=10&offset=1&orderBy=desc`);
    expectParse(lc, 200, ok(Type.Array(LiveClipWire), true));
    assert.equal(lc.body.data.length, 1);
    assert.equal(lc.body.data[0].duration, '00:00:06');
    const mc = await srv.request('GET', `/v1/on-demand/${ready.mediaId}/media-clips?offset=1&limit=10&orderBy=desc`);
    expectParse(mc, 200, ok(Type.Array(MediaClipWire), true));
    assert.equal(mc.body.data[0].id, clip.mediaId);
    const empty = await srv.request('GET', `/v1/on-demand/${clip.mediaId}/media-clips`);
    assert.deepEqual(empty.body, { success: true, data: [], pagination: { totalRecords: 0, currentOffset: 1, offsetCount: 0 } }, 'as recorded for a media without clips');
  });

  test('errors parse as the SDK\'s MediaNotFoundError / default error: code, message, description', async () => {
    const nf = await srv.request('GET', '/v1/on-demand/4fa85f64-5717-4562-b3fc-2c963f66afa6');
    expectParse(nf, 404, ErrorWire);
    assert.deepEqual(nf.body.error, { code: 404, message: 'media not found', description: "The requested resource (eg: mediaId) doesn't exist in the workspace" });
    const v = await srv.request('PATCH', `/v1/on-demand/${ready.mediaId}/update-mp4Support`, { mp4Support: 'capped_8k' });
    expectParse(v, 422, ErrorWire);
    assert.equal(v.body.error.fields[0].field, 'mp4Support');
    const ns = await srv.request('POST', '/v1/on-demand', { inputs: [{ type: 'video', url: 'https://static.fastpix.com/fp-sample-video.mp4' }], accessPolicy: 'public' });
    expectParse(ns, 501, ErrorWire);
    const del = await srv.request('DELETE', `/v1/on-demand/${live.mediaId}`);
    expectParse(del, 200, ok());
  });
});
