/**
 * Database writes that must not be lost to a database that is away for a while (Postgres restarted, a failover, a
 * network blip): a transient error (the connection refused, reset or terminated, the server shutting down or not
 * accepting connections) is retried with backoff until `giveUpMs`; any other error (a constraint, a bad query)
 * fails at once. Callers keep their own bound on what waits meanwhile (the recorder's pending bytes).
 */
import type { Logger } from 'pino';

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  '57P01', '57P02', '57P03', '53300', '55000', 'SQLITE_BUSY', 'SQLITE_LOCKED']);
const TRANSIENT_MESSAGE = /connection terminated|terminating connection|connection timeout|timeout exceeded when trying to connect|not currently accepting connections|the database system is (starting up|shutting down)|Client has encountered a connection error|database is locked/i;

export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code.startsWith('08') || TRANSIENT_CODES.has(code)) return true;
  return typeof e?.message === 'string' && TRANSIENT_MESSAGE.test(e.message);
}

export interface DbRetryOptions {
  logger?: Logger;
  /** stop retrying after this long (default 10 min) */
  giveUpMs?: number;
  /** first delay, doubled up to maxDelayMs (defaults 250 ms / 5 s) */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** what is being written, for the log */
  what: string;
  /**
   * After a transient failure, an error that says the write had landed after all (its acknowledgement was lost),
   * e.g. a unique violation on a row's key: counted as done.
   */
  landedBefore?: (err: unknown) => boolean;
}

/** Postgres and SQLite unique violations. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export async function retryTransient<T>(op: () => Promise<T>, opts: DbRetryOptions): Promise<T> {
  const started = Date.now();
  let delay = opts.baseDelayMs ?? 250;
  let warned = false;
  for (;;) {
    try {
      const v = await op();
      if (warned) opts.logger?.info({ what: opts.what, waitedMs: Date.now() - started }, 'database back: the delayed write went through');
      return v;
    } catch (err) {
      if (warned && opts.landedBefore?.(err)) {
        opts.logger?.info({ what: opts.what, waitedMs: Date.now() - started }, 'database back: the delayed write had landed');
        return undefined as T;
      }
      if (!isTransientDbError(err) || Date.now() - started > (opts.giveUpMs ?? 600_000)) throw err;
      if (!warned) {
        opts.logger?.warn({ err, what: opts.what }, 'the database is unreachable: retrying the write until it is back');
        warned = true;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(opts.maxDelayMs ?? 5000, delay * 2);
    }
  }
}
