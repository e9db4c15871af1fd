/**
 * The signal bus between the nodes of a cluster: Postgres LISTEN/NOTIFY on one channel. One dedicated
 * connection listens (reconnected with backoff when Postgres goes away; `onResync` runs after every reconnect
 * because notifications sent meanwhile are lost); messages are sent through the store's pool with pg_notify.
 * A message is JSON, at most ~7 KB (Postgres caps a payload at 8000 bytes); messages carry ids, never data.
 */
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';

export const BUS_CHANNEL = 'onair_cluster';

export interface BusMessage {
  /** what happened or what is asked */
  type: string;
  /** the sending node's id */
  from: string;
  /** only this node acts (others ignore the message) */
  to?: string;
  /** request id (answers carry it back in `re`) */
  id?: string;
  re?: string;
  streamId?: string;
  mediaId?: string;
  reason?: string;
  /** a small JSON payload of an answer */
  data?: Record<string, unknown>;
}

export interface PgBusOptions {
  url: string;
  db: Kysely<any>;
  logger: Logger;
  onMessage(msg: BusMessage): void;
  /** the listening connection came back: notifications may have been missed */
  onResync(): void;
}

export class PgBus {
  private client: pg.Client | undefined;
  private closed = false;
  private retryMs = 200;
  private timer: NodeJS.Timeout | undefined;
  private connectedOnce = false;

  constructor(private readonly opts: PgBusOptions) {}

  /** Resolves once listening (the first time); later losses reconnect in the background. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url });
    client.on('notification', (n) => {
      if (n.channel !== BUS_CHANNEL || !n.payload) return;
      let msg: BusMessage;
      try {
        msg = JSON.parse(n.payload) as BusMessage;
      } catch {
        this.opts.logger.warn({ payload: n.payload.slice(0, 200) }, 'cluster bus: unreadable message');
        return;
      }
      this.opts.onMessage(msg);
    });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.opts.logger.warn({ err }, 'cluster bus: lost the LISTEN connection; reconnecting');
      this.schedule();
    };
    client.on('error', (err) => lost(err));
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${BUS_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => undefined);
      if (!this.connectedOnce) throw err;
      this.opts.logger.warn({ err }, 'cluster bus: could not reconnect yet');
      this.schedule();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = 200;
    if (this.connectedOnce) {
      this.opts.logger.info('cluster bus: listening again');
      this.opts.onResync();
    }
    this.connectedOnce = true;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect().catch((err) => {
        this.opts.logger.warn({ err }, 'cluster bus: reconnect failed');
        this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  /** Send to every node (the sender gets its own message back and should ignore it by `from`). */
  async publish(msg: BusMessage): Promise<void> {
    await sql`select pg_notify(${BUS_CHANNEL}, ${JSON.stringify(msg)})`.execute(this.opts.db);
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
