/** Queries on on-demand media, their playback ids and the recording manifest (each takes a db or a transaction). */
import type { Kysely } from 'kysely';
import type { AccessPolicy, AccessRestrictions, MediaPlaybackIdRoute } from '../core/contracts.js';
import type {
  MediaData, MediaKind, MediaRendition, MediaSegmentRow, MediaStatus, MediaTrack, MediaMaxResolution, Mp4Support,
} from '../core/media-model.js';
import type { PlaybackIdData } from '../core/streams-model.js';
import type { Database, MediaSegmentsTable, MediaTable } from './db-schema.js';
import type { PageQuery } from './stream-repo.js';
import { parseJsonObject, rowToPlaybackId } from './stream-rows.js';

type Db = Kysely<Database>;

export const INCOMPLETE_STATUSES: readonly MediaStatus[] = ['Created', 'Processing'];

/** The unique key of a clip: one clip media per (stream, source media, asked range). */
export function clipKeyOf(streamId: string, sourceMediaId: string | undefined, startS: number, endS: number): string {
  return `${streamId}|${sourceMediaId ?? ''}|${startS}|${endS}`;
}

export function rowToMedia(r: MediaTable, playbackIds: PlaybackIdData[]): MediaData {
  const m: MediaData = {
    mediaId: r.media_id,
    kind: r.kind,
    status: r.status as MediaStatus,
    metadata: parseJsonObject(r.metadata) ?? {},
    mp4Support: r.mp4_support as Mp4Support,
    maxResolution: r.max_resolution as MediaMaxResolution,
    durationS: Number(r.duration_s),
    tracks: JSON.parse(r.tracks) as MediaTrack[],
    renditions: JSON.parse(r.renditions) as MediaRendition[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    playbackIds,
  };
  if (r.stream_id !== null) m.streamId = r.stream_id;
  if (r.title !== null) m.title = r.title;
  if (r.creator_id !== null) m.creatorId = r.creator_id;
  if (r.source_resolution !== null) m.sourceResolution = r.source_resolution;
  if (r.failure_reason !== null) m.failureReason = r.failure_reason;
  if (r.source_media_id !== null) m.sourceMediaId = r.source_media_id;
  if (r.clip_start_s !== null) m.clipStartS = Number(r.clip_start_s);
  if (r.clip_end_s !== null) m.clipEndS = Number(r.clip_end_s);
  return m;
}

export function mediaToRow(m: MediaData, clipKey: string | null = null): MediaTable {
  return {
    media_id: m.mediaId,
    stream_id: m.streamId ?? null,
    kind: m.kind,
    status: m.status,
    title: m.title ?? null,
    creator_id: m.creatorId ?? null,
    metadata: JSON.stringify(m.metadata),
    mp4_support: m.mp4Support,
    max_resolution: m.maxResolution,
    source_resolution: m.sourceResolution ?? null,
    duration_s: m.durationS,
    tracks: JSON.stringify(m.tracks),
    renditions: JSON.stringify(m.renditions),
    failure_reason: m.failureReason ?? null,
    source_media_id: m.sourceMediaId ?? null,
    clip_start_s: m.clipStartS ?? null,
    clip_end_s: m.clipEndS ?? null,
    clip_key: clipKey,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
  };
}

async function playbackIdsOf(db: Db, mediaIds: string[]): Promise<Map<string, PlaybackIdData[]>> {
  const out = new Map<string, PlaybackIdData[]>();
  if (mediaIds.length === 0) return out;
  const rows = await db.selectFrom('media_playback_ids').select(['id', 'media_id', 'access_policy', 'access_restrictions'])
    .where('media_id', 'in', mediaIds).orderBy('created_at').orderBy('id').execute();
  for (const r of rows) {
    const list = out.get(r.media_id) ?? [];
    list.push(rowToPlaybackId(r));
    out.set(r.media_id, list);
  }
  return out;
}

/** Insert the media and its playback ids. With a clip key, returns false (and inserts nothing) when a clip with that key exists. */
export async function insertMedia(db: Db, m: MediaData, clipKey: string | null = null): Promise<boolean> {
  const row = mediaToRow(m, clipKey);
  if (clipKey === null) {
    await db.insertInto('media').values(row).execute();
  } else {
    const r = await db.insertInto('media').values(row).onConflict((oc) => oc.column('clip_key').doNothing()).executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
  }
  for (const p of m.playbackIds) await insertMediaPlaybackId(db, m.mediaId, p);
  return true;
}

export async function loadMedia(db: Db, mediaId: string): Promise<MediaData | undefined> {
  const row = await db.selectFrom('media').selectAll().where('media_id', '=', mediaId).executeTakeFirst();
  if (!row) return undefined;
  return rowToMedia(row, (await playbackIdsOf(db, [mediaId])).get(mediaId) ?? []);
}

export async function findClipByKey(db: Db, clipKey: string): Promise<MediaData | undefined> {
  const row = await db.selectFrom('media').select('media_id').where('clip_key', '=', clipKey).executeTakeFirst();
  return row ? loadMedia(db, row.media_id) : undefined;
}

export interface MediaFilter {
  streamId?: string;
  kind?: MediaKind;
  sourceMediaId?: string;
}

export async function listMedia(db: Db, q: PageQuery, f: MediaFilter = {}): Promise<{ items: MediaData[]; total: number }> {
  let count = db.selectFrom('media').select((eb) => eb.fn.countAll<number>().as('n'));
  let page = db.selectFrom('media').selectAll();
  if (f.streamId !== undefined) { count = count.where('stream_id', '=', f.streamId); page = page.where('stream_id', '=', f.streamId); }
  if (f.kind !== undefined) { count = count.where('kind', '=', f.kind); page = page.where('kind', '=', f.kind); }
  if (f.sourceMediaId !== undefined) { count = count.where('source_media_id', '=', f.sourceMediaId); page = page.where('source_media_id', '=', f.sourceMediaId); }
  const countRow = await count.executeTakeFirstOrThrow();
  const rows = await page.orderBy('created_at', q.order).orderBy('media_id', q.order).limit(q.limit).offset((q.page - 1) * q.limit).execute();
  const pids = await playbackIdsOf(db, rows.map((r) => r.media_id));
  return { items: rows.map((r) => rowToMedia(r, pids.get(r.media_id) ?? [])), total: Number(countRow.n) };
}

/** Recording media ids of a stream, oldest first (the stream's `mediaIds`). */
export async function recordingIdsOfStream(db: Db, streamId: string): Promise<string[]> {
  const rows = await db.selectFrom('media').select('media_id').where('stream_id', '=', streamId).where('kind', '=', 'recording')
    .orderBy('created_at').orderBy('media_id').execute();
  return rows.map((r) => r.media_id);
}

/** Media still being recorded or made when the process stopped (Created / Processing), oldest first. */
export async function listIncomplete(db: Db): Promise<MediaData[]> {
  const rows = await db.selectFrom('media').selectAll().where('status', 'in', [...INCOMPLETE_STATUSES]).orderBy('created_at').orderBy('media_id').execute();
  const pids = await playbackIdsOf(db, rows.map((r) => r.media_id));
  return rows.map((r) => rowToMedia(r, pids.get(r.media_id) ?? []));
}

export interface MediaPatch {
  status?: MediaStatus;
  title?: string | null;
  creatorId?: string | null;
  metadata?: Record<string, string>;
  mp4Support?: Mp4Support;
  sourceResolution?: string;
  durationS?: number;
  tracks?: MediaTrack[];
  renditions?: MediaRendition[];
  failureReason?: string | null;
}

/** Apply the patch and bump updated_at. Returns whether the media exists. */
export async function updateMedia(db: Db, mediaId: string, patch: MediaPatch, updatedAt: string): Promise<boolean> {
  const set: Partial<MediaTable> = { updated_at: updatedAt };
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.title !== undefined) set.title = patch.title;
  if (patch.creatorId !== undefined) set.creator_id = patch.creatorId;
  if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata);
  if (patch.mp4Support !== undefined) set.mp4_support = patch.mp4Support;
  if (patch.sourceResolution !== undefined) set.source_resolution = patch.sourceResolution;
  if (patch.durationS !== undefined) set.duration_s = patch.durationS;
  if (patch.tracks !== undefined) set.tracks = JSON.stringify(patch.tracks);
  if (patch.renditions !== undefined) set.renditions = JSON.stringify(patch.renditions);
  if (patch.failureReason !== undefined) set.failure_reason = patch.failureReason;
  const r = await db.updateTable('media').set(set).where('media_id', '=', mediaId).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Remove the media, its playback ids and its manifest rows. Returns whether it existed. */
export async function deleteMediaRows(db: Db, mediaId: string): Promise<boolean> {
  await db.deleteFrom('media_playback_ids').where('media_id', '=', mediaId).execute();
  await db.deleteFrom('media_segments').where('media_id', '=', mediaId).execute();
  const r = await db.deleteFrom('media').where('media_id', '=', mediaId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// ---- playback ids ----

export async function insertMediaPlaybackId(db: Db, mediaId: string, p: PlaybackIdData): Promise<void> {
  await db.insertInto('media_playback_ids').values({
    id: p.id, media_id: mediaId, access_policy: p.accessPolicy, created_at: new Date().toISOString(),
    access_restrictions: p.accessRestrictions === undefined ? null : JSON.stringify(p.accessRestrictions),
  }).execute();
}

export async function findMediaPlaybackId(db: Db, mediaId: string, id: string): Promise<PlaybackIdData | undefined> {
  const r = await db.selectFrom('media_playback_ids').select(['id', 'access_policy', 'access_restrictions'])
    .where('media_id', '=', mediaId).where('id', '=', id).executeTakeFirst();
  return r ? rowToPlaybackId(r) : undefined;
}

export async function setMediaPlaybackRestrictions(db: Db, mediaId: string, id: string, r: AccessRestrictions): Promise<boolean> {
  const res = await db.updateTable('media_playback_ids').set({ access_restrictions: JSON.stringify(r) })
    .where('media_id', '=', mediaId).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function deleteMediaPlaybackId(db: Db, mediaId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('media_playback_ids').where('media_id', '=', mediaId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Every media playback id with what the playback listener routes on (one query, no per-request lookups). */
export async function listAllMediaPlaybackIds(db: Db): Promise<MediaPlaybackIdRoute[]> {
  const rows = await db.selectFrom('media_playback_ids as p').innerJoin('media as m', 'm.media_id', 'p.media_id')
    .select(['p.id', 'p.media_id', 'p.access_policy', 'p.access_restrictions', 'm.stream_id', 'm.status', 'm.kind', 'm.mp4_support'])
    .execute();
  return rows.map((r) => {
    const route: MediaPlaybackIdRoute = {
      playbackId: r.id, mediaId: r.media_id, accessPolicy: r.access_policy as AccessPolicy,
      status: r.status as MediaStatus, kind: r.kind, mp4Support: r.mp4_support as Mp4Support,
    };
    if (r.stream_id !== null) route.streamId = r.stream_id;
    if (r.access_restrictions !== null) route.accessRestrictions = JSON.parse(r.access_restrictions) as AccessRestrictions;
    return route;
  });
}

// ---- the recording manifest ----

const segmentToRow = (s: MediaSegmentRow): MediaSegmentsTable => ({
  media_id: s.mediaId, rendition: s.rendition, seq: s.seq, msn: s.msn, duration_s: s.durationS, key: s.key, size: s.size,
  discontinuity: s.discontinuity ? 1 : 0, program_date_time: s.programDateTime ?? null, init_key: s.initKey,
});

const rowToSegment = (r: MediaSegmentsTable): MediaSegmentRow => {
  const s: MediaSegmentRow = {
    mediaId: r.media_id, rendition: r.rendition, seq: Number(r.seq), msn: Number(r.msn), durationS: Number(r.duration_s),
    key: r.key, size: Number(r.size), discontinuity: r.discontinuity === 1, initKey: r.init_key,
  };
  if (r.program_date_time !== null) s.programDateTime = r.program_date_time;
  return s;
};

export async function insertSegments(db: Db, rows: readonly MediaSegmentRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('media_segments').values(rows.map(segmentToRow)).execute();
}

/** The manifest of one rendition (or all, ordered by rendition then seq), optionally from seq `fromSeq` on. */
export async function listSegments(db: Db, mediaId: string, rendition?: string, fromSeq = 0): Promise<MediaSegmentRow[]> {
  let q = db.selectFrom('media_segments').selectAll().where('media_id', '=', mediaId).where('seq', '>=', fromSeq);
  if (rendition !== undefined) q = q.where('rendition', '=', rendition);
  const rows = await q.orderBy('rendition').orderBy('seq').execute();
  return rows.map(rowToSegment);
}

export interface RenditionSummary {
  rendition: string;
  segments: number;
  durationS: number;
  bytes: number;
  /** the last row's seq and msn (the next segment continues from them), -1 when none */
  lastSeq: number;
  lastMsn: number;
}

/** Per rendition: how much is recorded (crash recovery, continuing a session after a reconnect). */
export async function summarizeSegments(db: Db, mediaId: string): Promise<RenditionSummary[]> {
  const rows = await db.selectFrom('media_segments')
    .select((eb) => [
      'rendition',
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>('duration_s').as('d'),
      eb.fn.sum<number>('size').as('b'),
      eb.fn.max<number>('seq').as('s'),
      eb.fn.max<number>('msn').as('m'),
    ])
    .where('media_id', '=', mediaId).groupBy('rendition').orderBy('rendition').execute();
  return rows.map((r) => ({
    rendition: r.rendition, segments: Number(r.n), durationS: Number(r.d ?? 0), bytes: Number(r.b ?? 0),
    lastSeq: r.s === null ? -1 : Number(r.s), lastMsn: r.m === null ? -1 : Number(r.m),
  }));
}
