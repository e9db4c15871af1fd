/** The store on SQLite (temp dir): migrations, one-transaction lifecycle + outbox, rollback, MediaStore lookups. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { StreamsService } from '../../../src/core/streams-service.js';
import { Store } from '../../../src/store/store.js';
import { countPending } from '../../../src/store/webhook-repo.js';
import { addEndpoint } from '../../../src/webhooks/webhook-endpoints.js';
import { createToken, verifyToken } from '../../../src/store/token-repo.js';

const dir = mkdtempSync(join(tmpdir(), 'onair-store-'));
const file = join(dir, 'db.sqlite');
let store: Store;
let streams: StreamsService;

const settings = {
  accessPolicy: 'public', maxResolution: '1080p', reconnectWindow: 60, mediaPolicy: 'public', metadata: {},
  enableDvrMode: false, enableRecording: true, lowLatency: false, closedCaptions: false, maxDuration: 0,
} as const;

before(async () => {
  store = await Store.open(file);
  streams = new StreamsService(store);
  await addEndpoint(store, 'http://127.0.0.1:9/hook', { source: 'api' });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('reopening runs no migration twice and keeps the workspace id', async () => {
  const again = await Store.open(file);
  assert.equal(again.workspace.id, store.workspace.id);
  assert.equal(again.engine, 'sqlite');
  await again.close();
});

test('recordLifecycle sets the status and queues the webhook together; MediaStore lookups see it', async () => {
  const s = await streams.create({ ...settings, metadata: {} });
  const pending = await countPending(store.db);
  const rec = await store.recordLifecycle(s.streamId, 'active', 'video.live_stream.active');
  assert.equal(rec?.status, 'active');
  assert.equal(await countPending(store.db), pending + 1);
  const ev = await store.db.selectFrom('webhook_events').select('body').where('type', '=', 'video.live_stream.active').executeTakeFirstOrThrow();
  assert.equal(JSON.parse(ev.body).data.status, 'active');
  assert.equal((await store.findStreamByKey(s.streamKey))?.streamId, s.streamId);
  assert.equal((await store.findStreamBySrtPlaybackId(s.srtPlaybackStreamId))?.streamId, s.streamId);
  assert.equal((await streams.checkFinishable(s.streamId)).ok, true);
  await store.resetLiveStatuses();
  assert.equal((await store.findStreamById(s.streamId))?.status, 'idle');
  // a crash leftover: disconnected first, then idle (issue 8)
  const types = (await store.db.selectFrom('webhook_events').select('type').where('object_id', '=', s.streamId).execute()).map((r) => r.type);
  const d = types.lastIndexOf('video.live_stream.disconnected');
  assert.ok(d >= 0 && d < types.lastIndexOf('video.live_stream.idle'), `disconnected then idle: ${types.join(', ')}`);
  assert.equal(await store.recordLifecycle('nope', 'idle', 'video.live_stream.idle'), undefined);
});

test('a lifecycle write queued before a disable does not enable the stream again', async () => {
  const s = await streams.create({ ...settings, metadata: {} });
  await store.db.updateTable('live_streams').set({ status: 'disabled' }).where('stream_id', '=', s.streamId).execute();
  await store.recordLifecycle(s.streamId, 'active', 'video.live_stream.active');
  await store.recordLifecycle(s.streamId, 'idle', 'video.live_stream.idle');
  assert.equal((await store.findStreamById(s.streamId))?.status, 'disabled');
});

test('a failing transaction leaves neither the change nor its outbox row', async () => {
  const s = await streams.create({ ...settings, metadata: {} });
  const pending = await countPending(store.db);
  await assert.rejects(store.transact(async (trx, enqueue) => {
    await trx.updateTable('live_streams').set({ status: 'disabled' }).where('stream_id', '=', s.streamId).execute();
    await enqueue({ type: 'video.live_stream.disabled', objectId: s.streamId, status: 'disabled', data: {} });
    throw new Error('boom');
  }), /boom/);
  assert.equal((await store.findStreamById(s.streamId))?.status, 'idle');
  assert.equal(await countPending(store.db), pending);
});

test('signing keys: listSigningKeys and the change callback', async () => {
  let calls = 0;
  const off = store.onSigningKeysChanged(() => { calls++; });
  await store.db.insertInto('signing_keys').values({ id: 'k1', public_key: 'PEM', created_at: 'x' }).execute();
  store.notifySigningKeysChanged();
  off();
  store.notifySigningKeysChanged();
  assert.equal(calls, 1);
  assert.deepEqual([...(await store.listSigningKeys())], [['k1', 'PEM']]);
  assert.deepEqual(await store.listSigningPublicKeys(), [{ id: 'k1', publicKey: 'PEM' }]);
});

test('tokens: only the hash is stored; verify checks id and secret', async () => {
  const t = await createToken(store.db, 'read');
  const row = await store.db.selectFrom('access_tokens').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
  assert.notEqual(row.secret_hash, t.secret);
  assert.equal(await verifyToken(store.db, t.id, t.secret), 'read');
  assert.equal(await verifyToken(store.db, t.id, t.secret + 'x'), undefined);
  assert.equal(await verifyToken(store.db, 'nope', t.secret), undefined);
});
