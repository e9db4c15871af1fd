/**
 * Webhook delivery worker: polls the outbox (and wakes when nudged after a commit), POSTs each due
 * delivery signed, retries with exponential backoff, and keeps one stream's events in order per endpoint.
 * All state lives in the store, so a restart resumes where it stopped.
 */
import type { Logger } from 'pino';
import { webhookDeliveries } from '../metrics.js';
import type { Store } from '../store/store.js';
import { dueDeliveries, markDelivered, markFailed, markRetry, nextDueMs, type DueDelivery } from '../store/webhook-repo.js';
import { SIGNATURE_HEADER, signBody } from './webhook-signer.js';

export interface DeliveryWorkerOptions {
  /** first retry delay; doubles per failed attempt ("e.g. 1s, 2s, 4s ... capped at 10 min") */
  retryBaseMs: number;
  retryCapMs: number;
  pollMs: number;
  /** give up after this long ("for at least 24 h"): 72 h by default */
  maxAgeMs?: number;
  timeoutMs?: number;
  batch?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

/** Delay before attempt `attempts + 1`, given `attempts` failures so far (attempts >= 1). */
export function retryDelayMs(attempts: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempts - 1, 40));
}

export class DeliveryWorker {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private woken = false;
  private readonly aborter = new AbortController();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly store: Store, private readonly opts: DeliveryWorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.store.onOutbox(() => this.wake());
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.aborter.abort();
    this.wake();
    await this.loopDone;
  }

  /** New rows were committed: look at the outbox now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    if (this.timer) clearTimeout(this.timer);
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let sent = 0;
      try {
        sent = await this.runOnce();
      } catch (err) {
        if (this.running) this.opts.logger?.error({ err }, 'webhook outbox poll failed');
      }
      if (!this.running) break;
      if (sent > 0 || this.woken) continue;
      await this.sleep(await this.idleDelay());
    }
  }

  private async idleDelay(): Promise<number> {
    const next = await nextDueMs(this.store.db).catch(() => undefined);
    if (next === undefined) return this.opts.pollMs;
    return Math.max(5, Math.min(this.opts.pollMs, next - Date.now()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = setTimeout(() => { this.wakeUp = undefined; resolve(); }, ms);
    });
  }

  /** Deliver every due head-of-line delivery once; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const due = await dueDeliveries(this.store.db, Date.now(), this.opts.batch ?? 32);
    // Heads belong to distinct (endpoint, stream) pairs, so sending them in parallel keeps each order.
    await Promise.all(due.map((d) => this.deliver(d)));
    return due.length;
  }

  private async deliver(d: DueDelivery): Promise<void> {
    const attempts = d.attempts + 1;
    let error: string;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(d.body, d.secret), 'user-agent': 'onair-webhooks' },
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      // "any 2xx = delivered"
      if (res.status >= 200 && res.status < 300) {
        await markDelivered(this.store.db, d.id, attempts);
        webhookDeliveries.inc({ outcome: 'delivered' });
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      if (!this.running) return; // shutting down: the row stays pending for the next start
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const delay = retryDelayMs(attempts, this.opts.retryBaseMs, this.opts.retryCapMs);
    const now = Date.now();
    if (now + delay - d.createdMs > (this.opts.maxAgeMs ?? 72 * 3600_000)) {
      await markFailed(this.store.db, d.id, attempts, error);
      webhookDeliveries.inc({ outcome: 'failed' });
      this.opts.logger?.warn({ delivery: d.id, event: d.eventId, url: d.url, attempts, error }, 'webhook delivery abandoned');
      return;
    }
    await markRetry(this.store.db, d.id, attempts, now + delay, error);
    webhookDeliveries.inc({ outcome: 'retry' });
    this.opts.logger?.debug({ delivery: d.id, url: d.url, attempts, error, retryInMs: delay }, 'webhook delivery failed, will retry');
  }
}
