/** Webhook endpoints and the durable outbox (events + one delivery row per endpoint), written inside the caller's transaction. */
import type { Kysely } from 'kysely';
import type { BuiltEvent } from '../webhooks/webhook-envelope.js';
import type { Database } from './db-schema.js';

type Db = Kysely<Database>;

export interface WebhookEndpoint {
  id: string;
  url: string;
  secret: string;
  enabled: boolean;
  source: string;
  createdAt: string;
}

export interface DueDelivery {
  id: number;
  eventId: string;
  attempts: number;
  createdMs: number;
  url: string;
  secret: string;
  body: string;
}

const toEndpoint = (r: Database['webhook_endpoints']): WebhookEndpoint =>
  ({ id: r.id, url: r.url, secret: r.secret, enabled: r.enabled === 1, source: r.source, createdAt: r.created_at });

export async function insertEndpoint(db: Db, e: WebhookEndpoint): Promise<void> {
  await db.insertInto('webhook_endpoints').values({ id: e.id, url: e.url, secret: e.secret, enabled: e.enabled ? 1 : 0, source: e.source, created_at: e.createdAt }).execute();
}

export async function listEndpoints(db: Db): Promise<WebhookEndpoint[]> {
  return (await db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute()).map(toEndpoint);
}

export async function findEndpoint(db: Db, id: string): Promise<WebhookEndpoint | undefined> {
  const r = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toEndpoint(r) : undefined;
}

export async function updateEndpoint(db: Db, id: string, patch: { url?: string; secret?: string; enabled?: boolean }): Promise<void> {
  const set: Record<string, unknown> = {};
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.secret !== undefined) set.secret = patch.secret;
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
  if (Object.keys(set).length) await db.updateTable('webhook_endpoints').set(set).where('id', '=', id).execute();
}

/** Removing an endpoint drops its undelivered events too (nobody is left to receive them). */
export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).where('state', '=', 'pending').execute();
  const r = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Store the event and queue it for every enabled endpoint. Call inside the transaction of the change it reports. */
export async function enqueueEvent(db: Db, ev: BuiltEvent, nowMs: number): Promise<number> {
  await db.insertInto('webhook_events').values({ id: ev.id, type: ev.type, object_id: ev.objectId, body: ev.body, created_at: ev.createdAt }).execute();
  const endpoints = await db.selectFrom('webhook_endpoints').select('id').where('enabled', '=', 1).orderBy('id').execute();
  for (const e of endpoints) {
    await db.insertInto('webhook_deliveries').values({
      event_id: ev.id, endpoint_id: e.id, order_key: ev.orderKey, state: 'pending', attempts: 0,
      next_attempt_ms: nowMs, created_ms: nowMs, last_error: null, delivered_at: null,
    }).execute();
  }
  return endpoints.length;
}

/**
 * Claim due head-of-line deliveries for this worker, so that any number of workers (nodes of a cluster, on one
 * Postgres) deliver each once and in order: the claim moves the row's `next_attempt_ms` to `leaseUntilMs`, which
 * hides it from every other worker (it is not due) while it stays pending (so the next delivery of its stream
 * and endpoint is not a head either). On Postgres the rows are picked `FOR UPDATE SKIP LOCKED`, so concurrent
 * claims never wait on each other nor take the same row; a claim that races a commit is re-checked by Postgres
 * against the committed row (its `next_attempt_ms` is then in the future). A worker that dies mid-delivery
 * leaves its rows claimed until `leaseUntilMs`, then any worker retries them (at-least-once: a receiver may see
 * an event again only when a node died between the receiver's answer and the row's update). On SQLite (one
 * process) the same statement runs without the lock clause.
 */
export async function claimDeliveries(db: Db, engine: 'sqlite' | 'postgres', nowMs: number, leaseUntilMs: number, limit: number): Promise<DueDelivery[]> {
  let pick = db.selectFrom('webhook_deliveries as d')
    .select('d.id')
    .where('d.state', '=', 'pending')
    .where('d.next_attempt_ms', '<=', nowMs)
    .where(({ not, exists, selectFrom }) => not(exists(
      selectFrom('webhook_deliveries as p').select('p.id')
        .whereRef('p.endpoint_id', '=', 'd.endpoint_id')
        .whereRef('p.order_key', '=', 'd.order_key')
        .where('p.state', '=', 'pending')
        .whereRef('p.id', '<', 'd.id'),
    )))
    .orderBy('d.id').limit(limit);
  if (engine === 'postgres') pick = pick.forUpdate().skipLocked();
  const claimed = await db.updateTable('webhook_deliveries')
    .set({ next_attempt_ms: leaseUntilMs })
    .where('id', 'in', pick)
    .where('state', '=', 'pending')
    .returning('id')
    .execute();
  if (claimed.length === 0) return [];
  const rows = await db.selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select(['d.id', 'd.event_id', 'd.attempts', 'd.created_ms', 'w.url', 'w.secret', 'e.body'])
    .where('d.id', 'in', claimed.map((r) => Number(r.id)))
    .orderBy('d.id').execute();
  return rows.map((r) => ({ id: Number(r.id), eventId: r.event_id, attempts: Number(r.attempts), createdMs: Number(r.created_ms), url: r.url, secret: r.secret, body: r.body }));
}

/** Give a claimed delivery back (worker shutting down): due again at `nowMs`, for any worker. */
export async function releaseClaim(db: Db, id: number, nowMs: number): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ next_attempt_ms: nowMs }).where('id', '=', id).where('state', '=', 'pending').execute();
}

export async function markDelivered(db: Db, id: number, attempts: number): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ state: 'delivered', attempts, delivered_at: new Date().toISOString(), last_error: null }).where('id', '=', id).where('state', '=', 'pending').execute();
}

export async function markRetry(db: Db, id: number, attempts: number, nextAttemptMs: number, error: string): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ attempts, next_attempt_ms: nextAttemptMs, last_error: error.slice(0, 500) }).where('id', '=', id).where('state', '=', 'pending').execute();
}

export async function markFailed(db: Db, id: number, attempts: number, error: string): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ state: 'failed', attempts, last_error: error.slice(0, 500) }).where('id', '=', id).where('state', '=', 'pending').execute();
}

/** The earliest next attempt among pending deliveries (for the worker's timer), or undefined. */
export async function nextDueMs(db: Db): Promise<number | undefined> {
  const r = await db.selectFrom('webhook_deliveries').select((eb) => eb.fn.min<number>('next_attempt_ms').as('m')).where('state', '=', 'pending').executeTakeFirst();
  return r?.m === null || r?.m === undefined ? undefined : Number(r.m);
}

export async function countPending(db: Db): Promise<number> {
  const r = await db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow();
  return Number(r.n);
}
