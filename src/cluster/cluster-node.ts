/**
 * One node of a cluster on one Postgres. It registers itself (`cluster_nodes`) and renews a heartbeat lease;
 * every live session it owns has a `live_sessions` row with the owner, a lease renewed with the heartbeat, and
 * what a next owner needs to continue it (recording media, next media sequence number, timeline).
 *
 * - claim(): a publisher arrived: the session is created here, or taken over from an owner that is dead (lease
 *   expired) or holding a disconnected session (the encoder came back through another node), or refused (busy).
 * - The sweep (every heartbeat) adopts sessions whose owner's lease expired, exactly once (a conditional UPDATE
 *   decides among the nodes): `disconnected`, then `idle` when the reconnect window passes with no publisher,
 *   the recording completed from its manifest.
 * - A session whose row no longer names this node (a network split: another node took it over after our lease
 *   expired) is reported `lost`: the loser stops serving it.
 * All lease times are on the database clock, so nodes with skewed clocks agree.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/db-schema.js';
import type { LifecycleEvent, StreamStatus } from '../core/contracts.js';
import { Counter } from 'prom-client';
import { registry } from '../metrics.js';
import { PgBus, type BusMessage } from './pg-bus.js';
import type { SessionResume } from '../core/live-sessions.js';

const clusterSessionEvents = new Counter({
  name: 'onair_cluster_session_events_total',
  help: 'Cluster session changes on this node: adopted (a dead node\'s), taken_over (an encoder came back here), released (handed to another node), lost (another node holds its lease), refused (busy elsewhere)',
  labelNames: ['event'] as const,
  registers: [registry],
});
const clusterHeartbeatFailures = new Counter({
  name: 'onair_cluster_heartbeat_failures_total',
  help: 'Cluster heartbeats that could not reach the database',
  registers: [registry],
});

/** What a continuing owner starts from (core's type: the sessions consume it). */
export type { SessionResume };

export type ClaimResult =
  | { ok: true; resume?: SessionResume }
  | { ok: false; reason: 'busy'; message: string };

/** What the media plane reports of a local session at each heartbeat. */
export interface LocalSessionState {
  state: string;
  mediaId?: string;
  nextMsn?: number;
  timelineDts?: number;
  pdtEndMs?: number;
}

/** What the cluster needs from the store to end an adopted session. */
export interface ClusterStore {
  db: Kysely<Database>;
  recordLifecycle(streamId: string, status: StreamStatus | undefined, event: LifecycleEvent): Promise<unknown>;
  completeMediaFromManifest(mediaId: string): Promise<unknown>;
}

export interface ClusterNodeOptions {
  databaseUrl: string;
  store: ClusterStore;
  logger: Logger;
  name: string;
  internalUrl: string;
  leaseMs: number;
  heartbeatMs: number;
  /** multiplies reconnect windows (ONAIR_LIFECYCLE_TIME_SCALE, tests) */
  timeScale?: number;
  /** the local sessions and their continuation state (heartbeat) */
  localSessions(): Map<string, LocalSessionState>;
  /** a local session's lease was taken by another node: stop serving it, no webhooks */
  lost(streamId: string): void;
  /** another node took over our disconnected session: flush and stop it, answer what the next owner needs */
  release(streamId: string): Promise<LocalSessionState | undefined>;
  /** a message for the media plane (finish, kick, caches) */
  message(msg: BusMessage): Promise<Record<string, unknown> | void>;
  /** the bus was down: refresh every cache */
  resync(): void;
  /** this node's viewers per stream as viewer-key hashes (viewer-counter.ts), shared at each heartbeat */
  viewers?(): Map<string, Buffer>;
}

const nowMs = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const OWNER_CACHE_MS = 1000;
/** segments beyond a lease's worth that a dead owner's last report may lag by */
const MSN_SLACK = 3;

interface Orphan {
  streamId: string;
  mediaId: string | null;
  /** the end of the reconnect window (undefined for the moment between the adoption and its first write) */
  timer: NodeJS.Timeout | undefined;
}

export class ClusterNode {
  readonly nodeId: string;
  readonly bus: PgBus;
  private readonly db: Kysely<Database>;
  private readonly log: Logger;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private readonly orphans = new Map<string, Orphan>();
  /** the other live nodes' viewers per stream (viewer-key hashes), as of the last heartbeat */
  private viewersElsewhere = new Map<string, Set<number>>();
  /** streams this node has a cluster_viewers row for */
  private readonly reportedViewers = new Set<string>();
  private readonly ownerCache = new Map<string, { at: number; owner: { nodeId: string; url: string } | undefined }>();
  private readonly pending = new Map<string, { resolve(v: Record<string, unknown> | undefined): void; timer: NodeJS.Timeout }>();
  private stopped = false;
  /** after the database was unreachable, no sweep until every node had a lease's time to renew (epoch ms, local) */
  private sweepNotBefore = 0;
  private heartbeatFailed = false;

  constructor(private readonly opts: ClusterNodeOptions) {
    this.nodeId = `${opts.name}-${randomUUID().slice(0, 8)}`;
    this.db = opts.store.db;
    this.log = opts.logger.child({ module: 'cluster', node: opts.name });
    this.bus = new PgBus({
      url: opts.databaseUrl, db: this.db, logger: this.log,
      onMessage: (m) => this.onMessage(m),
      onResync: () => {
        this.ownerCache.clear();
        opts.resync();
      },
    });
  }

  get name(): string {
    return this.opts.name;
  }

  get internalUrl(): string {
    return this.opts.internalUrl;
  }

  /** Segments (about one a second) a dead owner may have published after its last heartbeat report. */
  private staleSegments(): number {
    return Math.ceil(this.opts.leaseMs / 1000) + MSN_SLACK;
  }

  private lease() {
    return sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint + ${this.opts.leaseMs}`;
  }

  async start(): Promise<void> {
    await this.db.insertInto('cluster_nodes').values({
      node_id: this.nodeId, name: this.opts.name, internal_url: this.opts.internalUrl, lease_until_ms: this.lease(), started_ms: nowMs,
    }).execute();
    await this.bus.start();
    this.heartbeatTimer = setInterval(() => {
      if (this.beating) return;
      this.beating = this.heartbeat().catch((err) => {
        clusterHeartbeatFailures.inc();
        if (!this.heartbeatFailed) this.log.warn({ err }, 'cluster heartbeat failed: the database is unreachable (retrying)');
        this.heartbeatFailed = true;
      }).finally(() => { this.beating = undefined; });
    }, this.opts.heartbeatMs);
    this.heartbeatTimer.unref();
    this.log.info({ nodeId: this.nodeId, internalUrl: this.opts.internalUrl }, 'cluster node registered');
  }

  /** Renew the node's and its sessions' leases, report the continuation state, notice lost sessions, adopt dead ones. */
  async heartbeat(): Promise<void> {
    const r0 = await this.db.updateTable('cluster_nodes').set({ lease_until_ms: this.lease() }).where('node_id', '=', this.nodeId).executeTakeFirst();
    if (this.heartbeatFailed) {
      // back after an outage: every lease may have run out meanwhile; the owners renew theirs before anyone sweeps
      this.heartbeatFailed = false;
      this.sweepNotBefore = Date.now() + this.opts.leaseMs;
      this.log.info('cluster heartbeat: the database is back');
    }
    if (Number(r0.numUpdatedRows) === 0) {
      // our row went (another node's start under our name, or by hand): register again
      await this.db.insertInto('cluster_nodes').values({
        node_id: this.nodeId, name: this.opts.name, internal_url: this.opts.internalUrl, lease_until_ms: this.lease(), started_ms: nowMs,
      }).execute();
    }
    const local = this.opts.localSessions();
    const held = new Set<string>();
    const commands: Array<[string, string]> = [];
    for (const [streamId, s] of local) {
      const r = await this.db.updateTable('live_sessions').set({
        lease_until_ms: this.lease(), state: s.state,
        ...(s.mediaId !== undefined ? { media_id: s.mediaId } : {}),
        ...(s.nextMsn !== undefined ? { next_msn: s.nextMsn } : {}),
        ...(s.timelineDts !== undefined ? { timeline_dts: Math.round(s.timelineDts) } : {}),
        ...(s.pdtEndMs !== undefined ? { pdt_end_ms: Math.round(s.pdtEndMs) } : {}),
      }).where('stream_id', '=', streamId).where('node_id', '=', this.nodeId).returning(['pending_command']).executeTakeFirst();
      if (r) {
        held.add(streamId);
        if (r.pending_command) commands.push([streamId, r.pending_command]);
      }
    }
    for (const o of [...this.orphans.values()]) {
      const r = await this.db.updateTable('live_sessions').set({ lease_until_ms: this.lease() })
        .where('stream_id', '=', o.streamId).where('node_id', '=', this.nodeId).returning(['pending_command']).executeTakeFirst();
      if (!r) this.dropOrphan(o.streamId);
      else if (r.pending_command) commands.push([o.streamId, r.pending_command]);
    }
    for (const [streamId, command] of commands) await this.runPendingCommand(streamId, command);
    await this.shareViewers();
    for (const streamId of local.keys()) {
      if (held.has(streamId)) continue;
      // Our lease lapsed and another node holds the session now (a split healed): the lease decides, we stop.
      const row = await this.db.selectFrom('live_sessions').select(['node_id', 'node_name']).where('stream_id', '=', streamId).executeTakeFirst();
      if (row && row.node_id !== this.nodeId) {
        this.log.warn({ streamId, owner: row.node_name }, 'another node holds this session now: stopping here');
        clusterSessionEvents.inc({ event: 'lost' });
        this.opts.lost(streamId);
      } else if (!row) {
        // the row went (e.g. deleted by hand): take it again rather than serve unregistered
        await this.insertRow(streamId, local.get(streamId)!.state, 0).catch(() => undefined);
      }
    }
    if (Date.now() >= this.sweepNotBefore) await this.sweep();
  }

  /**
   * A session action another node asked for while our bus was away (its notification never arrived): run it now,
   * once (the column is cleared first, only if it still holds this command).
   */
  private async runPendingCommand(streamId: string, command: string): Promise<void> {
    const r = await this.db.updateTable('live_sessions').set({ pending_command: null })
      .where('stream_id', '=', streamId).where('node_id', '=', this.nodeId).where('pending_command', '=', command).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return;
    this.log.info({ streamId, command }, 'running a session action another node asked for (its notification was missed)');
    try {
      if (this.holdsOrphan(streamId)) {
        await this.endOrphan(streamId, command === 'finish' ? 'idle' : 'none');
        return;
      }
      const [type, reason] = command.split(':');
      await this.opts.message({ type: type!, streamId, from: this.nodeId, ...(reason ? { reason } : {}) });
    } catch (err) {
      this.log.warn({ err, streamId, command }, 'a session action asked by another node failed');
    }
  }

  /**
   * Ask the owner `nodeId` to run a session action: kept in the session's row (run at the owner's next heartbeat
   * if the notification is missed), then sent over the bus; resolves when the owner answered (or after timeoutMs).
   */
  async command(nodeId: string, streamId: string, command: 'finish' | 'kick:disabled' | 'kick:deleted', timeoutMs: number): Promise<void> {
    await this.db.updateTable('live_sessions').set({ pending_command: command })
      .where('stream_id', '=', streamId).where('node_id', '=', nodeId).execute();
    const [type, reason] = command.split(':');
    const answer = await this.request(nodeId, { type: type!, streamId, ...(reason ? { reason } : {}) }, timeoutMs);
    if (answer !== undefined) {
      // the owner ran it: nothing left for its heartbeat
      await this.db.updateTable('live_sessions').set({ pending_command: null })
        .where('stream_id', '=', streamId).where('pending_command', '=', command).execute();
    }
  }

  /**
   * Viewer counts: write this node's viewers of each stream (hashes of their keys, valid for a lease) and read the
   * other live nodes'. ClusterLiveControl.viewerCount() counts the union: a viewer whose requests reach several nodes counts once.
   */
  private async shareViewers(): Promise<void> {
    if (!this.opts.viewers) return;
    const mine = this.opts.viewers();
    const rows = [...mine].filter(([, v]) => v.length > 0)
      .map(([streamId, viewers]) => ({ node_id: this.nodeId, stream_id: streamId, viewers, until_ms: this.lease() }));
    for (let i = 0; i < rows.length; i += 200) {
      await this.db.insertInto('cluster_viewers').values(rows.slice(i, i + 200))
        .onConflict((oc) => oc.columns(['node_id', 'stream_id']).doUpdateSet((eb) => ({ viewers: eb.ref('excluded.viewers'), until_ms: eb.ref('excluded.until_ms') })))
        .execute();
    }
    const now = new Set(rows.map((r) => r.stream_id));
    const gone = [...this.reportedViewers].filter((id) => !now.has(id));
    if (gone.length > 0) await this.db.deleteFrom('cluster_viewers').where('node_id', '=', this.nodeId).where('stream_id', 'in', gone).execute();
    this.reportedViewers.clear();
    for (const id of now) this.reportedViewers.add(id);
    const others = await this.db.selectFrom('cluster_viewers').select(['stream_id', 'viewers'])
      .where('node_id', '!=', this.nodeId).where('until_ms', '>', nowMs).execute();
    const next = new Map<string, Set<number>>();
    for (const r of others) {
      let set = next.get(r.stream_id);
      if (!set) next.set(r.stream_id, (set = new Set()));
      const b = Buffer.from(r.viewers);
      for (let i = 0; i + 4 <= b.length; i += 4) set.add(b.readUInt32LE(i));
    }
    this.viewersElsewhere = next;
  }

  /** The other live nodes' viewers of a stream (viewer-key hashes) as of the last heartbeat. */
  viewersOnOtherNodes(streamId: string): ReadonlySet<number> | undefined {
    return this.viewersElsewhere.get(streamId);
  }

  /** Adopt sessions whose owner's lease expired: one node wins each (conditional UPDATE). */
  async sweep(): Promise<void> {
    // nodes that died without a word (kill -9, a lost machine, a worker forked again under a new id) leave their
    // registration behind: it goes once its lease is long past (ten leases; a node back from a database outage
    // renews, or registers again, at its next heartbeat)
    const gone = await this.db.deleteFrom('cluster_nodes')
      .where('lease_until_ms', '<', sql<number>`${nowMs} - ${10 * this.opts.leaseMs}`).where('node_id', '!=', this.nodeId).executeTakeFirst();
    if (Number(gone.numDeletedRows) > 0) this.log.info({ nodes: Number(gone.numDeletedRows) }, 'removed the registrations of nodes dead for ten leases');
    await this.db.deleteFrom('cluster_viewers').where('until_ms', '<', sql<number>`${nowMs} - ${10 * this.opts.leaseMs}`).execute();
    const expired = await this.db.selectFrom('live_sessions').selectAll()
      .where('lease_until_ms', '<', nowMs).where('node_id', '!=', this.nodeId).execute();
    for (const row of expired) {
      const r = await this.db.updateTable('live_sessions').set({
        node_id: this.nodeId, node_name: this.opts.name, internal_url: this.opts.internalUrl, lease_until_ms: this.lease(),
        state: 'disconnected', disconnected_ms: sql<number>`coalesce(disconnected_ms, ${nowMs})`,
        // the dead owner may have published past its last report: whoever continues stays clear of those numbers
        next_msn: sql<number>`next_msn + ${this.staleSegments()}`,
        timeline_dts: sql<number>`timeline_dts + ${this.staleSegments() * 90_000}`,
      }).where('stream_id', '=', row.stream_id).where('node_id', '=', row.node_id).where('lease_until_ms', '<', nowMs).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) continue; // another node adopted it first
      // Held from this moment: an encoder reconnecting to this very node while the writes below run takes the
      // session over (claim drops the orphan), and the window's timer must then never be set.
      const orphan: Orphan = { streamId: row.stream_id, mediaId: row.media_id, timer: undefined };
      this.dropOrphan(row.stream_id);
      this.orphans.set(row.stream_id, orphan);
      this.ownerCache.delete(row.stream_id);
      clusterSessionEvents.inc({ event: 'adopted' });
      this.log.warn({ streamId: row.stream_id, deadOwner: row.node_name }, 'adopted the session of a dead node: holding it for the reconnect window');
      if (row.state !== 'disconnected') await this.opts.store.recordLifecycle(row.stream_id, undefined, 'video.live_stream.disconnected');
      const fresh = await this.db.selectFrom('live_sessions').select(['disconnected_ms']).select(nowMs.as('now')).where('stream_id', '=', row.stream_id).executeTakeFirst();
      const since = fresh ? Number(fresh.now) - Number(fresh.disconnected_ms ?? fresh.now) : 0;
      const windowMs = row.reconnect_window * 1000 * (this.opts.timeScale ?? 1);
      if (this.orphans.get(row.stream_id) !== orphan) continue; // taken over meanwhile (here or elsewhere)
      orphan.timer = setTimeout(() => {
        this.endOrphan(row.stream_id, 'idle').catch((err) => this.log.error({ err, streamId: row.stream_id }, 'could not end an adopted session'));
      }, Math.max(0, windowMs - since));
      orphan.timer.unref();
    }
  }

  private dropOrphan(streamId: string): Orphan | undefined {
    const o = this.orphans.get(streamId);
    if (!o) return undefined;
    clearTimeout(o.timer);
    this.orphans.delete(streamId);
    return o;
  }

  /** An adopted session ends (window passed, finish, disable, delete): once, by whoever deletes its row. */
  async endOrphan(streamId: string, final: 'idle' | 'none'): Promise<boolean> {
    const o = this.dropOrphan(streamId);
    if (!o) return false;
    // (only while still held disconnected: a publisher that reconnected to this node made it 'preparing'/'active')
    const r = await this.db.deleteFrom('live_sessions').where('stream_id', '=', streamId).where('node_id', '=', this.nodeId)
      .where('state', '=', 'disconnected').executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return true; // taken over meanwhile: the new owner goes on
    this.ownerCache.delete(streamId);
    if (o.mediaId) await this.opts.store.completeMediaFromManifest(o.mediaId);
    if (final === 'idle') await this.opts.store.recordLifecycle(streamId, 'idle', 'video.live_stream.idle');
    this.log.info({ streamId, mediaId: o.mediaId }, 'adopted session ended');
    return true;
  }

  holdsOrphan(streamId: string): boolean {
    return this.orphans.has(streamId);
  }

  private async insertRow(streamId: string, state: string, reconnectWindow: number): Promise<void> {
    await this.db.insertInto('live_sessions').values({
      stream_id: streamId, node_id: this.nodeId, node_name: this.opts.name, internal_url: this.opts.internalUrl,
      lease_until_ms: this.lease(), state, reconnect_window: reconnectWindow, disconnected_ms: null, media_id: null,
      next_msn: null, timeline_dts: null, pdt_end_ms: null, discontinuities: 0, record_seq: 0, record_s: 0, started_at: new Date().toISOString(),
    }).execute();
  }

  /**
   * A publisher arrived and this node has no session of the stream: create the session row, or take the session
   * over (its owner is dead or holds it disconnected), or refuse (another node's publisher is delivering).
   */
  async claim(streamId: string, reconnectWindow: number): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await this.db.selectFrom('live_sessions').selectAll().select(nowMs.as('now')).where('stream_id', '=', streamId).executeTakeFirst();
      if (!row) {
        try {
          await this.insertRow(streamId, 'preparing', reconnectWindow);
          this.ownerCache.delete(streamId);
          return { ok: true };
        } catch {
          continue; // another node inserted first: look again
        }
      }
      const mine = row.node_id === this.nodeId;
      const dead = Number(row.lease_until_ms) < Number(row.now);
      if (!mine && !dead && row.state !== 'disconnected') {
        clusterSessionEvents.inc({ event: 'refused' });
        return { ok: false, reason: 'busy', message: `another encoder is publishing to this stream (through node ${row.node_name})` };
      }
      const r = await this.db.updateTable('live_sessions').set({
        node_id: this.nodeId, node_name: this.opts.name, internal_url: this.opts.internalUrl, lease_until_ms: this.lease(),
        state: 'preparing', disconnected_ms: null, discontinuities: row.discontinuities + 1,
      }).where('stream_id', '=', streamId).where('node_id', '=', row.node_id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) continue; // changed under us
      this.ownerCache.delete(streamId);
      this.dropOrphan(streamId);
      // a dead owner never said its publisher went: say it before the session continues here
      if (dead && !mine && row.state !== 'disconnected') await this.opts.store.recordLifecycle(streamId, undefined, 'video.live_stream.disconnected');
      let nextMsn = row.next_msn ?? undefined;
      let timeline = row.timeline_dts ?? undefined;
      let mediaId = row.media_id ?? undefined;
      let pdtEnd = row.pdt_end_ms ?? undefined;
      if (!mine && !dead) {
        // the old owner is alive and holds the session disconnected: it flushes and tells us exactly where it stopped
        const answer = await this.request(row.node_id, { type: 'release', streamId }, 5000);
        if (answer) {
          if (typeof answer.nextMsn === 'number') nextMsn = answer.nextMsn;
          if (typeof answer.timelineDts === 'number') timeline = answer.timelineDts;
          if (typeof answer.mediaId === 'string') mediaId = answer.mediaId;
          if (typeof answer.pdtEndMs === 'number') pdtEnd = answer.pdtEndMs;
        }
      } else if (!mine) {
        // a dead owner published up to a lease after its last report: stay clear of those numbers
        const staleS = this.staleSegments();
        if (nextMsn !== undefined) nextMsn += staleS;
        if (timeline !== undefined) timeline += staleS * 90_000;
      }
      if (mediaId) {
        // the recording's manifest is exact up to its last stored segment
        const m = await this.db.selectFrom('media_segments').select(['msn', 'duration_s', 'program_date_time'])
          .where('media_id', '=', mediaId).orderBy('msn', 'desc').limit(1).executeTakeFirst();
        if (m) {
          const last = Number(m.msn);
          if (nextMsn === undefined || nextMsn <= last) nextMsn = last + 1;
          const end = m.program_date_time ? Date.parse(m.program_date_time) + m.duration_s * 1000 : NaN;
          if (Number.isFinite(end) && (pdtEnd === undefined || end > pdtEnd)) pdtEnd = end;
        }
      }
      const resume: SessionResume = { discontinuities: row.discontinuities + 1 };
      if (mediaId) resume.mediaId = mediaId;
      if (nextMsn !== undefined) resume.nextMsn = nextMsn;
      if (timeline !== undefined) resume.timelineDts = timeline;
      if (pdtEnd !== undefined) resume.programDateTimeMs = pdtEnd;
      this.log.info({ streamId, from: row.node_name, dead, resume }, 'session taken over: it continues here');
      clusterSessionEvents.inc({ event: 'taken_over' });
      return { ok: true, resume };
    }
    return { ok: false, reason: 'busy', message: 'the stream changed hands while connecting: try again' };
  }

  /** A local session's state changed (active, disconnected): written at once. */
  async sessionState(streamId: string, state: string, s: Partial<LocalSessionState> = {}): Promise<void> {
    await this.db.updateTable('live_sessions').set({
      state, lease_until_ms: this.lease(),
      disconnected_ms: state === 'disconnected' ? nowMs : null,
      ...(s.mediaId !== undefined ? { media_id: s.mediaId } : {}),
      ...(s.nextMsn !== undefined ? { next_msn: s.nextMsn } : {}),
      ...(s.timelineDts !== undefined ? { timeline_dts: Math.round(s.timelineDts) } : {}),
    }).where('stream_id', '=', streamId).where('node_id', '=', this.nodeId).execute();
  }

  /** A local session ended (or was handed over): its row goes, if still ours. */
  async sessionEnded(streamId: string): Promise<void> {
    this.ownerCache.delete(streamId);
    await this.db.deleteFrom('live_sessions').where('stream_id', '=', streamId).where('node_id', '=', this.nodeId).execute();
  }

  /** The node that owns the stream's live session (lease valid), cached briefly (playback asks per request). */
  async ownerOf(streamId: string, fresh = false): Promise<{ nodeId: string; url: string } | undefined> {
    const now = Date.now();
    const hit = this.ownerCache.get(streamId);
    if (!fresh && hit && now - hit.at < OWNER_CACHE_MS) return hit.owner;
    const row = await this.db.selectFrom('live_sessions').select(['node_id', 'internal_url'])
      .where('stream_id', '=', streamId).where('lease_until_ms', '>', nowMs).executeTakeFirst();
    const owner = row ? { nodeId: row.node_id, url: row.internal_url } : undefined;
    this.ownerCache.set(streamId, { at: now, owner });
    if (this.ownerCache.size > 10_000) this.ownerCache.delete(this.ownerCache.keys().next().value!);
    return owner;
  }

  /** The cached owner only (no query): for hot paths that must not wait. */
  cachedOwner(streamId: string): { nodeId: string; url: string } | undefined {
    const hit = this.ownerCache.get(streamId);
    return hit && Date.now() - hit.at < OWNER_CACHE_MS ? hit.owner : undefined;
  }

  /** Tell every other node. */
  async broadcast(msg: Omit<BusMessage, 'from'>): Promise<void> {
    await this.bus.publish({ ...msg, from: this.nodeId });
  }

  /** Ask one node and wait for its answer (undefined after timeoutMs). */
  async request(to: string, msg: Omit<BusMessage, 'from' | 'to' | 'id'>, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    const id = randomUUID();
    const answer = new Promise<Record<string, unknown> | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.log.warn({ to, type: msg.type, streamId: msg.streamId }, 'cluster request not answered in time');
        resolve(undefined);
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, timer });
    });
    await this.bus.publish({ ...msg, from: this.nodeId, to, id });
    return answer;
  }

  private onMessage(msg: BusMessage): void {
    if (msg.from === this.nodeId || this.stopped) return;
    if (msg.to !== undefined && msg.to !== this.nodeId) return;
    if (msg.type === 'answer') {
      const p = msg.re ? this.pending.get(msg.re) : undefined;
      if (p) {
        clearTimeout(p.timer);
        this.pending.delete(msg.re!);
        p.resolve(msg.data ?? {});
      }
      return;
    }
    if (msg.streamId) this.ownerCache.delete(msg.streamId);
    const work = async (): Promise<Record<string, unknown> | void> => {
      if (msg.type === 'release' && msg.streamId) {
        clusterSessionEvents.inc({ event: 'released' });
        if (this.dropOrphan(msg.streamId)) return {};
        const s = await this.opts.release(msg.streamId);
        return s ? { ...s } : {};
      }
      if ((msg.type === 'finish' || msg.type === 'kick') && msg.streamId && this.orphans.has(msg.streamId)) {
        await this.endOrphan(msg.streamId, msg.type === 'finish' ? 'idle' : 'none');
        if (msg.type === 'finish') return {};
      }
      return this.opts.message(msg);
    };
    work().then(async (data) => {
      if (msg.id) await this.bus.publish({ type: 'answer', from: this.nodeId, to: msg.from, re: msg.id, data: data ?? {} });
    }).catch((err) => this.log.error({ err, type: msg.type, streamId: msg.streamId }, 'cluster message failed'));
  }

  /** Graceful stop: leases and orphans are left to expire to another node; the node row goes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.beating;
    for (const o of this.orphans.values()) clearTimeout(o.timer);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    // adopted sessions go back to the pool at once (their lease ends now) so another node takes them over
    if (this.orphans.size > 0) {
      await this.db.updateTable('live_sessions').set({ lease_until_ms: 0 }).where('node_id', '=', this.nodeId)
        .where('stream_id', 'in', [...this.orphans.keys()]).execute().catch(() => undefined);
    }
    this.orphans.clear();
    await this.db.deleteFrom('cluster_nodes').where('node_id', '=', this.nodeId).execute().catch(() => undefined);
    await this.db.deleteFrom('cluster_viewers').where('node_id', '=', this.nodeId).execute().catch(() => undefined);
    await this.bus.close();
  }
}
