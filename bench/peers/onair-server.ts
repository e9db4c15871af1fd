/** onair itself: `onair serve` on free loopback ports, streams made through the /v1 API with an admin token. */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir, spawnTracked, stopChild } from '../lib/child-registry.js';
import { freePorts } from '../lib/free-port.js';
import { benchDir } from '../lib/test-clip.js';
import { builtEntry } from '../lib/onair-build.js';
import { waitFor, fetchWithTimeout } from '../lib/wait.js';
import type { MediaServer, StreamEndpoints } from './media-server.js';

const repoDir = join(benchDir, '..');

interface CreateStreamBody {
  success?: boolean;
  data?: { streamId?: string; streamKey?: string; srtSecret?: string; playbackIds?: Array<{ id: string; accessPolicy?: string }> };
}

function newestMtime(dir: string, depth = 0): number {
  let newest = 0;
  if (depth > 8 || !existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, depth + 1));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The node flags of bin/onair.js's shebang, as `onair serve` runs for an operator. */
export const NODE_FLAGS = ['--single-threaded-gc', '--initial-old-space-size=128'];

/**
 * How to start onair: the compiled bin/onair.js when dist/ is at least as new as src/, otherwise the
 * TypeScript entry through tsx (same CLI), so a stale build never gets measured by accident.
 */
export function onairCommand(): { args: string[]; how: string } {
  const own = builtEntry();
  if (own) return { args: [...NODE_FLAGS, own], how: 'bench/out/dist (tsc at the start of the run), node ' + NODE_FLAGS.join(' ') };
  const dist = join(repoDir, 'dist', 'cli', 'main.js');
  const src = join(repoDir, 'src', 'cli', 'main.ts');
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(join(repoDir, 'src'))) {
    // the node flags of bin/onair.js's shebang, as `onair serve` runs for an operator
    return { args: [...NODE_FLAGS, join(repoDir, 'bin', 'onair.js')], how: 'bin/onair.js (dist)' };
  }
  // the same GC flags as bin/onair.js (without them the heap's full collections dominate onair's CPU)
  if (existsSync(src)) return { args: [...NODE_FLAGS, '--import', 'tsx', src], how: 'src/cli/main.ts via tsx' };
  if (existsSync(dist)) return { args: [...NODE_FLAGS, join(repoDir, 'bin', 'onair.js')], how: 'bin/onair.js (dist, older than src)' };
  throw new Error('no onair entry point (neither dist/cli/main.js nor src/cli/main.ts)');
}

/** An SRT caller URL on loopback as ffmpeg reads it (query values URL-encoded). */
export function srtUrl(port: number, params: Record<string, string>): string {
  const query = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `srt://127.0.0.1:${port}${query ? `?${query}` : ''}`;
}

/** How a bench run wants onair: stream settings at create, extra environment, extra node flags (e.g. --cpu-prof). */
export interface OnairOptions {
  /** inputMediaSettings.enableRecording (the API's default is true; the CPU/memory rows compare HLS only: false) */
  recording?: boolean;
  /** inputMediaSettings.enableDvrMode */
  dvr?: boolean;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** more `onair serve` flags (e.g. --database postgres://..., --workers 2, --node-name) */
  args?: string[];
  /** the admin token (nodes of one cluster share their database, so they must share it too); default: random */
  token?: { id: string; secret: string };
}

export class OnairServer implements MediaServer {
  readonly name = 'onair';
  description = 'onair serve';
  private child: ChildProcess | undefined;
  private dir = '';
  private apiPort = 0;
  private playbackPort = 0;
  private rtmpPort = 0;
  private srtPort = 0;
  private output = '';
  private readonly tokenId: string;
  private readonly tokenSecret: string;
  /** stream ids in creation order (the db-stall API load reads and patches them) */
  readonly streamIds: string[] = [];

  constructor(readonly options: OnairOptions = {}) {
    this.tokenId = options.token?.id ?? 'bench';
    this.tokenSecret = options.token?.secret ?? randomBytes(24).toString('hex');
  }

  async start(): Promise<void> {
    const { args: entry, how } = onairCommand();
    // BENCH_ONAIR_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=bench/out/prof"): profile onair inside any measurement
    const extra = (process.env.BENCH_ONAIR_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const args = [...extra, ...(this.options.nodeArgs ?? []), ...entry];
    this.description = `onair serve, ${how}`;
    this.dir = makeTempDir('onair-bench-onair-');
    [this.apiPort, this.playbackPort, this.rtmpPort, this.srtPort] = await freePorts(4);
    this.child = spawnTracked(process.execPath, [
      ...args, 'serve', '--data', this.dir, '--host', '127.0.0.1',
      '--api-port', String(this.apiPort), '--playback-port', String(this.playbackPort),
      '--rtmp-port', String(this.rtmpPort), '--srt-port', String(this.srtPort),
      ...(this.options.args ?? []),
    ], {
      cwd: repoDir,
      // (every bench publisher comes from 127.0.0.1: no per-address RTMP limit, or max-streams would stop at it)
      env: { ...process.env, ONAIR_TOKEN_ID: this.tokenId, ONAIR_TOKEN_SECRET: this.tokenSecret, ONAIR_LOG_LEVEL: 'warn', ONAIR_RTMP_MAX_CONNECTIONS_PER_ADDRESS: '0',
        // like for like with nginx-hls: the source rendition only, no ffmpeg ladder (options.env may turn it on)
        ONAIR_TRANSCODE: 'off', ...this.options.env },
    });
    // BENCH_ONAIR_OUTPUT=FILE: onair's whole stdout/stderr appended to FILE as well (e.g. with --trace-gc)
    const outputFile = process.env.BENCH_ONAIR_OUTPUT;
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-4000);
      if (outputFile) appendFileSync(outputFile, chunk);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    await waitFor('onair /healthz', async () => {
      if (this.child?.exitCode !== null) throw new Error(`onair exited (${this.child?.exitCode}): ${this.tail()}`);
      const res = await fetchWithTimeout(`http://127.0.0.1:${this.apiPort}/healthz`, {}, 1000);
      await res.body?.cancel();
      return res.status === 200 ? true : undefined;
    }, 30_000, 200);
  }

  /** Basic auth of the bench's admin token, for /v1 requests */
  authorization(): string {
    return `Basic ${Buffer.from(`${this.tokenId}:${this.tokenSecret}`).toString('base64')}`;
  }

  apiOrigin(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async createStream(): Promise<StreamEndpoints> {
    const settings: Record<string, unknown> = { maxResolution: '1080p' };
    if (this.options.recording !== undefined) settings.enableRecording = this.options.recording;
    if (this.options.dvr !== undefined) settings.enableDvrMode = this.options.dvr;
    const res = await fetchWithTimeout(`http://127.0.0.1:${this.apiPort}/v1/live/streams`, {
      method: 'POST',
      headers: { authorization: this.authorization(), 'content-type': 'application/json' },
      body: JSON.stringify({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: settings }),
    }, 5000);
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST /v1/live/streams -> ${res.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as CreateStreamBody;
    const key = body.data?.streamKey;
    const playbackId = body.data?.playbackIds?.[0]?.id;
    if (!key || !playbackId) throw new Error(`create stream answer lacks streamKey/playbackIds: ${text.slice(0, 200)}`);
    const { streamId, srtSecret } = body.data ?? {};
    if (streamId) this.streamIds.push(streamId);
    return {
      publishUrl: `rtmp://127.0.0.1:${this.rtmpPort}/live/${key}`,
      playUrl: `http://127.0.0.1:${this.playbackPort}/${playbackId}.m3u8`,
      // The SRT publisher form onair prints at start-up: srt://host:port?streamid=<streamId>&passphrase=<srtSecret>.
      ...(streamId && srtSecret ? { srtPublishUrl: srtUrl(this.srtPort, { streamid: streamId, passphrase: srtSecret }) } : {}),
    };
  }

  rootPid(): number {
    return this.child?.pid ?? -1;
  }

  playbackOrigin(): string {
    return `http://127.0.0.1:${this.playbackPort}`;
  }

  tail(): string {
    return this.output.trim().split('\n').slice(-3).join(' | ').slice(-400);
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, 5000);
    if (this.dir) removeTempDir(this.dir);
  }
}
