/**
 * A segment store that rides out an outage of the store under it (object storage down, a network blip): puts are
 * retried with exponential backoff until they land, so a store that is down delays the recording instead of
 * failing it, and nothing handed to `put` is lost once the store is back. Reads are not retried here (a viewer is
 * waiting; the SDK already retries a few times); deletes are retried a bounded number of times.
 *
 * What bounds an outage is the recorder's queue (256 MiB of segments waiting per session, `SessionRecorder`):
 * puts of one session are written in order, so while one is being retried the later ones wait in memory; an
 * outage long enough to fill that queue (about 7 minutes of a 5 Mbit/s stream) fails that recording's media,
 * and the live stream plays on either way. Errors that no retry can fix (invalid key, storage full, access
 * denied, no such bucket) are thrown at once.
 */
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics.js';
import {
  SegmentStoreFullError, SegmentStoreKeyError, SegmentStoreRangeError, type SegmentStore,
} from './segment-store.js';

export interface RetryingSegmentStoreOptions {
  /** first retry delay (doubles per attempt up to capMs); default 250 ms */
  baseMs?: number;
  /** longest delay between two attempts; default 10 s */
  capMs?: number;
  /** give a put up after this long (default: never; the recorder's queue bound decides) */
  maxPutMs?: number;
  /** attempts of delete/deletePrefix before the error is thrown; default 6 */
  deleteAttempts?: number;
  /** which errors are worth retrying (default: `isTransientStoreError`) */
  isTransient?: (err: unknown) => boolean;
  logger?: Pick<Logger, 'warn' | 'info' | 'error'>;
}

const retries = new Counter({
  name: 'onair_segment_store_retries_total',
  help: 'Segment store operations retried after a transient error, by operation',
  labelNames: ['op'] as const,
  registers: [registry],
});
const outage = new Gauge({
  name: 'onair_segment_store_outage',
  help: '1 while writes to the segment store are failing and being retried',
  registers: [registry],
});

/** The store was closed while an operation waited to be retried. */
export class SegmentStoreClosedError extends Error {
  override readonly name = 'SegmentStoreClosedError';
  constructor(key: string, cause: unknown) {
    super(`segment store closed while retrying ${key}: ${(cause as Error | undefined)?.message ?? String(cause)}`);
  }
}

/**
 * Transient: no answer at all (connection refused or reset, timeout, DNS), 5xx, 408, 429, and S3's
 * RequestTimeout / SlowDown / RequestTimeTooSkewed. Permanent: the segment store's own errors and other 4xx
 * (AccessDenied, NoSuchBucket, InvalidAccessKeyId...).
 */
export function isTransientStoreError(err: unknown): boolean {
  if (err instanceof SegmentStoreKeyError || err instanceof SegmentStoreFullError || err instanceof SegmentStoreRangeError) return false;
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = e?.name ?? '';
  if (/^(RequestTimeout|SlowDown|RequestTimeTooSkewed|ServiceUnavailable|InternalError|TimeoutError)$/.test(name)) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500 || status === 408 || status === 429;
}

export class RetryingSegmentStore implements SegmentStore {
  private closed = false;
  private readonly sleepers = new Set<() => void>();
  /** puts failing right now (the outage gauge is 1 while any is) */
  private failingPuts = 0;
  private outageSince: number | undefined;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly isTransient: (err: unknown) => boolean;

  constructor(readonly inner: SegmentStore, private readonly opts: RetryingSegmentStoreOptions = {}) {
    this.baseMs = opts.baseMs ?? 250;
    this.capMs = opts.capMs ?? 10_000;
    this.isTransient = opts.isTransient ?? isTransientStoreError;
  }

  /** True while puts are failing and being retried. */
  get inOutage(): boolean {
    return this.failingPuts > 0;
  }

  async put(key: string, data: Buffer | readonly Buffer[]): Promise<void> {
    const started = Date.now();
    let failing = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.inner.put(key, data);
          return;
        } catch (err) {
          if (!this.isTransient(err)) throw err;
          if (this.closed) throw new SegmentStoreClosedError(key, err);
          if (this.opts.maxPutMs !== undefined && Date.now() - started >= this.opts.maxPutMs) throw err;
          if (!failing) {
            failing = true;
            this.enterOutage(key, err);
          }
          retries.inc({ op: 'put' });
          await this.sleep(this.delay(attempt));
          if (this.closed) throw new SegmentStoreClosedError(key, err);
        }
      }
    } finally {
      if (failing) this.leaveOutage();
    }
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }

  getRange(key: string, start: number, endInclusive: number): Promise<Buffer | undefined> {
    return this.inner.getRange(key, start, endInclusive);
  }

  head(key: string): Promise<number | undefined> {
    return this.inner.head(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.bounded('delete', key, () => this.inner.delete(key));
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.bounded('delete_prefix', prefix, () => this.inner.deletePrefix(prefix));
  }

  /** Stop retrying: operations waiting for their next attempt fail with SegmentStoreClosedError. */
  close(): void {
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
    this.sleepers.clear();
  }

  private async bounded<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    const attempts = this.opts.deleteAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!this.isTransient(err) || attempt >= attempts || this.closed) throw err;
        retries.inc({ op });
        await this.sleep(this.delay(attempt));
        if (this.closed) throw new SegmentStoreClosedError(key, err);
      }
    }
  }

  private delay(attempt: number): number {
    const d = Math.min(this.capMs, this.baseMs * 2 ** Math.min(attempt - 1, 30));
    // +-20 % jitter, so the puts of many sessions do not hit a recovering store in lockstep
    return Math.round(d * (0.8 + Math.random() * 0.4));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private enterOutage(key: string, err: unknown): void {
    if (this.failingPuts++ === 0) {
      this.outageSince = Date.now();
      outage.set(1);
      this.opts.logger?.warn({ err, key }, 'segment store write failed; retrying (recordings are delayed, live streams are not)');
    }
  }

  private leaveOutage(): void {
    if (--this.failingPuts === 0) {
      outage.set(0);
      const ms = this.outageSince === undefined ? 0 : Date.now() - this.outageSince;
      this.outageSince = undefined;
      this.opts.logger?.info({ outageMs: ms }, 'segment store writes recovered');
    }
  }
}
