/**
 * RTMP and RTMPS listeners: one RtmpConnection per accepted socket. Connections are bounded in number (in
 * total and per remote address, RTMP and RTMPS together) and in memory: tiny messages until a publish is
 * accepted, `maxMessageBytes` after, and one assembly budget for the partly received messages of all of them.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { PublishGateway } from '../../core/contracts.js';
import { limitConnections, type ConnectionLimiter } from '../connection-limiter.js';
import { SharedAssemblyBudget } from './rtmp-assembly-budget.js';
import { RtmpConnection } from './rtmp-connection.js';

/** Defaults a 2-core, 4 GB machine survives. */
export const RTMP_LIMIT_DEFAULTS = {
  maxConnections: 1000,
  maxConnectionsPerAddress: 50,
  assemblyBudgetBytes: 256 * 1024 * 1024,
  /** a 4K keyframe fits */
  maxMessageBytes: 8 * 1024 * 1024,
  /** connect, createStream and publish are a few hundred bytes */
  setupMaxMessageBytes: 64 * 1024,
} as const;

export interface RtmpServerOptions {
  gateway: PublishGateway;
  logger: Logger;
  /** plain RTMP port (0 = any free port) */
  port: number;
  host?: string;
  /** RTMPS: same protocol over TLS on its own port */
  tls?: { cert: Buffer; key: Buffer; port: number };
  /** handshake + connect + publish deadline, ms (default 10 s) */
  setupTimeoutMs?: number;
  /** no bytes received for this long closes a connection, ms (default 10 s) */
  idleTimeoutMs?: number;
  /** open connections, RTMP and RTMPS together (default 1000; 0 = unlimited) */
  maxConnections?: number;
  /** open connections from one remote address (default 50; 0 = unlimited) */
  maxConnectionsPerAddress?: number;
  /** bytes of partly received messages of all connections together (default 256 MiB) */
  assemblyBudgetBytes?: number;
  /** largest message of a publisher (default 8 MiB) */
  maxMessageBytes?: number;
  /** largest message before a publish is accepted (default 64 KiB) */
  setupMaxMessageBytes?: number;
}

export interface RtmpServerAddress {
  host: string;
  port: number;
  tlsPort?: number;
}

export class RtmpServer {
  private readonly plain: Server;
  private readonly secure: TlsServer | undefined;
  private readonly connections = new Set<RtmpConnection>();
  private readonly log: Logger;
  readonly budget: SharedAssemblyBudget;
  /** counts RTMP and RTMPS connections together */
  readonly limiter: ConnectionLimiter;

  constructor(private readonly opts: RtmpServerOptions) {
    this.log = opts.logger.child({ component: 'rtmp' });
    this.budget = new SharedAssemblyBudget(opts.assemblyBudgetBytes ?? RTMP_LIMIT_DEFAULTS.assemblyBudgetBytes);
    const limits = {
      maxConnections: opts.maxConnections ?? RTMP_LIMIT_DEFAULTS.maxConnections,
      maxPerAddress: opts.maxConnectionsPerAddress ?? RTMP_LIMIT_DEFAULTS.maxConnectionsPerAddress,
    };
    this.plain = createServer((socket) => this.accept(socket, 'rtmp'));
    // Counted on the raw TCP socket: a refused RTMPS connection costs no TLS handshake.
    this.limiter = limitConnections(this.plain, 'rtmp', limits, this.log);
    if (opts.tls) {
      this.secure = createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, (socket) => this.accept(socket, 'rtmps'));
      this.secure.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'rtmps TLS handshake failed'));
      this.secure.prependListener('connection', (socket: Socket) => {
        if (!this.limiter.admit(socket)) socket.destroy();
      });
    }
  }

  private accept(socket: Socket, protocol: 'rtmp' | 'rtmps'): void {
    if (socket.destroyed) return; // refused by the limiter
    const conn = new RtmpConnection(socket, {
      gateway: this.opts.gateway,
      logger: this.log,
      protocol,
      setupTimeoutMs: this.opts.setupTimeoutMs ?? 10_000,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 10_000,
      setupMaxMessageBytes: this.opts.setupMaxMessageBytes ?? RTMP_LIMIT_DEFAULTS.setupMaxMessageBytes,
      maxMessageBytes: this.opts.maxMessageBytes ?? RTMP_LIMIT_DEFAULTS.maxMessageBytes,
      budget: this.budget,
      onClose: (c) => this.connections.delete(c),
    });
    this.connections.add(conn);
  }

  async listen(): Promise<void> {
    const host = this.opts.host ?? '0.0.0.0';
    await listenOn(this.plain, this.opts.port, host);
    if (this.secure && this.opts.tls) await listenOn(this.secure, this.opts.tls.port, host);
    this.log.info(this.address(), 'rtmp listening');
  }

  address(): RtmpServerAddress {
    const a = this.plain.address() as AddressInfo | null;
    const s = this.secure?.address() as AddressInfo | null | undefined;
    return { host: a?.address ?? this.opts.host ?? '0.0.0.0', port: a?.port ?? 0, ...(s ? { tlsPort: s.port } : {}) };
  }

  /** Stops accepting and drops every connection (their sessions end). */
  async close(): Promise<void> {
    const closing = [closeServer(this.plain)];
    if (this.secure) closing.push(closeServer(this.secure));
    for (const c of this.connections) c.kick('server closing');
    await Promise.all(closing);
  }
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
