/**
 * Runs the REAL onair server process for tests: `node --import tsx src/cli/main.ts serve` (no build needed;
 * set ONAIR_TEST_DIST=1 to run dist/cli/main.js), on free ports, in a temp data dir, with a known admin token
 * (ONAIR_TOKEN_ID / ONAIR_TOKEN_SECRET). Waits for /healthz, captures stdout+stderr, kills it on stop.
 *
 *   const srv = await startTestServer({ database: await pg.createDatabase() });
 *   const res = await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} });
 *   await srv.restart();   // same data dir, database and ports
 *   await srv.stop();      // also deletes the temp data dir
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { freePort, waitFor } from './ports.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface TestServerOptions {
  /** `postgres://...` or omit for SQLite in the data dir */
  database?: string;
  /** extra CLI args for `serve` */
  args?: string[];
  /** extra environment (ONAIR_* settings) */
  env?: Record<string, string>;
  /** false: do not define the admin token through the environment (tests the first-start printout) */
  envToken?: boolean;
  /** keep (do not delete) this data dir on stop; default: a fresh temp dir, deleted on stop */
  dataDir?: string;
  startTimeoutMs?: number;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON, or undefined when the body is not JSON */
  body: T;
}

export interface RequestOptions {
  /** Authorization header value; null = none; default = admin token */
  auth?: string | null;
  headers?: Record<string, string>;
  /** send this exact body text (with content-type application/json unless headers say otherwise) */
  raw?: string;
}

export interface TestServer {
  url: string;
  ports: { api: number; playback: number; rtmp: number; rtmps: number; srt: number };
  dataDir: string;
  database: string | undefined;
  tokenId: string;
  tokenSecret: string;
  /** `Basic ...` for the admin token */
  auth: string;
  /** everything the process wrote so far (stdout + stderr) */
  logs(): string;
  request<T = any>(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<ApiResponse<T>>;
  /** stop (SIGTERM) and start again with the same settings */
  restart(): Promise<void>;
  /** kill -9 (no shutdown at all) and start again with the same settings */
  crashAndRestart(): Promise<void>;
  /** kill -9 (no shutdown at all) and leave it down (`restart()` starts it again) */
  crash(): Promise<void>;
  stop(): Promise<void>;
  /** the server process's id (the primary's with --workers) */
  pid(): number | undefined;
  /** resolves when the current server process exits, with its exit code and signal */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** The command that runs the CLI: tsx over the sources, or the build. */
export function cliCommand(): string[] {
  return process.env.ONAIR_TEST_DIST === '1'
    ? ['--single-threaded-gc', '--initial-old-space-size=128', join(REPO_ROOT, 'dist', 'cli', 'main.js')] // as bin/onair.js's shebang runs it
    : ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts')];
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'onair-test-'));
  const ports = { api: await freePort(), playback: await freePort(), rtmp: await freePort(), rtmps: await freePort(), srt: await freePort() };
  const tokenId = randomUUID();
  const tokenSecret = randomBytes(24).toString('base64url');
  const url = `http://127.0.0.1:${ports.api}`;
  const args = [
    ...cliCommand(), 'serve', '--data', dataDir, '--host', '127.0.0.1',
    '--api-port', String(ports.api), '--playback-port', String(ports.playback), '--rtmp-port', String(ports.rtmp),
    '--rtmps-port', String(ports.rtmps), '--srt-port', String(ports.srt),
    ...(opts.database ? ['--database', opts.database] : []), ...(opts.args ?? []),
  ];
  // one process unless a test asks for `--workers N` (the default on Postgres would be one worker per core)
  const env: Record<string, string | undefined> = { ...process.env, ONAIR_LOG_LEVEL: 'warn', ONAIR_WORKERS: '1', ...opts.env };
  if (opts.envToken !== false) Object.assign(env, { ONAIR_TOKEN_ID: tokenId, ONAIR_TOKEN_SECRET: tokenSecret });
  else { delete env.ONAIR_TOKEN_ID; delete env.ONAIR_TOKEN_SECRET; }

  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let exitedWith: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });

  const launch = async () => {
    const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    let gone = false;
    exitedWith = new Promise((res) => proc.once('exit', (code, signal) => { gone = true; res({ code, signal }); }));
    exited = exitedWith.then(() => undefined);
    try {
      await waitFor('onair /healthz', async () => {
        if (gone) throw new Error(`server exited early:\n${output}`);
        const r = await fetch(`${url}/healthz`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      }, opts.startTimeoutMs ?? 30_000, 100);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n--- server output ---\n${output}`);
    }
  };

  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  const auth = basicAuth(tokenId, tokenSecret);
  return {
    url, ports, dataDir, database: opts.database, tokenId, tokenSecret, auth,
    logs: () => output,
    pid: () => child?.pid,
    exited: () => exitedWith,
    request: (method, path, body, ro = {}) => apiRequest(url, method, path, body, { auth: ro.auth === undefined ? auth : ro.auth, ...ro }),
    async restart() {
      await kill();
      await launch();
    },
    async crashAndRestart() {
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      await launch();
    },
    async crash() {
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      await kill();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One HTTP call with JSON in and out. */
export async function apiRequest<T = any>(base: string, method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers.authorization = opts.auth;
  let payload: string | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: res.status, headers: res.headers, text, body: parsed as T };
}

/** Run the onair CLI (e.g. `tokens create`) to completion; returns stdout. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [...cliCommand(), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number>((res) => proc.once('exit', (c) => res(c ?? 1)));
  return { code, stdout, stderr };
}
