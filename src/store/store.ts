/**
 * The store: one Kysely database (SQLite or Postgres) behind transactions that write a change and its
 * webhook outbox rows together. Implements the media plane's MediaStore.
 */
import { EventEmitter } from 'node:events';
import type { Kysely, Transaction } from 'kysely';
import type { LifecycleEvent, MediaPlaybackIdRoute, MediaStore, SimulcastEvent, SimulcastTarget, StreamRecord, StreamStatus, PlaybackIdRoute } from '../core/contracts.js';
import type { MediaCompletion, MediaData, MediaSegmentRow, NewClip } from '../core/media-model.js';
import { newUuid } from '../core/streams-ids.js';
import { toLiveStream, toStreamRecord } from '../core/streams-serialize.js';
import { buildEnvelope, type WebhookEventInput, type Workspace } from '../webhooks/webhook-envelope.js';
import type { Database } from './db-schema.js';
import { migrateToLatest, type Engine } from './migrations.js';
import { openDatabase } from './open-database.js';
import { ensureSetting } from './settings-repo.js';
import { listAllSigningKeys } from './signing-key-repo.js';
import { listAllPlaybackIds, listSimulcasts, loadStream, updateStream } from './stream-repo.js';
import { enqueueEvent } from './webhook-repo.js';
import {
  listAllMediaPlaybackIds, listSegments, loadMedia, summarizeSegments, type RenditionSummary,
} from './media-repo.js';
import * as mediaOps from './media-store.js';

export type Db = Kysely<Database>;
/** Queues a webhook event inside the current transaction. */
export type Enqueue = (event: WebhookEventInput) => Promise<void>;

export interface StoreOptions {
  /** workspace name in webhook envelopes (FastPix example: "production") */
  workspaceName?: string;
}

export class Store implements MediaStore {
  private readonly emitter = new EventEmitter();

  private constructor(
    readonly db: Db,
    readonly engine: Engine,
    readonly workspace: Workspace,
  ) {
    this.emitter.setMaxListeners(50);
  }

  /** Open the database, run migrations, and load the workspace identity. */
  static async open(database: string, opts: StoreOptions = {}): Promise<Store> {
    const { db, engine } = openDatabase(database);
    try {
      await migrateToLatest(db, engine);
      const id = await ensureSetting(db, 'workspace_id', newUuid);
      return new Store(db, engine, { id, name: opts.workspaceName ?? 'onair' });
    } catch (err) {
      await db.destroy();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    await this.db.destroy();
  }

  /**
   * Run `fn` in one transaction; events it enqueues commit (or roll back) with its changes. After commit,
   * the delivery worker is nudged.
   */
  async transact<T>(fn: (trx: Transaction<Database>, enqueue: Enqueue) => Promise<T>): Promise<T> {
    let queued = 0;
    const result = await this.db.transaction().execute(async (trx) => {
      const enqueue: Enqueue = async (event) => {
        queued += await enqueueEvent(trx, buildEnvelope(event, this.workspace), Date.now());
      };
      return fn(trx, enqueue);
    });
    if (queued > 0) this.emitter.emit('outbox');
    return result;
  }

  /** Called after every commit that queued webhook deliveries. */
  onOutbox(cb: () => void): () => void {
    this.emitter.on('outbox', cb);
    return () => this.emitter.off('outbox', cb);
  }

  /** Called after signing keys are created or deleted (the playback listener reloads its JWT keys). */
  onSigningKeysChanged(cb: () => void): () => void {
    this.emitter.on('signing-keys', cb);
    return () => this.emitter.off('signing-keys', cb);
  }

  notifySigningKeysChanged(): void {
    this.emitter.emit('signing-keys');
  }

  /** Public keys of all signing keys: id -> PEM. */
  async listSigningKeys(): Promise<Map<string, string>> {
    const rows = await listAllSigningKeys(this.db);
    return new Map(rows.map((r) => [r.id, r.publicKey]));
  }

  // ---- MediaStore ----

  async findStreamByKey(streamKey: string): Promise<StreamRecord | undefined> {
    const s = await loadStream(this.db, streamKey, 'stream_key');
    return s && toStreamRecord(s);
  }

  async findStreamById(streamId: string): Promise<StreamRecord | undefined> {
    const s = await loadStream(this.db, streamId);
    return s && toStreamRecord(s);
  }

  async findStreamBySrtPlaybackId(srtPlaybackStreamId: string): Promise<StreamRecord | undefined> {
    const s = await loadStream(this.db, srtPlaybackStreamId, 'srt_playback_stream_id');
    return s && toStreamRecord(s);
  }

  listPlaybackIds(): Promise<PlaybackIdRoute[]> {
    return listAllPlaybackIds(this.db);
  }

  async recordLifecycle(streamId: string, status: StreamStatus | undefined, event: LifecycleEvent): Promise<StreamRecord | undefined> {
    return this.transact(async (trx, enqueue) => {
      if (status !== undefined) {
        // a lifecycle write queued before the API disabled the stream must not enable it again
        const cur = await trx.selectFrom('live_streams').select('status').where('stream_id', '=', streamId).executeTakeFirst();
        if (cur && (cur.status !== 'disabled' || status === 'disabled')) await updateStream(trx, streamId, { status });
      }
      const s = await loadStream(trx, streamId);
      if (!s) return undefined;
      await enqueue({ type: event, objectId: streamId, status: s.status, data: toLiveStream(s, 'get') });
      return toStreamRecord(s);
    });
  }

  /**
   * Cluster (Postgres): this node restarted, so the sessions its earlier run held are over; they are reset with the
   * rest by resetLiveStatuses (their recordings completed by the media plane's recovery).
   */
  async forgetNodeSessions(nodeName: string): Promise<void> {
    await this.db.deleteFrom('live_sessions').where('node_name', '=', nodeName).execute();
    await this.db.deleteFrom('cluster_nodes').where('name', '=', nodeName).execute();
  }

  async resetLiveStatuses(): Promise<void> {
    // a session with a live_sessions row belongs to a node of the cluster (alive, or adopted when its lease expires)
    const rows = await this.db.selectFrom('live_streams').select('stream_id').where('status', 'in', ['preparing', 'active'])
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('live_sessions').select('live_sessions.stream_id').whereRef('live_sessions.stream_id', '=', 'live_streams.stream_id'))))
      .execute();
    // a crash ended these sessions without a word: say the publisher went, then that the stream is idle
    for (const r of rows) {
      await this.recordLifecycle(r.stream_id, undefined, 'video.live_stream.disconnected');
      await this.recordLifecycle(r.stream_id, 'idle', 'video.live_stream.idle');
    }
  }

  async listSrtCredentials(): Promise<{ streamId: string; srtSecret: string; srtPlaybackStreamId: string; srtPlaybackSecret: string; status: StreamStatus }[]> {
    const rows = await this.db.selectFrom('live_streams')
      .select(['stream_id', 'srt_secret', 'srt_playback_stream_id', 'srt_playback_secret', 'status']).execute();
    return rows.map((r) => ({ streamId: r.stream_id, srtSecret: r.srt_secret, srtPlaybackStreamId: r.srt_playback_stream_id, srtPlaybackSecret: r.srt_playback_secret, status: r.status as StreamStatus }));
  }

  async listSigningPublicKeys(): Promise<{ id: string; publicKey: string }[]> {
    return (await listAllSigningKeys(this.db)).map((r) => ({ id: r.id, publicKey: r.publicKey }));
  }

  listSimulcastTargets(streamId: string): Promise<SimulcastTarget[]> {
    return listSimulcasts(this.db, streamId);
  }

  async recordSimulcastEvent(target: SimulcastTarget, event: SimulcastEvent, errorMessage?: string): Promise<void> {
    await this.transact(async (trx, enqueue) => {
      const row = await trx.selectFrom('live_streams').select('status').where('stream_id', '=', target.streamId).executeTakeFirst();
      if (!row) return;
      // "Simulcast event data: simulcastId, livestreamId, rtmpUrl, streamKey, metadata" (CONTRACT.md section 9),
      // the same shape as the created/updated/deleted events of streams-service.ts.
      const data: Record<string, unknown> = {
        simulcastId: target.simulcastId, livestreamId: target.streamId, rtmpUrl: target.url, streamKey: target.streamKey,
        isEnabled: target.isEnabled, metadata: target.metadata ?? {},
      };
      if (errorMessage !== undefined) data.errorMessage = errorMessage;
      await enqueue({ type: event, objectId: target.streamId, status: row.status, data });
    });
  }

  // ---- on-demand media (the recorder; the API uses media-store.ts / media-repo.ts too) ----

  /** Every playback id of an on-demand media, for the playback listener's in-memory routes. */
  listMediaPlaybackIds(): Promise<MediaPlaybackIdRoute[]> {
    return listAllMediaPlaybackIds(this.db);
  }

  /**
   * A session starts recording: a new media (status Created, one playback id with the stream's mediaPolicy), its
   * id appended to the stream's `mediaIds`; webhooks `video.live_stream.recording` then `video.media.created`.
   * Undefined when the stream does not exist. `mediaId` (default: a new one) lets a caller retry after a lost
   * acknowledgement: a second insert of the same id is a unique violation instead of a second media.
   */
  createRecordingMedia(streamId: string, mediaId?: string): Promise<MediaData | undefined> {
    return mediaOps.createRecordingMedia(this, streamId, mediaId);
  }

  /** Created -> Processing, plus what is known of the source (sourceResolution, tracks, renditions). No webhook. */
  markMediaProcessing(mediaId: string, info?: mediaOps.MediaInfo): Promise<MediaData | undefined> {
    return mediaOps.markMediaProcessing(this, mediaId, info);
  }

  /** One manifest row, after the segment's bytes are in the segment store. False: the media is gone or finished (stop recording). */
  addMediaSegment(row: MediaSegmentRow): Promise<boolean> {
    return mediaOps.addMediaSegments(this, [row]);
  }

  /** Several manifest rows of one media in one transaction (e.g. the renditions of one segment). */
  addMediaSegments(rows: readonly MediaSegmentRow[]): Promise<boolean> {
    return mediaOps.addMediaSegments(this, rows);
  }

  /** Status Ready with duration/resolution/tracks, webhook `video.media.ready`. No-op (no event) unless Created/Processing. */
  completeMedia(mediaId: string, completion: MediaCompletion): Promise<MediaData | undefined> {
    return mediaOps.completeMedia(this, mediaId, completion);
  }

  /** Status Failed with the reason, webhook `video.media.failed`. No-op (no event) unless Created/Processing. */
  failMedia(mediaId: string, reason: string): Promise<MediaData | undefined> {
    return mediaOps.failMedia(this, mediaId, reason);
  }

  /** Media left Created/Processing (by a crash, at start), oldest first. */
  listIncompleteMedia(): Promise<MediaData[]> {
    return mediaOps.listIncompleteMedia(this);
  }

  /** Crash recovery: Ready from the stored manifest (longest rendition's duration), or Failed when it holds nothing. */
  completeMediaFromManifest(mediaId: string): Promise<MediaData | undefined> {
    return mediaOps.completeMediaFromManifest(this, mediaId);
  }

  /** The first request for a clip range makes the clip media (`created: true`, webhook `video.media.created`); later ones get it back. */
  createClipMedia(clip: NewClip): Promise<{ media: MediaData; created: boolean } | undefined> {
    return mediaOps.createClipMedia(this, clip);
  }

  /** Remove the media's rows (and from its stream's mediaIds), webhook `video.media.deleted`. The bytes are the caller's to delete. */
  deleteMedia(mediaId: string): Promise<MediaData | undefined> {
    return mediaOps.deleteMedia(this, mediaId);
  }

  getMedia(mediaId: string): Promise<MediaData | undefined> {
    return loadMedia(this.db, mediaId);
  }

  /** The recording manifest of a media: one rendition (or all, by rendition then seq), from `fromSeq` on. */
  listMediaSegments(mediaId: string, rendition?: string, fromSeq?: number): Promise<MediaSegmentRow[]> {
    return listSegments(this.db, mediaId, rendition, fromSeq);
  }

  /** Per rendition: segments, seconds, bytes, last seq and msn recorded. */
  summarizeMediaSegments(mediaId: string): Promise<RenditionSummary[]> {
    return summarizeSegments(this.db, mediaId);
  }
}
