/** Webhook signer, envelope, backoff, and the delivery worker's durable, ordered delivery (SQLite store in a temp dir). */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/store/store.js';
import { DeliveryWorker, retryDelayMs } from '../../../src/webhooks/delivery-worker.js';
import { buildEnvelope } from '../../../src/webhooks/webhook-envelope.js';
import { addEndpoint } from '../../../src/webhooks/webhook-endpoints.js';
import { signBody, verifySignature } from '../../../src/webhooks/webhook-signer.js';
import { countPending } from '../../../src/store/webhook-repo.js';
import { waitFor } from '../../helpers/ports.js';
import { WebhookReceiver } from '../../helpers/webhook-receiver.js';

test('signature = base64 HMAC-SHA256 of the raw body keyed by the base64-decoded secret', () => {
  const secret = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
  const body = '{"type":"video.live_stream.created"}';
  const expected = createHmac('sha256', Buffer.from('0123456789abcdef0123456789abcdef')).update(body).digest('base64');
  assert.equal(signBody(body, secret), expected);
  assert.ok(verifySignature(body, secret, expected));
  assert.ok(!verifySignature(body + ' ', secret, expected));
  assert.ok(!verifySignature(body, secret, 'AAAA'));
});

test('envelope has the CONTRACT.md section 9 fields in order', () => {
  const ev = buildEnvelope({ type: 'video.live_stream.updated', objectId: 'abc', status: 'idle', data: { streamId: 'abc' } }, { id: 'w', name: 'onair' });
  const env = JSON.parse(ev.body);
  assert.deepEqual(Object.keys(env), ['type', 'object', 'id', 'workspace', 'status', 'data', 'createdAt', 'attempts']);
  assert.deepEqual(env.object, { type: 'live', id: 'abc' });
  assert.equal(env.id, ev.id);
  assert.match(env.createdAt, /\.\d{6}Z$/);
});

test('backoff doubles from the base and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 600_000)), [1000, 2000, 4000, 8000]);
  assert.equal(retryDelayMs(30, 1000, 600_000), 600_000);
  assert.equal(retryDelayMs(1000, 1000, 600_000), 600_000);
});

test('worker delivers each stream\'s events in order, retries while the receiver is down, resumes after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-wh-'));
  const receiver = await WebhookReceiver.create();
  const opts = { retryBaseMs: 20, retryCapMs: 100, pollMs: 50 };
  let store = await Store.open(join(dir, 'db.sqlite'));
  try {
    const ep = await addEndpoint(store, receiver.url(), { source: 'api' });
    let worker = new DeliveryWorker(store, opts);
    worker.start();
    for (let i = 0; i < 5; i++) {
      for (const stream of ['a', 'b']) {
        await store.transact(async (_trx, enqueue) => enqueue({ type: `t${i}`, objectId: stream, status: 'idle', data: { i } }));
      }
    }
    // the receiver is down: wait until the worker has recorded failed attempts
    await waitFor('failed attempts', async () => {
      const r = await store.db.selectFrom('webhook_deliveries').select('attempts').where('attempts', '>', 0).executeTakeFirst();
      return r ? true : undefined;
    });
    await worker.stop();
    await store.close();

    store = await Store.open(join(dir, 'db.sqlite'));
    assert.equal(await countPending(store.db), 10);
    worker = new DeliveryWorker(store, opts);
    worker.start();
    await receiver.up();
    await waitFor('10 deliveries', () => (receiver.received.length === 10 ? true : undefined), 10_000);
    for (const stream of ['a', 'b']) {
      assert.deepEqual(receiver.received.filter((h) => h.json.object.id === stream).map((h) => h.json.type), ['t0', 't1', 't2', 't3', 't4']);
    }
    for (const h of receiver.received) assert.ok(verifySignature(h.body, ep.secret, String(h.headers['fastpix-signature'])));
    await waitFor('outbox drained', async () => ((await countPending(store.db)) === 0 ? true : undefined));
    await worker.stop();
  } finally {
    await store.close().catch(() => undefined);
    await receiver.down();
    rmSync(dir, { recursive: true, force: true });
  }
});
