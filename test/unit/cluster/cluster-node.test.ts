/**
 * ClusterNode on a real Postgres: session claims (busy, takeover from a dead or disconnected owner), the expiry
 * sweep adopting a dead node's session exactly once among racing nodes, the lease deciding a split (the loser
 * is told it lost), and the LISTEN/NOTIFY bus surviving the loss of its connection.
 */
import { unionCount } from '../../../src/playback/viewer-counter.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { sql } from 'kysely';
import pgLib from 'pg';
import { Store } from '../../../src/store/store.js';
import { ClusterNode, type ClusterStore, type LocalSessionState } from '../../../src/cluster/cluster-node.js';
import type { BusMessage } from '../../../src/cluster/pg-bus.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/ports.js';

let pg: TestPostgres;
let url: string;
let store: Store;
const nodes: ClusterNode[] = [];
const log = pino({ level: 'silent' });
const pgClient = pgLib.Client;

before(async () => {
  pg = await startPostgres();
  url = await pg.createDatabase();
  store = await Store.open(url);
});

after(async () => {
  for (const n of nodes) await n.stop();
  await store?.close();
  await pg?.stop();
});

interface Probe {
  node: ClusterNode;
  local: Map<string, LocalSessionState>;
  lost: string[];
  released: string[];
  messages: BusMessage[];
  resyncs: number;
  lifecycle: string[];
  completed: string[];
  /** the node's viewers per stream (viewer-key hashes), shared at its heartbeats */
  viewers: Map<string, Buffer>;
}

/** A node with recording hooks; heartbeats run only when the test calls them (heartbeatMs is long). */
async function makeNode(name: string, opts: { leaseMs?: number; heartbeatMs?: number; releaseAnswer?: LocalSessionState; lifecycleGate?: Promise<void> } = {}): Promise<Probe> {
  const p: Partial<Probe> = { local: new Map(), lost: [], released: [], messages: [], resyncs: 0, lifecycle: [], completed: [], viewers: new Map() };
  const cstore: ClusterStore = {
    db: store.db,
    recordLifecycle: async (streamId, status, event) => { await opts.lifecycleGate; p.lifecycle!.push(`${streamId}:${event.replace('video.live_stream.', '')}${status ? `:${status}` : ''}`); },
    completeMediaFromManifest: async (mediaId) => { p.completed!.push(mediaId); },
  };
  const node = new ClusterNode({
    databaseUrl: url, store: cstore, logger: log, name, internalUrl: `http://${name}:1`,
    leaseMs: opts.leaseMs ?? 400, heartbeatMs: opts.heartbeatMs ?? 3_600_000, timeScale: 0.01,
    localSessions: () => p.local!,
    lost: (id) => { p.lost!.push(id); p.local!.delete(id); },
    release: async (id) => { p.released!.push(id); p.local!.delete(id); return opts.releaseAnswer; },
    message: async (m) => { p.messages!.push(m); },
    resync: () => { p.resyncs!++; },
    viewers: () => p.viewers!,
  });
  await node.start();
  nodes.push(node);
  p.node = node;
  return p as Probe;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('claims: one owner per stream; a disconnected session moves to the node the encoder came back to', async () => {
  const x = await makeNode('x1', { releaseAnswer: { state: 'disconnected', nextMsn: 500, timelineDts: 9_000_000, mediaId: 'm-1' } });
  const y = await makeNode('y1');
  const first = await x.node.claim('s1', 60);
  assert.deepEqual(first, { ok: true });
  x.local.set('s1', { state: 'active' });
  const refused = await y.node.claim('s1', 60);
  assert.equal(refused.ok, false);
  assert.match((refused as { message: string }).message, /x1/);
  assert.deepEqual(await y.node.ownerOf('s1', true), { nodeId: x.node.nodeId, url: 'http://x1:1' });

  await x.node.sessionState('s1', 'disconnected');
  const taken = await y.node.claim('s1', 60);
  assert.equal(taken.ok, true);
  assert.deepEqual(x.released, ['s1'], 'the old owner was asked to release');
  assert.deepEqual((taken as { resume?: unknown }).resume, { discontinuities: 1, mediaId: 'm-1', nextMsn: 500, timelineDts: 9_000_000 });
  assert.equal((await x.node.ownerOf('s1', true))?.nodeId, y.node.nodeId);
  assert.equal(x.lifecycle.length + y.lifecycle.length, 0, 'a live handover writes no lifecycle events itself');
});

test('a dead node\'s session is adopted by exactly one of the racing nodes, then ends once after the window', async () => {
  const dead = await makeNode('dead2', { leaseMs: 300 });
  const sweepers = await Promise.all(['a2', 'b2', 'c2'].map((n) => makeNode(n, { leaseMs: 3000 })));
  assert.deepEqual(await dead.node.claim('s2', 60), { ok: true }); // 60 s window x 0.01 = 600 ms
  await dead.node.sessionState('s2', 'active', { mediaId: 'media-2', nextMsn: 100 });
  await sleep(450); // its lease runs out (nobody renews it)
  await Promise.all(sweepers.map((s) => s.node.sweep()));
  await Promise.all(sweepers.map((s) => s.node.sweep()));
  const adopters = sweepers.filter((s) => s.node.holdsOrphan('s2'));
  assert.equal(adopters.length, 1, 'exactly one node adopts');
  // (the sessions earlier tests left behind are adopted too: look at this one's)
  const all = () => sweepers.flatMap((s) => s.lifecycle).filter((e) => e.startsWith('s2:'));
  assert.deepEqual(all(), ['s2:disconnected']);
  await waitFor('idle after the window', () => (all().length === 2 ? true : undefined), 5000, 20);
  assert.deepEqual(all(), ['s2:disconnected', 's2:idle:idle']);
  assert.deepEqual(sweepers.flatMap((s) => s.completed).filter((m) => m === 'media-2'), ['media-2']);
  assert.equal(await adopters[0]!.node.ownerOf('s2', true), undefined, 'the session row is gone');
  await sleep(100);
  assert.equal(all().length, 2, 'ended once');
});

test('an encoder coming back inside the window takes the adopted session over with its media and sequence', async () => {
  const dead = await makeNode('dead3', { leaseMs: 300 });
  const keeper = await makeNode('keeper3', { leaseMs: 3000 });
  const comeback = await makeNode('comeback3', { leaseMs: 3000 });
  await dead.node.claim('s3', 6000); // a long window: the adopter holds it
  await dead.node.sessionState('s3', 'active', { mediaId: 'media-3', nextMsn: 1000, timelineDts: 90_000 * 50 });
  await sleep(450);
  await keeper.node.sweep();
  assert.ok(keeper.node.holdsOrphan('s3'));
  const r = await comeback.node.claim('s3', 6000);
  assert.equal(r.ok, true);
  const resume = (r as { resume?: { mediaId?: string; nextMsn?: number; timelineDts?: number } }).resume!;
  assert.equal(resume.mediaId, 'media-3');
  // the dead owner may have published past its last report: the sequence and timeline skip ahead, never back
  assert.ok(resume.nextMsn! > 1000, String(resume.nextMsn));
  assert.ok(resume.timelineDts! > 90_000 * 50);
  await waitFor('the keeper lets go', () => (!keeper.node.holdsOrphan('s3') ? true : undefined), 3000, 20);
  assert.deepEqual(keeper.lifecycle.filter((e) => e.startsWith('s3:')), ['s3:disconnected']);
  assert.ok(!keeper.completed.includes('media-3'), 'the recording is not completed: it continues');
});

test('an encoder coming back to the adopting node while its adoption is still being written: the window never ends the session', async () => {
  const dead = await makeNode('dead3b', { leaseMs: 300 });
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const keeper = await makeNode('keeper3b', { leaseMs: 3000, lifecycleGate: gate });
  await dead.node.claim('s3b', 60); // 60 s window x 0.01 = 600 ms
  await dead.node.sessionState('s3b', 'active', { mediaId: 'media-3b', nextMsn: 2000 });
  await sleep(450);
  // the sweep adopts the row, then stalls writing the disconnected event
  const sweeping = keeper.node.sweep();
  await waitFor('adopted', async () => ((await keeper.node.ownerOf('s3b', true))?.nodeId === keeper.node.nodeId ? true : undefined), 3000, 10);
  // the encoder reconnects to this very node: it takes the session over
  const r = await keeper.node.claim('s3b', 60);
  assert.equal(r.ok, true);
  keeper.local.set('s3b', { state: 'active' });
  open();
  await sweeping;
  assert.equal(keeper.node.holdsOrphan('s3b'), false, 'no longer held as an orphan');
  await sleep(1000); // past the window
  assert.deepEqual(keeper.lifecycle.filter((e) => e.startsWith('s3b:')), ['s3b:disconnected'], 'no idle: the session goes on');
  assert.ok(!keeper.completed.includes('media-3b'), 'the recording is not completed');
  assert.equal((await keeper.node.ownerOf('s3b', true))?.nodeId, keeper.node.nodeId, 'the session row is still there');
  keeper.local.delete('s3b');
});

test('a node dead for ten leases loses its registration at the next sweep; a node that renews keeps it', async () => {
  const dead = await makeNode('dead9', { leaseMs: 200 });
  const live = await makeNode('live9', { leaseMs: 200 });
  const names = async () => (await store.db.selectFrom('cluster_nodes').select('name').where('name', 'in', ['dead9', 'live9']).execute()).map((r) => r.name).sort();
  assert.deepEqual(await names(), ['dead9', 'live9']);
  await live.node.sweep();
  assert.deepEqual(await names(), ['dead9', 'live9'], 'a lease just run out is not ten leases');
  const until = Date.now() + 2300;
  while (Date.now() < until) {
    await live.node.heartbeat(); // (renews live9; dead9 never renews)
    await sleep(100);
  }
  await live.node.sweep();
  assert.deepEqual(await names(), ['live9']);
});

test('viewer counts: each node shares its viewers at its heartbeat; the union counts a viewer seen by two nodes once', async () => {
  const hashes = (...h: number[]) => {
    const b = Buffer.alloc(4 * h.length);
    h.forEach((v, i) => b.writeUInt32LE(v, 4 * i));
    return b;
  };
  const x = await makeNode('x10', { leaseMs: 3000 });
  const y = await makeNode('y10', { leaseMs: 3000 });
  x.viewers.set('s10', hashes(1, 2, 3));
  y.viewers.set('s10', hashes(3, 4));
  y.viewers.set('t10', hashes(9));
  await x.node.heartbeat();
  await y.node.heartbeat();
  await x.node.heartbeat();
  assert.deepEqual([...(x.node.viewersOnOtherNodes('s10') ?? [])].sort(), [3, 4]);
  assert.deepEqual([...(y.node.viewersOnOtherNodes('s10') ?? [])].sort(), [1, 2, 3]);
  assert.equal(unionCount(x.viewers.get('s10')!, x.node.viewersOnOtherNodes('s10')), 4, '1, 2, 3 here and 3, 4 there: four viewers');
  assert.equal(unionCount(Buffer.alloc(0), x.node.viewersOnOtherNodes('t10')), 1);
  // y's viewers of s10 leave; y stops: its rows go with it
  y.viewers.delete('s10');
  await y.node.heartbeat();
  await x.node.heartbeat();
  assert.equal(x.node.viewersOnOtherNodes('s10'), undefined);
  assert.equal(x.node.viewersOnOtherNodes('t10')?.size, 1);
  await y.node.stop();
  await x.node.heartbeat();
  assert.equal(x.node.viewersOnOtherNodes('t10'), undefined);
  assert.equal((await store.db.selectFrom('cluster_viewers').select('stream_id').where('stream_id', 'in', ['s10', 't10']).execute()).length, 1, 'only x\'s row of s10 is left');
});

test('after a split the lease decides: the old owner is told it lost the session', async () => {
  const x = await makeNode('x4', { leaseMs: 300 });
  const y = await makeNode('y4', { leaseMs: 3000 });
  await x.node.claim('s4', 60);
  x.local.set('s4', { state: 'active' });
  await sleep(450); // x could not renew (a network split)
  const r = await y.node.claim('s4', 60); // the encoder reached y: x's lease is over
  assert.equal(r.ok, true);
  assert.deepEqual(y.lifecycle.filter((e) => e.startsWith('s4:')), ['s4:disconnected']);
  await x.node.heartbeat(); // the split heals
  assert.deepEqual(x.lost, ['s4']);
  assert.equal((await y.node.ownerOf('s4', true))?.nodeId, y.node.nodeId);
});

test('the bus carries messages between nodes and comes back (with a resync) when its connection is cut', async () => {
  const x = await makeNode('x5');
  const y = await makeNode('y5');
  await x.node.broadcast({ type: 'playback-ids' });
  await waitFor('message on y', () => (y.messages.some((m) => m.type === 'playback-ids') ? true : undefined), 3000, 20);
  assert.equal(x.messages.length, 0, 'a node ignores its own messages');
  // cut every LISTEN connection (as a Postgres restart would)
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where query like 'LISTEN%' and pid <> pg_backend_pid()`.execute(store.db);
  await waitFor('resync', () => (y.resyncs > 0 && y.node.bus.listening ? true : undefined), 10_000, 50);
  await x.node.broadcast({ type: 'stream', streamId: 'after-cut' });
  await waitFor('message after the cut', () => (y.messages.some((m) => m.streamId === 'after-cut') ? true : undefined), 3000, 20);
  // requests are answered across nodes
  const answer = await x.node.request(y.node.nodeId, { type: 'finish', streamId: 'nothing-here' }, 3000);
  assert.deepEqual(answer, {});
});

test('Postgres unreachable for longer than the leases: no node takes another\'s live session when it comes back', async () => {
  // x renews more slowly than y sweeps: without care, y would sweep before x renewed after the outage
  const x = await makeNode('x6', { leaseMs: 400, heartbeatMs: 300 });
  const y = await makeNode('y6', { leaseMs: 400, heartbeatMs: 100 });
  assert.deepEqual(await x.node.claim('s6', 60), { ok: true });
  x.local.set('s6', { state: 'active' });
  const dbName = new URL(url).pathname.slice(1);
  const admin = new pgClient({ connectionString: pg.url() });
  await admin.connect();
  try {
    // the database goes away: no new connections, every open one is cut (as a restart does)
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [dbName]);
    await sleep(1200); // three leases
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
  } finally {
    await admin.end();
  }
  await waitFor('both buses back', () => (x.resyncs > 0 && y.resyncs > 0 ? true : undefined), 15_000, 50);
  await sleep(1000); // heartbeats and sweeps run again
  assert.deepEqual(x.lost, [], 'the owner lost its session to the outage');
  assert.ok(!y.node.holdsOrphan('s6'), 'another node adopted a live session after the outage');
  assert.deepEqual(y.lifecycle.filter((e) => e.startsWith('s6:')), []);
  assert.equal((await y.node.ownerOf('s6', true))?.nodeId, x.node.nodeId);
});

test('a node whose clock runs seconds ahead does not see live sessions as expired (leases use the database clock)', async () => {
  const x = await makeNode('x7', { leaseMs: 1000 });
  const y = await makeNode('y7', { leaseMs: 1000 });
  assert.deepEqual(await x.node.claim('s7', 60), { ok: true });
  const realNow = Date.now;
  Date.now = () => realNow() + 5000; // y's clock is 5 s ahead
  try {
    await y.node.sweep();
    assert.ok(!y.node.holdsOrphan('s7'));
    const r = await y.node.claim('s7', 60);
    assert.equal(r.ok, false, 'a live session was taken by the node with the fast clock');
  } finally {
    Date.now = realNow;
  }
  Date.now = () => realNow() - 5000; // and x's clock 5 s behind: its lease still runs out on time for the others
  try {
    await sleep(1100);
    await y.node.sweep();
  } finally {
    Date.now = realNow;
  }
  assert.ok(y.node.holdsOrphan('s7'), 'the expired session was not adopted');
});

test('a finish asked on another node while the owner\'s bus was away runs at the owner\'s next heartbeat, once', async () => {
  const x = await makeNode('x9', { leaseMs: 5000 });
  const y = await makeNode('y9', { leaseMs: 5000 });
  assert.deepEqual(await x.node.claim('s9', 60), { ok: true });
  x.local.set('s9', { state: 'active' });
  // x misses every notification (its LISTEN connection is gone): y's request goes unanswered
  await x.node.bus.close();
  await y.node.command(x.node.nodeId, 's9', 'finish', 300);
  assert.deepEqual(x.messages.filter((m) => m.type === 'finish'), []);
  await x.node.heartbeat();
  assert.deepEqual(x.messages.filter((m) => m.type === 'finish').map((m) => m.streamId), ['s9'], 'the heartbeat ran the missed finish');
  await x.node.heartbeat();
  assert.equal(x.messages.filter((m) => m.type === 'finish').length, 1, 'run once');
  // answered over the bus: nothing is left for the heartbeat
  const z = await makeNode('z9', { leaseMs: 5000 });
  assert.deepEqual(await z.node.claim('s10', 60), { ok: true });
  z.local.set('s10', { state: 'active' });
  await y.node.command(z.node.nodeId, 's10', 'kick:disabled', 5000);
  assert.deepEqual(z.messages.filter((m) => m.type === 'kick').map((m) => [m.streamId, m.reason]), [['s10', 'disabled']]);
  await z.node.heartbeat();
  assert.equal(z.messages.filter((m) => m.type === 'kick').length, 1, 'not run again by the heartbeat');
});
