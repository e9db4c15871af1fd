/**
 * Issue 11 (scale-out), `onair serve --workers N`: one machine, N worker processes (node:cluster) sharing the API,
 * playback and RTMP ports, each a cluster node on one real Postgres. Real CLI, real ffmpeg encoders and ffprobe.
 * The admin token is printed once; five encoders on the one RTMP port land on both workers; every stream plays
 * through the one playback port (connections that land on the non-owning worker are proxied to the owner's own
 * listener); the API on the one port finishes streams of either worker; a worker killed with kill -9 is forked
 * again, its sessions adopted by a live worker: one continues when its encoder comes back, another ends after the
 * reconnect window; SIGTERM to the primary stops every process. On SQLite, `--workers 2` is refused (exit code 2)
 * and the default is one process.
 */
import { test, before, after } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import assert from 'node:assert/strict';
import pgLib from 'pg';
import { basicAuth, runCli, startTestServer, type TestServer } from '../helpers/server.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { clip720p, probe, publish, type Publisher } from '../helpers/media-tools.js';

let pg: TestPostgres | undefined;
let clip: string;
const publishers: Publisher[] = [];
const servers: TestServer[] = [];

before(async () => {
  clip = await clip720p(12);
});

after(async () => {
  if (process.env.DEBUG_WORKERS) for (const s of servers) console.log('=== server logs\n', s.logs());
  for (const p of publishers) await p.stop();
  for (const s of servers) await s.stop();
  await pg?.stop();
});

/** The running (not zombie) child processes of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The primary's log: worker slot -> pid of its latest process that listens. */
function workerPids(logs: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"module":"workers"')) continue;
    const j = JSON.parse(line) as { msg?: string; worker?: number; workerPid?: number };
    if ((j.msg === 'worker listening' || j.msg === 'worker listening again') && j.worker && j.workerPid) out.set(j.worker, j.workerPid);
  }
  return out;
}

/** One GET on a connection of its own (the shared port hands each new connection to the next worker). */
function getFresh(url: string): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `p`'s value, or 'timeout' after `ms` (the timer does not outlive the race). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

async function metric(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line !== name && !line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inner = line.includes('{') ? line.slice(line.indexOf('{') + 1, line.indexOf('}')) : '';
    if (labels.split(',').every((l) => inner.includes(l))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

test('on SQLite, --workers 2 exits with code 2 and says what to do; the default is one process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-workers-'));
  try {
    const apiPort = await freePort();
    const r = await runCli(['serve', '--data', dir, '--host', '127.0.0.1', '--api-port', String(apiPort), '--workers', '2'], { ONAIR_LOG_LEVEL: 'warn' });
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /--workers 2 needs Postgres/);
    assert.match(r.stderr, /--database postgres:\/\//);
    assert.equal(await fetch(`http://127.0.0.1:${apiPort}/healthz`).then(() => 'listening', () => 'nothing'), 'nothing');
    assert.ok(!existsSync(join(dir, 'onair.sqlite')), 'the refused start opened the database');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // no --workers (the helper's ONAIR_WORKERS=1 emptied): one process on SQLite, said once on a multi-core machine
  const srv = await startTestServer({ env: { ONAIR_WORKERS: '', ONAIR_LOG_LEVEL: 'info' } });
  servers.push(srv);
  const note = srv.logs().match(/SQLite runs one process; use --database postgres:\/\/\.\.\. for --workers/g)?.length ?? 0;
  assert.equal(note, availableParallelism() > 1 ? 1 : 0, srv.logs());
  assert.deepEqual(childrenOf(srv.pid()!), [], 'a server on SQLite forked processes');
  assert.equal(await metric(srv.url, 'onair_workers'), 0);
  await srv.stop();
});

test('serve --workers 2 on Postgres: one set of ports, both workers own sessions, proxied playback, restart after kill -9, SIGTERM stops all', async () => {
  pg = await startPostgres();
  const database = await pg.createDatabase();
  const db = new pgLib.Client({ connectionString: database });
  const srv = await startTestServer({
    database, envToken: false, startTimeoutMs: 90_000,
    args: ['--workers', '2', '--node-name', 'w', '--transcode', 'off', '--node-lease-ms', '1500', '--node-heartbeat-ms', '250'],
    // reconnectWindow 60 s -> 12 s; info logs: the primary says which process each worker is
    env: { ONAIR_LOG_LEVEL: 'info', ONAIR_LIFECYCLE_TIME_SCALE: '0.2', ONAIR_ENDED_LINGER_MS: '1500' },
  });
  servers.push(srv);
  await db.connect();
  try {
    // the summary comes once every worker listens; the first-start admin token is printed once, by the primary
    await waitFor('the operator summary', () => (srv.logs().includes('onair is ready') ? true : undefined), 60_000, 100);
    assert.equal(srv.logs().match(/ONAIR_TOKEN_SECRET=/g)?.length, 1, srv.logs());
    assert.equal(srv.logs().match(/onair is ready/g)?.length, 1);
    const id = /ONAIR_TOKEN_ID=(\S+)/.exec(srv.logs())![1]!;
    const secret = /ONAIR_TOKEN_SECRET=(\S+)/.exec(srv.logs())![1]!;
    const auth = basicAuth(id, secret);
    const api = <T = any>(method: string, path: string, body?: unknown) => srv.request<T>(method, path, body, { auth });
    const primary = srv.pid()!;
    const pids = await waitFor('the primary\'s log of its workers', () => {
      const m = workerPids(srv.logs());
      return m.size === 2 ? m : undefined;
    }, 10_000, 50);
    assert.deepEqual(childrenOf(primary).sort(), [...pids.values()].sort(), 'the primary\'s processes are its two workers');
    const nodes = await db.query<{ name: string; internal_url: string }>('select name, internal_url from cluster_nodes order by name');
    assert.deepEqual(nodes.rows.map((r) => r.name), ['w-1', 'w-2']);
    // each worker is reachable on a listener of its own (what the siblings' edge proxies use)
    assert.notEqual(nodes.rows[0]!.internal_url, nodes.rows[1]!.internal_url);
    for (const r of nodes.rows) assert.match(r.internal_url, /^http:\/\/127\.0\.0\.1:\d+$/);

    // five encoders on the one RTMP port, one after the other (the primary hands connections round-robin)
    const streams: { streamId: string; streamKey: string; playbackIds: { id: string }[] }[] = [];
    const encoders = new Map<string, Publisher>();
    const status = async (streamId: string) => String((await api('GET', `/v1/live/streams/${streamId}`)).body?.data?.status);
    for (let i = 0; i < 5; i++) {
      const res = await api('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { reconnectWindow: 60 } });
      assert.equal(res.status, 201, res.text);
      const s = res.body.data as (typeof streams)[number];
      streams.push(s);
      const p = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.streamKey}`);
      publishers.push(p);
      encoders.set(s.streamId, p);
      await waitFor(`stream ${s.streamId} active`, async () => ((await status(s.streamId)) === 'active' ? true : undefined), 30_000, 100);
    }
    const owners = async () => new Map((await db.query<{ stream_id: string; node_name: string; node_id: string; state: string }>('select stream_id, node_name, node_id, state from live_sessions')).rows.map((r) => [r.stream_id, r]));
    const owned = await owners();
    assert.equal(owned.size, 5);
    const byWorker = (name: string) => streams.filter((s) => owned.get(s.streamId)?.node_name === name);
    assert.ok(byWorker('w-1').length > 0 && byWorker('w-2').length > 0, `one worker owns every session: ${JSON.stringify([...owned.values()])}`);
    // /metrics on the one port answers for the machine, whichever worker takes the request
    for (let i = 0; i < 4; i++) assert.equal(await metric(srv.url, 'onair_live_sessions', 'state="active"'), 5);
    assert.equal(await metric(srv.url, 'onair_workers'), 2);

    // every stream plays through the one playback port; fresh connections alternate between the workers, so one
    // of two requests lands on the worker that does not own the stream and is proxied to the owner
    const play = (pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;
    const originFetches = await metric(srv.url, 'onair_edge_origin_fetches_total');
    for (const s of streams) {
      const pid = s.playbackIds[0]!.id;
      const r = await probe(play(pid), 2);
      const v = r.streams.find((x) => x.codec_type === 'video');
      assert.equal(v?.width, 1280);
      assert.ok(Number(v?.nb_read_frames) > 0, `stream ${s.streamId} did not decode`);
      const list = await getFresh(play(pid, '/media.m3u8'));
      assert.equal(list.status, 200, list.body.toString());
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(list.body.toString())?.[1];
      assert.ok(init, list.body.toString());
      const [a, b] = [await getFresh(play(pid, `/${init}`)), await getFresh(play(pid, `/${init}`))];
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.equal(a.type, b.type);
      assert.ok(a.body.equals(b.body), 'the two workers answered different init segments');
    }
    assert.ok((await metric(srv.url, 'onair_edge_origin_fetches_total')) > originFetches, 'no request was proxied to the owning worker');

    // the API on the one port finishes a stream of each worker (the request lands on either; the owner acts)
    const finished = [byWorker('w-1')[0]!, byWorker('w-2')[0]!];
    for (const s of finished) {
      assert.equal((await api('PUT', `/v1/live/streams/${s.streamId}/finish`)).status, 200);
      await waitFor(`stream ${s.streamId} idle`, async () => ((await status(s.streamId)) === 'idle' ? true : undefined), 15_000, 100);
      assert.notEqual(await within(encoders.get(s.streamId)!.exited, 10_000), 'timeout', 'finish did not cut the encoder');
    }
    assert.equal((await owners()).size, 3);

    // kill -9 the worker that owns two (or three) of the three streams left: the primary forks it again; a live
    // worker adopts its sessions when their lease runs out; the encoder that comes back through the one port
    // continues its session, the other session ends after the reconnect window (12 s)
    const left = streams.filter((s) => !finished.includes(s));
    const rows = await owners();
    const name = ['w-1', 'w-2'].find((n) => left.filter((s) => rows.get(s.streamId)!.node_name === n).length >= 2)!;
    const victims = left.filter((s) => rows.get(s.streamId)!.node_name === name);
    const survivors = left.filter((s) => !victims.includes(s));
    const deadNode = rows.get(victims[0]!.streamId)!.node_id;
    const slot = Number(name.split('-').pop());
    const killed = workerPids(srv.logs()).get(slot)!;
    process.kill(killed, 'SIGKILL');
    for (const v of victims) await encoders.get(v.streamId)!.exited;
    const reforked = await waitFor('the worker forked again and listening', () => {
      const now = workerPids(srv.logs()).get(slot);
      return now !== undefined && now !== killed ? now : undefined;
    }, 90_000, 100);
    assert.ok(childrenOf(primary).includes(reforked));
    assert.ok(!running(killed));
    assert.match(srv.logs(), /worker died: forking it again/);
    const adoptedAt = new Map<string, number>();
    for (const v of victims) {
      const row = await waitFor(`stream ${v.streamId} adopted by a live worker`, async () => {
        const r = (await owners()).get(v.streamId);
        if (!r || r.node_id === deadNode) return undefined;
        const live = await db.query('select 1 from cluster_nodes where node_id = $1', [r.node_id]);
        return live.rowCount === 1 ? r : undefined;
      }, 30_000, 100);
      adoptedAt.set(v.streamId, Date.now());
      assert.equal(row.state, 'disconnected');
      assert.equal(await status(v.streamId), 'active', 'the session ended before its reconnect window');
    }
    const [back, gone] = victims as [typeof victims[number], typeof victims[number]];
    const encoder = await waitFor('the encoder accepted again', async () => {
      const p = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${back.streamKey}`);
      publishers.push(p);
      return (await within(p.exited, 1500)) === 'timeout' ? p : undefined; // still publishing: accepted
    }, 10_000, 0);
    await waitFor('the continued session delivering', async () => {
      const row = (await owners()).get(back.streamId);
      return row && row.state === 'active' && row.node_id !== deadNode ? true : undefined;
    }, 20_000, 100);
    assert.equal(await status(back.streamId), 'active');
    for (const s of [back, ...survivors]) {
      const r = await probe(play(s.playbackIds[0]!.id), 2);
      assert.ok(Number(r.streams.find((x) => x.codec_type === 'video')?.nb_read_frames) > 0, `stream ${s.streamId} does not play after the restart`);
    }
    assert.equal(encoder.proc.exitCode, null);
    await waitFor(`stream ${gone.streamId} idle`, async () => ((await status(gone.streamId)) === 'idle' ? true : undefined), 40_000, 200);
    const heldMs = Date.now() - adoptedAt.get(gone.streamId)!;
    assert.ok(heldMs >= 9000, `the adopted session ended ${heldMs} ms after its adoption: before the reconnect window`);
    assert.equal((await owners()).has(gone.streamId), false);
    assert.ok((await metric(srv.url, 'onair_worker_restarts_total')) >= 1);
    await waitFor('both workers counted again', async () => ((await metric(srv.url, 'onair_workers')) === 2 ? true : undefined), 10_000, 200);

    // SIGTERM to the primary: every worker stops, then the primary; no process is left behind
    const all = [...workerPids(srv.logs()).values()];
    process.kill(primary, 'SIGTERM');
    const exit = await within(srv.exited(), 40_000);
    assert.notEqual(exit, 'timeout', 'the primary did not exit after SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, srv.logs().slice(-3000));
    await waitFor('no worker left', () => (all.every((p) => !running(p)) ? true : undefined), 10_000, 100);
    assert.match(srv.logs(), /"clean":true,"msg":"every worker stopped"/);
  } finally {
    await db.end();
  }
});
