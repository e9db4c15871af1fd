/**
 * srt-live-transmit (Debian srt-tools) as the SRT floor: one relay process per stream, an encrypted SRT
 * listener on loopback (same passphrase form and default 120 ms latency as onair's) forwarding the
 * MPEG-TS payload to a UDP sink in the bench process. It does no demuxing or packaging, so its CPU is a
 * lower bound for "take an SRT stream in", not a peer doing onair's work.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { spawnTracked, stopChild } from '../lib/child-registry.js';
import { cpuSecondsBetween, snapshotCpu, type CpuSnapshot } from '../lib/proc-cpu.js';
import { Publisher } from '../lib/publisher.js';
import { sleep, waitFor } from '../lib/wait.js';
import { srtUrl } from './onair-server.js';

export const RELAY_NAME = 'srt-live-transmit';

/** Free UDP ports on 127.0.0.1 (bind port 0, read it, close), distinct. */
export async function freeUdpPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count && tries < count * 10; tries++) {
    const port = await new Promise<number>((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const { port: bound } = socket.address();
        socket.close(() => resolve(bound));
      });
    });
    if (!ports.includes(port)) ports.push(port);
  }
  if (ports.length < count) throw new Error(`only ${ports.length}/${count} free UDP ports`);
  return ports;
}

export function relayVersion(): string {
  const out = spawnSync(RELAY_NAME, ['-version'], { encoding: 'utf8', timeout: 5000 });
  const version = /SRT Library version: ([\d.]+)/.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`)?.[1];
  return version ? `libsrt ${version}` : 'version unknown';
}

/** Counts what the relays deliver: bytes per sending socket (one per relay process). */
class UdpSink {
  private socket: Socket | undefined;
  readonly bySender = new Map<number, { bytes: number; lastAt: number }>();
  port = 0;

  async start(): Promise<void> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      const entry = this.bySender.get(rinfo.port) ?? { bytes: 0, lastAt: 0 };
      entry.bytes += msg.length;
      entry.lastAt = Date.now();
      this.bySender.set(rinfo.port, entry);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    try {
      socket.setRecvBufferSize(8 * 1024 * 1024);
    } catch {
      /* capped by net.core.rmem_max; counting is all this does */
    }
    this.port = socket.address().port;
  }

  /** Senders heard from within `withinMs`. */
  activeSenders(withinMs = 3000): number {
    const now = Date.now();
    let active = 0;
    for (const entry of this.bySender.values()) if (now - entry.lastAt <= withinMs) active++;
    return active;
  }

  totalBytes(): number {
    let total = 0;
    for (const entry of this.bySender.values()) total += entry.bytes;
    return total;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

interface Relay {
  child: ChildProcess;
  output: string;
}

/** N relays, each with its own ffmpeg publisher, all forwarding to one counting UDP sink. */
export class SrtRelayFarm {
  readonly description = `${RELAY_NAME} (${relayVersion()}), one process per stream: srt listener (AES-128, latency 120 ms) -> udp://127.0.0.1 sink`;
  private readonly relays: Relay[] = [];
  readonly publishers: Publisher[] = [];
  private readonly sink = new UdpSink();

  constructor(readonly clipPath: string, readonly maxSeconds: number) {}

  get size(): number {
    return this.relays.length;
  }

  async start(): Promise<void> {
    await this.sink.start();
  }

  /** Adds `count` relays and a publisher into each, staggered like the server farms. */
  async add(count: number, staggerMs = 100): Promise<void> {
    const ports = await freeUdpPorts(count);
    for (const port of ports) {
      const passphrase = randomBytes(16).toString('hex');
      const relay: Relay = {
        output: '',
        child: spawnTracked(RELAY_NAME, [
          // -a:no: one session, then exit (the bench owns the lifetime); -t bounds it like the publishers' -t.
          '-a:no', `-t:${this.maxSeconds + 30}`, '-loglevel:error',
          `srt://127.0.0.1:${port}?mode=listener&passphrase=${passphrase}`,
          `udp://127.0.0.1:${this.sink.port}`,
        ]),
      };
      const keep = (chunk: Buffer): void => { relay.output = (relay.output + chunk.toString()).slice(-600); };
      relay.child.stdout?.on('data', keep);
      relay.child.stderr?.on('data', keep);
      this.relays.push(relay);
      // The listener needs a moment to bind before the caller's handshake (ffmpeg gives up on refusal).
      await waitFor(`${RELAY_NAME} listening on udp ${port}`, () => {
        if (relay.child.exitCode !== null) throw new Error(`${RELAY_NAME} exited: ${relay.output.trim().slice(-300)}`);
        return udpPortBound(port) ? true : undefined;
      }, 5000, 50);
      this.publishers.push(new Publisher(this.clipPath, srtUrl(port, { streamid: `s${this.relays.length - 1}`, passphrase }), this.maxSeconds));
      await sleep(staggerMs);
    }
  }

  /** Waits (bounded) until every relay delivers to the sink. */
  async waitAllFlowing(timeoutMs: number): Promise<void> {
    await waitFor(`${this.size} relays delivering`, () => {
      const dead = this.relays.find((r) => r.child.exitCode !== null || r.child.signalCode !== null);
      if (dead) throw new Error(`${RELAY_NAME} exited: ${dead.output.trim().slice(-300) || 'no message'}`);
      const exited = this.publishers.find((p) => p.exited);
      if (exited) throw new Error(`publisher exited: ${exited.lastError || 'no message'}`);
      return this.sink.activeSenders(2000) >= this.size ? true : undefined;
    }, timeoutMs, 250).catch((err: unknown) => {
      throw new Error(`${this.sink.activeSenders(2000)}/${this.size} relays delivering (${err instanceof Error ? err.message : String(err)})`);
    });
  }

  /** Per-relay CPU snapshots (each relay is its own process; its threads are in its /proc stat). */
  snapshot(): CpuSnapshot[] {
    return this.relays.map((r) => snapshotCpu(r.child.pid ?? -1));
  }

  static cpuSecondsBetween(before: CpuSnapshot[], after: CpuSnapshot[]): number {
    let total = 0;
    after.forEach((end, i) => {
      const start = before[i];
      if (start) total += cpuSecondsBetween(start, end);
    });
    return total;
  }

  /** For the window's health line: how many relays delivered recently, bytes so far, slowest publisher. */
  health(): { delivering: number; bytes: number; slowPublishers: number; minRate: number | undefined } {
    let slow = 0;
    let minRate: number | undefined;
    for (const publisher of this.publishers) {
      const rate = publisher.recentRate();
      if (rate !== undefined) minRate = minRate === undefined ? rate : Math.min(minRate, rate);
      if (publisher.exited || (rate !== undefined && rate < 0.95)) slow++;
    }
    return { delivering: this.sink.activeSenders(), bytes: this.sink.totalBytes(), slowPublishers: slow, minRate };
  }

  async stop(): Promise<void> {
    await Promise.all(this.publishers.map((p) => p.stop()));
    await Promise.all(this.relays.map((r) => stopChild(r.child, 1500)));
    await this.sink.stop();
  }
}

/**
 * Whether a /proc/net/udp(6) table lists a socket bound to local `port`: proc(5), the second column is
 * local_address as HEXIP:HEXPORT (port in upper-case hex, 4 digits).
 */
export function udpTableHasPort(table: string, port: number): boolean {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table.split('\n').slice(1).some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix) === true);
}

function udpPortBound(port: number): boolean {
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    try {
      if (udpTableHasPort(readFileSync(file, 'utf8'), port)) return true;
    } catch {
      /* no IPv6 table */
    }
  }
  return false;
}
