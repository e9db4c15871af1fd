/**
 * Webhook delivery worker: polls the outbox (and wakes when nudged after a commit), POSTs each due
 * delivery signed, retries with exponential backoff, and keeps one stream's events in order per endpoint.
 * All state lives in the store, so a restart resumes where it stopped. Deliveries are claimed before they are
 * sent (`claimDeliveries`: FOR UPDATE SKIP LOCKED on Postgres, plus a lease of the HTTP timeout + a margin), so
 * the workers of any number of nodes on one Postgres deliver each event once per endpoint, in order per stream.
 * A node that dies mid-delivery leaves its claims to expire; a node that stops gives them back at once.
 */
import type { Logger } from 'pino';
import { Counter, Histogram } from 'prom-client';
import { registry, webhookDeliveries } from '../metrics.js';
import type { Store } from '../store/store.js';
import { claimDeliveries, markDelivered, markFailed, markRetry, nextDueMs, releaseClaim, type DueDelivery } from '../store/webhook-repo.js';
import { SIGNATURE_HEADER, signBody } from './webhook-signer.js';

export interface DeliveryWorkerOptions {
  /** first retry delay; doubles per failed attempt ("e.g. 1s, 2s, 4s ... capped at 10 min") */
  retryBaseMs: number;
  retryCapMs: number;
  pollMs: number;
  /** give up after this long ("for at least 24 h"): 72 h by default */
  maxAgeMs?: number;
  timeoutMs?: number;
  /** a claim lasts timeoutMs + this (default 20 s): longer than any delivery attempt can take */
  leaseMarginMs?: number;
  batch?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
}

const deliveryFailures = new Counter({
  name: 'onair_webhook_delivery_failures_total',
  help: 'Failed webhook delivery attempts by reason (http: a non-2xx answer, timeout, network)',
  labelNames: ['reason'] as const,
  registers: [registry],
});
const deliverySeconds = new Histogram({
  name: 'onair_webhook_delivery_seconds',
  help: 'Duration of webhook delivery attempts (the POST to the endpoint), seconds',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

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
  /** what this worker did (tests, logs) */
  readonly stats = { claimed: 0, delivered: 0, retried: 0, failed: 0 };

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
    const now = Date.now();
    const lease = now + (this.opts.timeoutMs ?? 10_000) + (this.opts.leaseMarginMs ?? 20_000);
    const due = await claimDeliveries(this.store.db, this.store.engine, now, lease, this.opts.batch ?? 32);
    this.stats.claimed += due.length;
    // Heads belong to distinct (endpoint, stream) pairs, so sending them in parallel keeps each order.
    await Promise.all(due.map((d) => this.deliver(d)));
    return due.length;
  }

  private async deliver(d: DueDelivery): Promise<void> {
    const attempts = d.attempts + 1;
    let error: string;
    const endTimer = deliverySeconds.startTimer();
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(d.body, d.secret), 'user-agent': 'onair-webhooks' },
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      endTimer();
      // "any 2xx = delivered"
      if (res.status >= 200 && res.status < 300) {
        await markDelivered(this.store.db, d.id, attempts);
        this.stats.delivered++;
        webhookDeliveries.inc({ outcome: 'delivered' });
        return;
      }
      error = `HTTP ${res.status}`;
      deliveryFailures.inc({ reason: 'http' });
    } catch (err) {
      if (!this.running) {
        // shutting down: give the claim back, so another node (or the next start) sends it without waiting
        await releaseClaim(this.store.db, d.id, Date.now()).catch(() => undefined);
        return;
      }
      endTimer();
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      deliveryFailures.inc({ reason: err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network' });
    }
    const delay = retryDelayMs(attempts, this.opts.retryBaseMs, this.opts.retryCapMs);
    const now = Date.now();
    if (now + delay - d.createdMs > (this.opts.maxAgeMs ?? 72 * 3600_000)) {
      await markFailed(this.store.db, d.id, attempts, error);
      this.stats.failed++;
      webhookDeliveries.inc({ outcome: 'failed' });
      this.opts.logger?.warn({ delivery: d.id, event: d.eventId, url: d.url, attempts, error }, 'webhook delivery abandoned');
      return;
    }
    await markRetry(this.store.db, d.id, attempts, now + delay, error);
    this.stats.retried++;
    webhookDeliveries.inc({ outcome: 'retry' });
    this.opts.logger?.debug({ delivery: d.id, url: d.url, attempts, error, retryInMs: delay }, 'webhook delivery failed, will retry');
  }
}
