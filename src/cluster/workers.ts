/**
 * `onair serve --workers N` (node:cluster): every core of one machine, on the cluster mechanisms of src/cluster/.
 *
 * - The primary opens the store once (migrations), does the one-time start (admin token, --webhook-url endpoints,
 *   the sessions an earlier run of this machine's node names left: bootstrapStore), then forks N workers. It holds
 *   no listener of its own: node:cluster shares the workers' API, playback, RTMP and RTMPS ports (the primary
 *   accepts and hands connections round-robin to the workers). A worker that dies is forked again (backoff); its
 *   sessions' leases expire and a node adopts them (an encoder that reconnects inside its window continues).
 *   SIGINT/SIGTERM go to every worker; the primary exits when they all have stopped.
 * - Every worker is a full cluster node named `<node name>-<i>`, with a playback listener of its own (`exclusive`:
 *   not shared; 127.0.0.1 port 0, or --internal-url's port + i - 1 for nodes on other machines) as its internal
 *   URL, so the other nodes' edge proxies reach it. Only worker 1 binds the SRT port (UDP through a native listener
 *   cannot be shared); `--max-transcodes` is the machine's, shared out among the workers.
 * - GET /metrics on any worker answers for the machine: the worker asks the primary, which collects every
 *   registry (getMetricsAsJSON) and aggregates them (prom-client's AggregatorRegistry: sums, except the metrics
 *   every worker reads from the shared database, SAME_ON_EVERY_WORKER, which take the largest value).
 * Workers need Postgres (config.ts refuses --workers > 1 on SQLite): the leases, the bus and SKIP LOCKED webhook
 * claims are what lets several processes share one database.
 */
import cluster, { type Worker } from 'node:cluster';
import { pino, type Logger } from 'pino';
import { AggregatorRegistry, Counter, Gauge } from 'prom-client';
import type { ServerConfig } from '../config.js';
import { SAME_ON_EVERY_WORKER, answerMetricsFrom, registry } from '../metrics.js';
import { Store } from '../store/store.js';
import { bootstrapStore, startServer, type Bootstrapped, type ServerHooks } from '../server.js';

/** One metric of a registry as getMetricsAsJSON gives it (what crosses the IPC channel). */
type MetricJson = Awaited<ReturnType<typeof registry.getMetricsAsJSON>>[number];

/** A worker that dies is forked again after this delay, doubling per death in a row, up to RESTART_MAX_MS. */
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before it died starts the backoff over. */
const RESTART_RESET_MS = 60_000;
/** At shutdown, workers still running after this long are killed (systemd's TimeoutStopSec is 30 s). */
const STOP_TIMEOUT_MS = 25_000;
/** How long a /metrics request waits for the other workers' registries. */
const METRICS_TIMEOUT_MS = 3000;

/** (primary) ids of the workers that reported ready */
const readyWorkers = new Set<number>();
const workerRestarts = new Counter({
  name: 'onair_worker_restarts_total',
  help: 'Workers of `serve --workers N` that died and were forked again by the primary',
  registers: [registry],
});
new Gauge({
  name: 'onair_workers',
  help: 'Worker processes of `serve --workers N` running and listening (1 process without --workers: 0)',
  registers: [registry],
  collect() {
    this.set(cluster.isPrimary ? Object.values(cluster.workers ?? {}).filter((w) => w && readyWorkers.has(w.id)).length : 0);
  },
});

type Msg =
  | { type: 'onair:hello' }
  | { type: 'onair:start'; slot: number; config: ServerConfig }
  | { type: 'onair:ready'; slot: number; apiPort: number }
  | { type: 'onair:metrics'; id: number }
  | { type: 'onair:metrics-text'; id: number; text?: string; error?: string }
  | { type: 'onair:metrics-collect'; id: number }
  | { type: 'onair:metrics-part'; id: number; metrics: MetricJson[] };

function isMsg(m: unknown): m is Msg {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('onair:');
}

/** Is this process a worker of `serve --workers N`? */
export function isWorkerProcess(): boolean {
  return cluster.isWorker;
}

/** The node name of worker `slot`. */
export function workerNodeName(nodeName: string, slot: number): string {
  return `${nodeName}-${slot}`;
}

/** Worker `slot`'s configuration (1-based) of `config.workers`. */
export function workerConfig(config: ServerConfig, slot: number): ServerConfig {
  const n = config.workers;
  const c: ServerConfig = {
    ...config,
    nodeName: workerNodeName(config.nodeName, slot),
    // the machine's ladders, shared out: worker i gets its part (some may get none: they serve passthrough)
    maxTranscodes: Math.floor(config.maxTranscodes / n) + (slot <= config.maxTranscodes % n ? 1 : 0),
    srtListen: slot === 1,
  };
  if (config.internalUrl) {
    // other machines reach each worker: --internal-url's port is worker 1's, worker i listens on port + i - 1
    const u = new URL(config.internalUrl);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80)) + slot - 1;
    u.port = String(port);
    c.internalUrl = u.toString().replace(/\/+$/, '');
    c.internalListen = { host: config.host, port };
  } else {
    // the other workers of this machine reach it on the loopback
    c.internalListen = { host: '127.0.0.1', port: 0 };
  }
  return c;
}

/** A message to a worker (primary) or to the primary (worker); dropped when the channel is gone (or goes meanwhile). */
function send(target: Worker | 'primary', msg: Msg): void {
  const dropped = () => undefined;
  if (target === 'primary') {
    if (process.connected) process.send?.(msg, undefined, {}, dropped);
  } else if (target.isConnected()) {
    target.send(msg, undefined, dropped);
  }
}

// ---------------------------------------------------------------- worker

/**
 * A worker: waits for its configuration from the primary, runs one full node (no one-time start: the primary did
 * it), says when it listens, and stops on SIGINT/SIGTERM.
 */
export async function runWorker(hooks: ServerHooks = {}): Promise<void> {
  const start = await new Promise<Extract<Msg, { type: 'onair:start' }>>((resolve) => {
    const onMessage = (m: unknown) => {
      if (!isMsg(m) || m.type !== 'onair:start') return;
      process.off('message', onMessage);
      resolve(m);
    };
    process.on('message', onMessage);
    // (asked for once listening: a message the primary sent before would be lost)
    send('primary', { type: 'onair:hello' });
  });
  const { slot, config } = start;
  const logger = (hooks.logger ?? pino({ level: config.logLevel })).child({ worker: slot });

  // /metrics on this worker answers for the machine (the primary aggregates); the primary collects ours
  const pending = new Map<number, { resolve(text: string): void; reject(err: Error): void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  process.on('message', (m: unknown) => {
    if (!isMsg(m)) return;
    if (m.type === 'onair:metrics-collect') {
      registry.getMetricsAsJSON().then(
        (metrics) => send('primary', { type: 'onair:metrics-part', id: m.id, metrics }),
        (err: unknown) => logger.warn({ err }, 'could not collect the metrics for the primary'),
      );
    } else if (m.type === 'onair:metrics-text') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.text !== undefined) p.resolve(m.text);
      else p.reject(new Error(m.error ?? 'the primary could not aggregate the metrics'));
    }
  });
  answerMetricsFrom(() => new Promise<string>((resolve, reject) => {
    const id = ++nextId;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('the primary did not answer with the metrics in time'));
    }, METRICS_TIMEOUT_MS + 2000);
    timer.unref();
    pending.set(id, { resolve, reject, timer });
    send('primary', { type: 'onair:metrics', id });
  }));

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, { ...hooks, logger, bootstrap: false });
  } catch (err) {
    logger.error({ err }, 'worker could not start');
    process.exit(1);
  }
  logger.info({ nodeName: config.nodeName, apiPort: server.apiPort }, 'worker listening');
  send('primary', { type: 'onair:ready', slot, apiPort: server.apiPort });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down');
    server.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'worker shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

// ---------------------------------------------------------------- primary

export interface Primary {
  /** what the one-time start created (print it once) */
  boot: Bootstrapped;
  /** the API port the workers share */
  apiPort: number;
  /** Stop every worker (the signal; SIGKILL after 25 s); resolves with the exit code for the primary. */
  stop(signal: NodeJS.Signals): Promise<number>;
}

interface Slot {
  slot: number;
  worker: Worker | undefined;
  startedAt: number;
  /** deaths in a row (backoff) */
  deaths: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The primary: the one-time start, then N workers; resolves once every worker listens. A worker that dies before
 * all listen fails the start (the others are stopped): a configuration that cannot listen is not retried forever.
 */
export async function startPrimary(config: ServerConfig, logger: Logger): Promise<Primary> {
  const n = config.workers;
  const log = logger.child({ module: 'workers' });
  const names = Array.from({ length: n }, (_, i) => workerNodeName(config.nodeName, i + 1));
  const store = await Store.open(config.database);
  let boot: Bootstrapped;
  try {
    // this machine restarts: what its earlier run's workers (or its one process) held is over
    boot = await bootstrapStore(store, config, [config.nodeName, ...names]);
  } finally {
    await store.close();
  }

  const slots: Slot[] = Array.from({ length: n }, (_, i) => ({ slot: i + 1, worker: undefined, startedAt: 0, deaths: 0, timer: undefined }));
  let stopping = false;
  let started = false;
  let apiPort = config.apiPort;
  let startFailed: ((err: Error) => void) | undefined;
  let ready = 0;
  let allReady: (() => void) | undefined;
  const exits = new Set<Promise<void>>();
  const collects = new Map<number, { parts: MetricJson[][]; waiting: number; done(): void }>();
  let nextCollect = 0;

  const fork = (s: Slot) => {
    s.timer = undefined;
    const w = cluster.fork();
    s.worker = w;
    s.startedAt = Date.now();
    let exited!: () => void;
    const gone = new Promise<void>((r) => { exited = r; });
    exits.add(gone);
    w.on('message', (m: unknown) => {
      if (!isMsg(m)) return;
      if (m.type === 'onair:hello') {
        send(w, { type: 'onair:start', slot: s.slot, config: workerConfig(config, s.slot) });
      } else if (m.type === 'onair:ready') {
        readyWorkers.add(w.id);
        if (m.apiPort) apiPort = m.apiPort;
        if (!started) {
          log.info({ worker: s.slot, workerPid: w.process.pid }, 'worker listening');
          if (++ready === n) {
            started = true; // (from now on a worker that dies is forked again)
            allReady?.();
          }
        } else {
          log.info({ worker: s.slot, workerPid: w.process.pid }, 'worker listening again');
        }
      } else if (m.type === 'onair:metrics') {
        aggregateMetrics().then(
          (text) => send(w, { type: 'onair:metrics-text', id: m.id, text }),
          (err: unknown) => send(w, { type: 'onair:metrics-text', id: m.id, error: err instanceof Error ? err.message : String(err) }),
        );
      } else if (m.type === 'onair:metrics-part') {
        const c = collects.get(m.id);
        if (!c) return;
        c.parts.push(m.metrics);
        if (--c.waiting === 0) c.done();
      }
    });
    w.on('error', (err) => log.warn({ err, worker: s.slot }, 'worker channel error'));
    w.on('exit', (code, signal) => {
      readyWorkers.delete(w.id);
      exits.delete(gone);
      exited();
      if (s.worker === w) s.worker = undefined;
      if (stopping) return;
      if (!started) {
        startFailed?.(new Error(`worker ${s.slot} exited before it listened (${signal ?? `exit code ${String(code)}`}); see its log above`));
        return;
      }
      s.deaths = Date.now() - s.startedAt >= RESTART_RESET_MS ? 1 : s.deaths + 1;
      const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (s.deaths - 1));
      workerRestarts.inc();
      log.error({ worker: s.slot, workerPid: w.process.pid, code, signal, restartInMs: delay }, 'worker died: forking it again');
      s.timer = setTimeout(() => fork(s), delay);
    });
  };

  /** every worker's registry (and the primary's own), aggregated into one exposition */
  const aggregateMetrics = async (): Promise<string> => {
    const id = ++nextCollect;
    const parts: MetricJson[][] = [await registry.getMetricsAsJSON()];
    const asked = slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined && w.isConnected() && readyWorkers.has(w.id));
    if (asked.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ answered: parts.length - 1, asked: asked.length }, 'metrics: a worker did not answer in time (left out)');
          resolve();
        }, METRICS_TIMEOUT_MS);
        collects.set(id, { parts, waiting: asked.length, done: () => { clearTimeout(timer); resolve(); } });
        for (const w of asked) send(w, { type: 'onair:metrics-collect', id });
      });
      collects.delete(id);
    }
    for (const list of parts) for (const m of list) if (SAME_ON_EVERY_WORKER.has(m.name)) m.aggregator = 'max';
    return AggregatorRegistry.aggregate(parts).metrics();
  };

  const stopAll = async (signal: NodeJS.Signals): Promise<boolean> => {
    stopping = true;
    let clean = true;
    for (const s of slots) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
    }
    const running = slots.map((s) => s.worker).filter((w): w is Worker => w !== undefined);
    for (const w of running) w.process.kill(signal);
    const killer = setTimeout(() => {
      clean = false;
      for (const w of running) {
        if (w.process.exitCode === null && w.process.signalCode === null) {
          log.error({ workerPid: w.process.pid }, 'worker did not stop in time: killed');
          w.process.kill('SIGKILL');
        }
      }
    }, STOP_TIMEOUT_MS);
    await Promise.all([...exits]);
    clearTimeout(killer);
    for (const w of running) if (w.process.exitCode !== 0) clean = false;
    return clean;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      allReady = resolve;
      startFailed = reject;
      for (const s of slots) fork(s);
    });
  } catch (err) {
    await stopAll('SIGTERM');
    throw err;
  }
  log.info({ workers: n, nodes: names }, 'every worker listens');
  return {
    boot,
    apiPort,
    async stop(signal) {
      log.info({ signal }, 'stopping the workers');
      const clean = await stopAll(signal);
      log.info({ clean }, 'every worker stopped');
      return clean ? 0 : 1;
    },
  };
}
