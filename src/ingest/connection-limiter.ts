/**
 * Bounds on concurrent connections of a listener, in total and per remote address, shared by the RTMP(S),
 * playback and API listeners, plus the metrics every limit of the process reports through
 * (`onair_limit_hits_total{limit}`, `onair_connections{listener}`).
 *
 * A refused connection is destroyed as soon as it is accepted (before TLS or HTTP spend anything on it),
 * counted, and logged at warn; refusals of one listener are logged at most once a second (with the number of
 * refusals since the last line), so a connection flood cannot turn into a log flood.
 */
import type { Server, Socket } from 'node:net';
import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics.js';

/** Every limit hit of the process, by limit name (`rtmp_connections`, `rtmp_message_size`, ...). */
export const limitHits = new Counter({
  name: 'onair_limit_hits_total',
  help: 'Connections refused or closed because a resource limit was reached, by limit',
  labelNames: ['limit'] as const,
  registers: [registry],
});

export const openConnections = new Gauge({
  name: 'onair_connections',
  help: 'Open connections by listener (rtmp counts RTMP and RTMPS)',
  labelNames: ['listener'] as const,
  registers: [registry],
});

/** The logger calls the limiter makes (pino's Logger fits, so does the playback listener's). */
export interface LimitLogger {
  warn(obj: object, msg?: string): void;
}

export interface ConnectionLimits {
  /** open connections of the listener (0 = unlimited) */
  maxConnections: number;
  /** open connections from one remote address (0 = unlimited) */
  maxPerAddress: number;
}

const LOG_INTERVAL_MS = 1000;

export class ConnectionLimiter {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  private readonly gauge;
  private readonly totalHits;
  private readonly addressHits;
  private lastLog = 0;
  private unlogged = 0;

  /** `listener` names the metrics: `onair_connections{listener}`, limits `<listener>_connections` and `<listener>_connections_per_address`. */
  constructor(readonly listener: string, private readonly limits: ConnectionLimits, private readonly log?: LimitLogger) {
    this.gauge = openConnections.labels(listener);
    this.totalHits = limitHits.labels(`${listener}_connections`);
    this.addressHits = limitHits.labels(`${listener}_connections_per_address`);
  }

  /** Open connections now (all addresses). */
  get size(): number {
    return this.total;
  }

  /** Open connections now from `address`. */
  countOf(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /**
   * Admits a just-accepted socket: counts it until it closes and returns true, or returns false (the limit
   * hit counted and logged) when the listener or the socket's address is full. The caller destroys a refused socket.
   */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress;
    if (address === undefined) return false; // already gone
    const { maxConnections, maxPerAddress } = this.limits;
    if (maxConnections > 0 && this.total >= maxConnections) {
      this.refused(this.totalHits, 'connections', address, maxConnections);
      return false;
    }
    const n = this.perAddress.get(address) ?? 0;
    if (maxPerAddress > 0 && n >= maxPerAddress) {
      this.refused(this.addressHits, 'connections per address', address, maxPerAddress);
      return false;
    }
    this.total++;
    this.perAddress.set(address, n + 1);
    this.gauge.inc();
    socket.once('close', () => this.release(address));
    return true;
  }

  private release(address: string): void {
    this.total--;
    this.gauge.dec();
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, n);
  }

  private refused(counter: { inc(): void }, what: string, address: string, limit: number): void {
    counter.inc();
    this.unlogged++;
    const now = Date.now();
    if (this.log !== undefined && now - this.lastLog >= LOG_INTERVAL_MS) {
      this.log.warn({ listener: this.listener, limit: what, max: limit, address, refused: this.unlogged }, `${this.listener} connection refused: too many ${what}`);
      this.lastLog = now;
      this.unlogged = 0;
    }
  }
}

/**
 * Counts the connections of `server` (a net, tls or http server: its 'connection' event carries the raw
 * socket) and destroys the ones over the limits. Returns the limiter (for its counts).
 */
export function limitConnections(server: Server, listener: string, limits: ConnectionLimits, log?: LimitLogger): ConnectionLimiter {
  const limiter = new ConnectionLimiter(listener, limits, log);
  // First in line: the server's own listener (TLS, HTTP, the RTMP accept) sees the socket destroyed already.
  server.prependListener('connection', (socket: Socket) => {
    if (!limiter.admit(socket)) socket.destroy();
  });
  return limiter;
}
