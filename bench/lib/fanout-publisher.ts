/**
 * A load generator cheap enough not to be the limit of a max-streams ramp: one Node process
 * (fanout-publisher-main.ts) reads the clip once and publishes it over RTMP to N URLs, each paced in real time
 * from its own start like `ffmpeg -re -stream_loop -1 -c copy`, with the same tag bytes for every connection
 * (only the 12-byte RTMP message header is per connection). URLs are added during a ramp without touching the
 * others. Each URL gets a handle with the same health figures as an ffmpeg Publisher (recent media rate,
 * exited, last error), and the process's own CPU is measurable (`pid`).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawnTracked, stopChild } from './child-registry.js';
import type { PublisherLike } from './publisher.js';
import { benchDir } from './test-clip.js';
import { waitFor } from './wait.js';

const MAIN = join(benchDir, 'lib', 'fanout-publisher-main.ts');

interface Sample {
  wallMs: number;
  mediaMs: number;
}

/** Media seconds per wall second over the last `windowMs` of samples (undefined until half the window is seen). */
export function rateOf(samples: readonly Sample[], windowMs: number): number | undefined {
  const last = samples[samples.length - 1];
  if (!last) return undefined;
  const first = samples.find((s) => last.wallMs - s.wallMs <= windowMs);
  if (!first || last.wallMs - first.wallMs < windowMs / 2) return undefined;
  return (last.mediaMs - first.mediaMs) / (last.wallMs - first.wallMs);
}

export class FanoutStream implements PublisherLike {
  readonly samples: Sample[] = [];
  private closedReason: string | undefined;
  publishing = false;
  /** bytes waiting in the generator's socket buffer at the last progress line */
  queued = 0;

  constructor(readonly id: number, readonly url: string, private readonly owner: FanoutPublisher) {}

  get exited(): boolean {
    return this.closedReason !== undefined;
  }

  get lastError(): string {
    return this.closedReason ?? '';
  }

  recentRate(windowMs = 8000): number | undefined {
    return rateOf(this.samples, windowMs);
  }

  /** @internal from the generator's progress lines */
  sample(wallMs: number, mediaMs: number, queued: number): void {
    this.samples.push({ wallMs, mediaMs });
    if (this.samples.length > 120) this.samples.shift();
    this.queued = queued;
  }

  /** @internal */
  closed(reason: string): void {
    this.closedReason ??= reason;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.closed('stopped');
    this.owner.remove(this.id);
  }
}

export class FanoutPublisher {
  private child: ChildProcess | undefined;
  private readonly streams = new Map<number, FanoutStream>();
  private nextId = 0;
  private ready = false;
  private stderrTail = '';
  /** one loop of the clip, ms (from the generator) */
  clipMs = 0;

  constructor(readonly clipPath: string) {}

  async start(): Promise<void> {
    // tsx loads the TypeScript entry (the process's own CPU includes that start-up, a fraction of a second)
    const child = spawnTracked(process.execPath, [...(process.env.BENCH_FANOUT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_FANOUT_PROF}`] : []), '--import', 'tsx', MAIN, this.clipPath], {
      cwd: join(benchDir, '..'),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => { this.stderrTail = (this.stderrTail + chunk.toString()).slice(-800); });
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    child.once('exit', (code, signal) => {
      for (const s of this.streams.values()) s.closed(`generator exited (${code ?? signal}): ${this.stderrTail.trim().slice(-200)}`);
    });
    // the generator only reads what it is told; a broken pipe after it exits is not an error of ours
    child.stdin?.on('error', () => undefined);
    await waitFor('fan-out publisher ready', () => {
      if (child.exitCode !== null) throw new Error(`fan-out publisher exited (${child.exitCode}): ${this.stderrTail.trim().slice(-300)}`);
      return this.ready ? true : undefined;
    }, 60_000, 50);
  }

  private onLine(line: string): void {
    let ev: { ev?: string; id?: number; reason?: string; t?: number; s?: Array<[number, number, number]>; durationMs?: number };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    if (ev.ev === 'ready') {
      this.ready = true;
      this.clipMs = ev.durationMs ?? 0;
    } else if (ev.ev === 'publishing') {
      const s = this.streams.get(Number(ev.id));
      if (s) s.publishing = true;
    } else if (ev.ev === 'closed') {
      this.streams.get(Number(ev.id))?.closed(ev.reason ?? 'closed');
    } else if (ev.ev === 'progress' && ev.s && ev.t !== undefined) {
      for (const [id, mediaMs, queued] of ev.s) this.streams.get(id)?.sample(ev.t, mediaMs, queued);
    }
  }

  private send(cmd: Record<string, unknown>): void {
    if (this.child?.stdin?.writable) this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Starts publishing to `url` (the others carry on). */
  add(url: string): FanoutStream {
    if (!this.ready) throw new Error('fan-out publisher not started');
    const stream = new FanoutStream(this.nextId++, url, this);
    this.streams.set(stream.id, stream);
    this.send({ op: 'add', id: stream.id, url });
    return stream;
  }

  /** @internal (FanoutStream.stop) */
  remove(id: number): void {
    this.send({ op: 'remove', id });
  }

  get size(): number {
    return this.streams.size;
  }

  /** The generator's pid (its CPU is the cost of the load, not of the server). */
  get pid(): number {
    return this.child?.pid ?? -1;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    // closing stdin ends the generator (its connections close); the signal is for a stuck one
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null) await Promise.race([new Promise((resolve) => child.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    await stopChild(child, 1500);
  }
}
