/** A UDP relay for loss tests: drops a seeded share of datagrams, delays and slightly reorders the rest, both ways. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mulberry32 } from './prng.js';

export interface LossyUdpRelayOptions {
  /** where datagrams from callers go (the server under test) */
  targetHost: string;
  targetPort: number;
  /** share of datagrams dropped in each direction, 0..1 */
  lossRate: number;
  /** one-way delay added to every datagram, ms */
  delayMs: number;
  /** share of datagrams held a little longer, so later ones overtake them (default 0.02) */
  reorderRate?: number;
  /** extra hold for a reordered datagram, ms (default 5) */
  reorderExtraMs?: number;
  seed: number;
  /** local address the relay's upstream sockets bind to: what the server sees as the caller (default 127.0.0.1) */
  upstreamHost?: string;
}

export interface LossyUdpRelayStats {
  forwarded: number;
  dropped: number;
  reordered: number;
}


export class LossyUdpRelay {
  readonly stats: LossyUdpRelayStats = { forwarded: 0, dropped: 0, reordered: 0 };
  private readonly front = createSocket('udp4');
  /** one upstream socket per caller address:port, so replies find their way back */
  private readonly upstreams = new Map<string, Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly random: () => number;
  private closed = false;

  private constructor(private readonly opts: LossyUdpRelayOptions) {
    this.random = mulberry32(opts.seed);
    this.front.on('message', (msg, from) => this.fromCaller(msg, from));
  }

  static async start(opts: LossyUdpRelayOptions): Promise<LossyUdpRelay> {
    const relay = new LossyUdpRelay(opts);
    await new Promise<void>((resolve) => relay.front.bind(0, '127.0.0.1', resolve));
    return relay;
  }

  get port(): number {
    return this.front.address().port;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const sockets = [this.front, ...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private fromCaller(msg: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let up = this.upstreams.get(key);
    if (!up) {
      const socket = createSocket('udp4');
      socket.on('message', (reply) => this.forward(reply, (m) => this.front.send(m, from.port, from.address)));
      socket.on('error', () => undefined);
      socket.bind(0, this.opts.upstreamHost ?? '127.0.0.1');
      this.upstreams.set(key, socket);
      up = socket;
    }
    const upstream = up;
    this.forward(msg, (m) => upstream.send(m, this.opts.targetPort, this.opts.targetHost));
  }

  private forward(msg: Buffer, send: (m: Buffer) => void): void {
    if (this.closed) return;
    if (this.random() < this.opts.lossRate) {
      this.stats.dropped++;
      return;
    }
    let delay = this.opts.delayMs;
    if (this.random() < (this.opts.reorderRate ?? 0.02)) {
      delay += this.opts.reorderExtraMs ?? 5;
      this.stats.reordered++;
    }
    const copy = Buffer.from(msg);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      this.stats.forwarded++;
      send(copy);
    }, delay);
    this.timers.add(timer);
  }
}
