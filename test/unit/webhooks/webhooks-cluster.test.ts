/**
 * Webhooks from any node: three delivery workers, each with its own Store (its own connection pool, as three
 * onair nodes have) on ONE real Postgres, deliver events queued from all three to two endpoints that answer
 * slowly and sometimes fail. Every event reaches every endpoint exactly once (accepted), each stream's events
 * in order, and more than one worker did the delivering. The outbox is claimed with FOR UPDATE SKIP LOCKED
 * and a lease (webhook-repo.ts `claimDeliveries`).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Store } from '../../../src/store/store.js';
import { DeliveryWorker } from '../../../src/webhooks/delivery-worker.js';
import { addEndpoint } from '../../../src/webhooks/webhook-endpoints.js';
import { countPending } from '../../../src/store/webhook-repo.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/ports.js';
import { mulberry32 } from '../../helpers/prng.js';

let pg: TestPostgres;
before(async () => { pg = await startPostgres(); });
after(async () => { await pg?.stop(); });

interface Hit { path: string; eventId: string; stream: string; i: number }

/** A receiver that answers after 0-15 ms and fails the first attempt of every 7th event with a 500. */
async function slowFlakyReceiver(seed: number): Promise<{ server: Server; url: (p: string) => string; accepted: Hit[]; attempts: number; maxInFlight: number }> {
  const rnd = mulberry32(seed);
  const failedOnce = new Set<string>();
  let inFlight = 0;
  const state = {
    server: undefined as unknown as Server, url: (p: string) => p, accepted: [] as Hit[], attempts: 0, maxInFlight: 0,
  };
  state.server = createServer((req, res) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; object: { id: string }; data: { i: number } };
      state.attempts++;
      const key = `${req.url}|${json.id}`;
      setTimeout(() => {
        inFlight--;
        if (json.data.i % 7 === 3 && !failedOnce.has(key)) {
          failedOnce.add(key);
          res.writeHead(500).end();
          return;
        }
        state.accepted.push({ path: req.url ?? '', eventId: json.id, stream: json.object.id, i: json.data.i });
        res.writeHead(204).end();
      }, Math.floor(rnd() * 15));
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', () => r()));
  const port = (state.server.address() as AddressInfo).port;
  state.url = (p: string) => `http://127.0.0.1:${port}${p}`;
  return state;
}

test('three workers on one Postgres: every event once per endpoint, in order per stream', { timeout: 120_000 }, async () => {
  const url = await pg.createDatabase();
  const stores = [await Store.open(url), await Store.open(url), await Store.open(url)];
  const receiver = await slowFlakyReceiver(11);
  const workers = stores.map((s) => new DeliveryWorker(s, { retryBaseMs: 20, retryCapMs: 100, pollMs: 20, batch: 4 }));
  try {
    await addEndpoint(stores[0]!, receiver.url('/a'), { source: 'api' });
    await addEndpoint(stores[1]!, receiver.url('/b'), { source: 'api' });
    for (const w of workers) w.start();

    // 4 streams x 30 events, each stream's events queued one after the other from a random node
    const STREAMS = ['s-0', 's-1', 's-2', 's-3'];
    const PER = 30;
    const rnd = mulberry32(5);
    await Promise.all(STREAMS.map(async (stream) => {
      for (let i = 0; i < PER; i++) {
        const store = stores[Math.floor(rnd() * stores.length)]!;
        await store.transact(async (_trx, enqueue) => enqueue({ type: 'video.live_stream.updated', objectId: stream, status: 'idle', data: { i } }));
      }
    }));

    const total = STREAMS.length * PER * 2;
    await waitFor(`${total} accepted deliveries`, () => (receiver.accepted.length >= total ? true : undefined), 60_000, 20);
    await waitFor('outbox drained', async () => ((await countPending(stores[0]!.db)) === 0 ? true : undefined), 10_000);
    // nothing more arrives late (a duplicate would show up here)
    await new Promise((r) => setTimeout(r, 300));

    const seen = new Map<string, number>();
    for (const h of receiver.accepted) seen.set(`${h.path}|${h.eventId}`, (seen.get(`${h.path}|${h.eventId}`) ?? 0) + 1);
    const dups = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dups, [], 'no event delivered twice to one endpoint');
    assert.equal(receiver.accepted.length, total, 'every event reached every endpoint');
    for (const path of ['/a', '/b']) {
      for (const stream of STREAMS) {
        const order = receiver.accepted.filter((h) => h.path === path && h.stream === stream).map((h) => h.i);
        assert.deepEqual(order, Array.from({ length: PER }, (_, i) => i), `${path} ${stream} in order`);
      }
    }
    assert.ok(receiver.attempts > total, 'the failed first attempts were retried');
    const busy = workers.filter((w) => w.stats.delivered > 0).length;
    assert.ok(busy >= 2, `more than one worker delivered: ${workers.map((w) => w.stats.delivered).join(',')}`);
    assert.equal(workers.reduce((n, w) => n + w.stats.delivered, 0), total);
  } finally {
    for (const w of workers) await w.stop();
    for (const s of stores) await s.close();
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
});

test('a worker that dies mid-delivery loses its claim when the lease runs out; another delivers it', { timeout: 60_000 }, async () => {
  const url = await pg.createDatabase();
  const a = await Store.open(url);
  const b = await Store.open(url);
  // the receiver holds the first request open (a hung node), answers the rest at once
  const got: string[] = [];
  let held = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (held++ === 0) return; // never answered
      got.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string }).type);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/h`;
  // A's claim lasts its HTTP timeout (3 s) + leaseMarginMs (0 here)
  const wa = new DeliveryWorker(a, { retryBaseMs: 20, retryCapMs: 50, pollMs: 20, timeoutMs: 3_000, leaseMarginMs: 0 });
  const wb = new DeliveryWorker(b, { retryBaseMs: 20, retryCapMs: 50, pollMs: 20, timeoutMs: 3_000, leaseMarginMs: 0 });
  try {
    await addEndpoint(a, hook, { source: 'api' });
    await a.transact(async (_t, enqueue) => {
      await enqueue({ type: 'first', objectId: 's', status: 'idle', data: {} });
      await enqueue({ type: 'second', objectId: 's', status: 'idle', data: {} });
    });
    wa.start();
    await waitFor('A holds the first delivery', () => (held === 1 ? true : undefined));
    const claimedAt = Date.now();
    // A dies: no more writes from it reach the database (its claim stays in the row, nothing releases it)
    await a.close();
    wb.start();
    // while A's claim is valid, B neither sends the first event again nor jumps ahead to the second
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(got, []);
    assert.equal(held, 1, 'B did not take a claimed delivery');
    await waitFor('B delivers both, in order', () => (got.length === 2 ? true : undefined), 15_000);
    assert.deepEqual(got, ['first', 'second']);
    assert.ok(Date.now() - claimedAt >= 2_500, 'only after the lease ran out');
  } finally {
    await wa.stop();
    await wb.stop();
    await a.close().catch(() => undefined);
    await b.close();
    server.closeAllConnections();
    server.close();
  }
});
