/** Queries on live streams and their playback ids and simulcast targets (each takes a db or a transaction). */
import type { Kysely } from 'kysely';
import type { AccessRestrictions, PlaybackIdRoute, StreamStatus } from '../core/contracts.js';
import type { PlaybackIdData, SimulcastData, StreamData } from '../core/streams-model.js';
import type { Database } from './db-schema.js';
import { rowToPlaybackId, rowToSimulcast, rowToStream, streamToRow } from './stream-rows.js';

type Db = Kysely<Database>;
type LookupColumn = 'stream_id' | 'stream_key' | 'srt_playback_stream_id';

export async function loadStream(db: Db, value: string, column: LookupColumn = 'stream_id'): Promise<StreamData | undefined> {
  const row = await db.selectFrom('live_streams').selectAll().where(column, '=', value).executeTakeFirst();
  if (!row) return undefined;
  const [pids, sims] = await Promise.all([
    db.selectFrom('playback_ids').select(['id', 'access_policy', 'access_restrictions']).where('stream_id', '=', row.stream_id).orderBy('created_at').orderBy('id').execute(),
    db.selectFrom('simulcast_targets').selectAll().where('stream_id', '=', row.stream_id).orderBy('created_at').orderBy('simulcast_id').execute(),
  ]);
  return rowToStream(row, pids.map(rowToPlaybackId), sims.map(rowToSimulcast));
}

export async function streamExists(db: Db, streamId: string): Promise<boolean> {
  return (await db.selectFrom('live_streams').select('stream_id').where('stream_id', '=', streamId).executeTakeFirst()) !== undefined;
}

export interface PageQuery {
  limit: number;
  /** 1-based page number */
  page: number;
  order: 'asc' | 'desc';
}

export async function listStreams(db: Db, q: PageQuery): Promise<{ items: StreamData[]; total: number }> {
  const countRow = await db.selectFrom('live_streams').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('live_streams').selectAll()
    .orderBy('created_at', q.order).orderBy('stream_id', q.order)
    .limit(q.limit).offset((q.page - 1) * q.limit).execute();
  const ids = rows.map((r) => r.stream_id);
  const [pids, sims] = ids.length ? await Promise.all([
    db.selectFrom('playback_ids').select(['id', 'access_policy', 'access_restrictions', 'stream_id']).where('stream_id', 'in', ids).orderBy('created_at').orderBy('id').execute(),
    // list items carry simulcastResponses too (SDK-live get-all-streams artifact)
    db.selectFrom('simulcast_targets').selectAll().where('stream_id', 'in', ids).orderBy('created_at').orderBy('simulcast_id').execute(),
  ]) : [[], []];
  const items = rows.map((r) => rowToStream(r,
    pids.filter((p) => p.stream_id === r.stream_id).map(rowToPlaybackId),
    sims.filter((x) => x.stream_id === r.stream_id).map(rowToSimulcast)));
  return { items, total: Number(countRow.n) };
}

export async function insertStream(db: Db, s: StreamData): Promise<void> {
  await db.insertInto('live_streams').values(streamToRow(s)).execute();
  for (const p of s.playbackIds) await insertPlaybackId(db, s.streamId, p);
}

export interface StreamPatch {
  status?: StreamStatus;
  metadata?: Record<string, string>;
  reconnectWindow?: number;
  mediaIds?: string[];
}

export async function updateStream(db: Db, streamId: string, patch: StreamPatch): Promise<void> {
  const set: Record<string, unknown> = {};
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata);
  if (patch.reconnectWindow !== undefined) set.reconnect_window = patch.reconnectWindow;
  if (patch.mediaIds !== undefined) set.media_ids = JSON.stringify(patch.mediaIds);
  if (Object.keys(set).length === 0) return;
  await db.updateTable('live_streams').set(set).where('stream_id', '=', streamId).execute();
}

export async function deleteStream(db: Db, streamId: string): Promise<void> {
  await db.deleteFrom('playback_ids').where('stream_id', '=', streamId).execute();
  await db.deleteFrom('simulcast_targets').where('stream_id', '=', streamId).execute();
  await db.deleteFrom('live_streams').where('stream_id', '=', streamId).execute();
}

export async function insertPlaybackId(db: Db, streamId: string, p: PlaybackIdData): Promise<void> {
  await db.insertInto('playback_ids').values({
    id: p.id, stream_id: streamId, access_policy: p.accessPolicy, created_at: new Date().toISOString(),
    access_restrictions: p.accessRestrictions === undefined ? null : JSON.stringify(p.accessRestrictions),
  }).execute();
}

export async function findPlaybackId(db: Db, streamId: string, id: string): Promise<PlaybackIdData | undefined> {
  const r = await db.selectFrom('playback_ids').select(['id', 'access_policy', 'access_restrictions']).where('stream_id', '=', streamId).where('id', '=', id).executeTakeFirst();
  return r ? rowToPlaybackId(r) : undefined;
}

/** Store a playback id's restrictions (the whole object). Returns whether the id exists under the stream. */
export async function setPlaybackRestrictions(db: Db, streamId: string, id: string, r: AccessRestrictions): Promise<boolean> {
  const res = await db.updateTable('playback_ids').set({ access_restrictions: JSON.stringify(r) }).where('stream_id', '=', streamId).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Returns whether a row was deleted. */
export async function deletePlaybackId(db: Db, streamId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('playback_ids').where('stream_id', '=', streamId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listAllPlaybackIds(db: Db): Promise<PlaybackIdRoute[]> {
  const rows = await db.selectFrom('playback_ids').select(['id', 'stream_id', 'access_policy', 'access_restrictions']).execute();
  return rows.map((r) => {
    const p = rowToPlaybackId(r);
    const route: PlaybackIdRoute = { playbackId: p.id, streamId: r.stream_id, accessPolicy: p.accessPolicy };
    if (p.accessRestrictions) route.accessRestrictions = p.accessRestrictions;
    return route;
  });
}

export async function insertSimulcast(db: Db, s: SimulcastData): Promise<void> {
  await db.insertInto('simulcast_targets').values({
    simulcast_id: s.simulcastId, stream_id: s.streamId, url: s.url, stream_key: s.streamKey,
    is_enabled: s.isEnabled ? 1 : 0, metadata: s.metadata === undefined ? null : JSON.stringify(s.metadata),
    created_at: new Date().toISOString(),
  }).execute();
}

export async function findSimulcast(db: Db, streamId: string, simulcastId: string): Promise<SimulcastData | undefined> {
  const r = await db.selectFrom('simulcast_targets').selectAll().where('stream_id', '=', streamId).where('simulcast_id', '=', simulcastId).executeTakeFirst();
  return r ? rowToSimulcast(r) : undefined;
}

export async function listSimulcasts(db: Db, streamId: string): Promise<SimulcastData[]> {
  const rows = await db.selectFrom('simulcast_targets').selectAll().where('stream_id', '=', streamId).orderBy('created_at').orderBy('simulcast_id').execute();
  return rows.map(rowToSimulcast);
}

export async function updateSimulcast(db: Db, simulcastId: string, patch: { isEnabled?: boolean; metadata?: Record<string, string> }): Promise<void> {
  const set: Record<string, unknown> = {};
  if (patch.isEnabled !== undefined) set.is_enabled = patch.isEnabled ? 1 : 0;
  if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata);
  if (Object.keys(set).length === 0) return;
  await db.updateTable('simulcast_targets').set(set).where('simulcast_id', '=', simulcastId).execute();
}

export async function deleteSimulcast(db: Db, simulcastId: string): Promise<void> {
  await db.deleteFrom('simulcast_targets').where('simulcast_id', '=', simulcastId).execute();
}
