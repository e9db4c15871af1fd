/** RTMP and RTMPS listeners: one RtmpConnection per accepted socket. */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { PublishGateway } from '../../core/contracts.js';
import { RtmpConnection } from './rtmp-connection.js';

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

  constructor(private readonly opts: RtmpServerOptions) {
    this.log = opts.logger.child({ component: 'rtmp' });
    this.plain = createServer((socket) => this.accept(socket, 'rtmp'));
    if (opts.tls) {
      this.secure = createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, (socket) => this.accept(socket, 'rtmps'));
      this.secure.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'rtmps TLS handshake failed'));
    }
  }

  private accept(socket: Socket, protocol: 'rtmp' | 'rtmps'): void {
    const conn = new RtmpConnection(socket, {
      gateway: this.opts.gateway,
      logger: this.log,
      protocol,
      setupTimeoutMs: this.opts.setupTimeoutMs ?? 10_000,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 10_000,
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
