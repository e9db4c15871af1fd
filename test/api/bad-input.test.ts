/** Bad input gets FastPix's status and error body naming the field, and changes nothing in the store. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ok = { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { reconnectWindow: 60 } };
const meta = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
const withMedia = (m: Record<string, unknown>) => ({ playbackSettings: {}, inputMediaSettings: m });

/** [name, body, the field the 422 must name] */
const INVALID_CREATES: [string, unknown, string][] = [
  ['reconnectWindow below 60', withMedia({ reconnectWindow: 59 }), 'reconnectWindow'],
  ['reconnectWindow above 1800', withMedia({ reconnectWindow: 1801 }), 'reconnectWindow'],
  ['reconnectWindow as a string', withMedia({ reconnectWindow: '60' }), 'reconnectWindow'],
  ['reconnectWindow fractional', withMedia({ reconnectWindow: 60.5 }), 'reconnectWindow'],
  ['11 metadata entries', withMedia({ metadata: meta(11) }), 'metadata'],
  ['256-character metadata value', withMedia({ metadata: { name: 'x'.repeat(256) } }), 'metadata'],
  ['non-string metadata value', withMedia({ metadata: { n: 1 } }), 'metadata'],
  ['unknown maxResolution', withMedia({ maxResolution: '4k' }), 'maxResolution'],
  ['unknown accessPolicy', { playbackSettings: { accessPolicy: 'drm' }, inputMediaSettings: {} }, 'accessPolicy'],
  ['unknown mediaPolicy', withMedia({ mediaPolicy: 'secret' }), 'mediaPolicy'],
  ['maxDuration 59', withMedia({ maxDuration: 59 }), 'maxDuration'],
  ['maxDuration 28801', withMedia({ maxDuration: 28801 }), 'maxDuration'],
  ['enableDvrMode as a string', withMedia({ enableDvrMode: 'yes' }), 'enableDvrMode'],
  ['missing inputMediaSettings', { playbackSettings: {} }, 'inputMediaSettings'],
  ['missing playbackSettings', { inputMediaSettings: {} }, 'playbackSettings'],
  ['inputMediaSettings null', { playbackSettings: {}, inputMediaSettings: null }, 'inputMediaSettings'],
  ['body is an array', [ok], 'body'],
];

forEachEngine((engine, database) => {
  describe(`bad input (${engine})`, () => {
    let srv: TestServer;
    let streamId: string;
    const total = async () => (await srv.request('GET', '/v1/live/streams')).body.pagination.totalRecords as number;

    before(async () => {
      srv = await startTestServer({ database: await database() });
      streamId = (await srv.request('POST', '/v1/live/streams', { ...ok, inputMediaSettings: { metadata: { keep: 'me' } } })).body.data.streamId;
    });
    after(async () => { await srv?.stop(); });

    for (const [name, body, field] of INVALID_CREATES) {
      test(`create: ${name} -> 422 naming ${field}, nothing stored`, async () => {
        const before = await total();
        const r = await srv.request('POST', '/v1/live/streams', body);
        assert.equal(r.status, 422, r.text);
        assert.equal(r.body.success, false);
        assert.equal(r.body.error.code, 422);
        assert.equal(r.body.error.message, 'payload validation failed');
        assert.ok(Array.isArray(r.body.error.fields), r.text);
        assert.ok(r.body.error.fields.some((f: { field: string }) => f.field === field), r.text);
        for (const f of r.body.error.fields) {
          assert.equal(typeof f.field, 'string');
          assert.equal(typeof f.message, 'string');
        }
        assert.equal(await total(), before);
      });
    }

    test('10 metadata entries of 255 characters are accepted (the limits are inclusive)', async () => {
      const m = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'y'.repeat(255)]));
      const r = await srv.request('POST', '/v1/live/streams', withMedia({ metadata: m, reconnectWindow: 1800, maxDuration: 28800 }));
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.body.data.metadata, m);
    });

    test('malformed JSON -> 400 in the error envelope, nothing stored', async () => {
      const before = await total();
      const r = await srv.request('POST', '/v1/live/streams', undefined, { raw: '{"playbackSettings": {' });
      assert.equal(r.status, 400);
      assert.equal(r.body.success, false);
      assert.equal(r.body.error.code, 400);
      assert.equal(typeof r.body.error.message, 'string');
      assert.equal(await total(), before);
    });

    test('missing body -> 422 naming the required objects', async () => {
      const r = await srv.request('POST', '/v1/live/streams');
      assert.equal(r.status, 422);
      const fields = r.body.error.fields.map((f: { field: string }) => f.field);
      assert.ok(fields.includes('playbackSettings') && fields.includes('inputMediaSettings'), r.text);
    });

    test('oversized body -> 413 in the error envelope', async () => {
      const before = await total();
      const r = await srv.request('POST', '/v1/live/streams', withMedia({ metadata: { a: 'x'.repeat(200_000) } }));
      assert.equal(r.status, 413);
      assert.equal(r.body.success, false);
      assert.equal(r.body.error.code, 413);
      assert.equal(await total(), before);
    });

    test('non-JSON content type -> 415 in the error envelope', async () => {
      const r = await srv.request('POST', '/v1/live/streams', undefined, { raw: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(r.status, 415);
      assert.equal(r.body.error.code, 415);
    });

    test('patch with bad values -> 422 and the stream is unchanged', async () => {
      for (const [body, field] of [[{ reconnectWindow: 10 }, 'reconnectWindow'], [{ metadata: meta(11) }, 'metadata'], [{ metadata: 'x' }, 'metadata'], [{ metadata: { a: 'ok' }, reconnectWindow: 'x' }, 'reconnectWindow']] as const) {
        const r = await srv.request('PATCH', `/v1/live/streams/${streamId}`, body);
        assert.equal(r.status, 422, r.text);
        assert.equal(r.body.error.fields[0].field, field);
      }
      const g = await srv.request('GET', `/v1/live/streams/${streamId}`);
      assert.deepEqual(g.body.data.metadata, { keep: 'me' });
      assert.equal(g.body.data.reconnectWindow, 60);
    });

    test('unknown routes and methods -> 404 in the same envelope', async () => {
      for (const [m, p] of [['GET', '/v1/nothing'], ['POST', '/v1/live/streams/x/y/z'], ['GET', '/no-such-page']]) {
        const r = await srv.request(m!, p!);
        assert.equal(r.status, 404, `${m} ${p}`);
        assert.equal(r.body.success, false);
        assert.equal(r.body.error.code, 404);
      }
    });
  });
});
