/** Shared pieces of the SRT tests: addon build check, sample media, a recording gateway, child processes. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PublishDecision, PublishGateway, PublishRefusal, PublishRequest } from '../../../src/core/contracts.js';
import type { StreamHub } from '../../../src/core/live-stream.js';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';
import type { SrtCredentialRow } from '../../../src/ingest/srt/srt-credentials.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Builds native/srt when its .node file is missing (CI runs `npm run build:native` first). */
export function ensureSrtAddon(): void {
  if (existsSync(join(root, 'native/srt/build/Release/onair_srt.node'))) return;
  const r = spawnSync(process.execPath, [join(root, 'native/srt/build.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the SRT addon failed');
}

/** A short H.264 + AAC MPEG-TS (30 fps, keyframe every 30 frames) written to `dir`. */
export function makeSample(dir: string, seconds: number): string {
  const out = join(dir, `sample-${seconds}s.ts`);
  const r = spawnSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-f', 'mpegts', out,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg sample failed: ${r.stderr}`);
  return out;
}

export function credential(streamId: string, secret: string, status: SrtCredentialRow['status'] = 'idle'): SrtCredentialRow {
  return { streamId, srtSecret: secret, srtPlaybackStreamId: `play${streamId}`, srtPlaybackSecret: `${secret}-play`, status };
}

export interface RecordedSession {
  req: PublishRequest;
  configs: TrackConfig[];
  frames: MediaFrame[];
  ended?: string;
  kick: (reason: string) => void;
}

/** A PublishGateway double: records what each publisher sends; optionally relays it into a StreamHub. */
export class RecordingGateway implements PublishGateway {
  readonly sessions: RecordedSession[] = [];
  refuse: PublishRefusal | undefined;

  constructor(private readonly hub?: StreamHub) {}

  async publish(req: PublishRequest, kick: (reason: string) => void): Promise<PublishDecision> {
    if (this.refuse) return { ok: false, reason: this.refuse, message: `refused: ${this.refuse}` };
    const rec: RecordedSession = { req, configs: [], frames: [], kick };
    this.sessions.push(rec);
    const hub = this.hub;
    hub?.open(req.key);
    return {
      ok: true,
      session: {
        streamId: req.key,
        onConfig: (c) => {
          rec.configs.push(c);
          hub?.config(req.key, c);
        },
        onFrame: (f) => {
          rec.frames.push(f);
          hub?.frame(req.key, f);
        },
        end: (reason) => {
          rec.ended = reason;
          hub?.close(req.key);
        },
      },
    };
  }
}

/** Polls `cond` until true or the deadline passes (then throws with `what`). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ProcessResult {
  code: number | null;
  stderr: string;
  stdout: Buffer;
  ms: number;
}

const children = new Set<ChildProcess>();

/** Runs a command to its end (killed after timeoutMs); children left over are killed by killChildren(). */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<ProcessResult> {
  const started = Date.now();
  // detached: its own process group, so a shell pipeline dies whole (see kill below)
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => killGroup(child), timeoutMs);
  return new Promise((resolveRun) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolveRun({ code, stderr, stdout: Buffer.concat(out), ms: Date.now() - started });
    });
  });
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function killChildren(): void {
  for (const c of children) killGroup(c);
  children.clear();
}

/** ffmpeg sending a file in real time to an SRT URL. */
export function ffmpegPublish(file: string, url: string, timeoutMs = 20_000): Promise<ProcessResult> {
  return run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', file, '-c', 'copy', '-f', 'mpegts', url], timeoutMs);
}

