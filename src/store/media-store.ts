/**
 * The on-demand media operations of the Store (store.ts delegates here): each state change commits with its
 * webhook outbox rows in one transaction, as `recordLifecycle` does for live streams.
 *
 * Webhooks: `video.media.*` events carry `object: { type: 'media', id: <mediaId> }` and the media object (the
 * `get` wire view) as `data`; they are ordered per endpoint with the events of the stream they belong to (order
 * key = the stream id), so `video.live_stream.recording` -> `video.media.created` -> ... -> `video.live_stream.idle`
 * -> `video.media.ready` reach a receiver in that order.
 */
import type { Transaction } from 'kysely';
import type { AccessPolicy } from '../core/contracts.js';
import type { MediaCompletion, MediaData, MediaRendition, MediaSegmentRow, MediaTrack, NewClip } from '../core/media-model.js';
import { toMediaWire } from '../core/media-serialize.js';
import { newUuid, nowMicroIso } from '../core/streams-ids.js';
import { toLiveStream } from '../core/streams-serialize.js';
import type { Database } from './db-schema.js';
import {
  clipKeyOf, deleteMediaRows, findClipByKey, insertMedia, insertSegments, INCOMPLETE_STATUSES, listIncomplete, loadMedia,
  recordingIdsOfStream, summarizeSegments, updateMedia, type MediaPatch,
} from './media-repo.js';
import type { Enqueue, Store } from './store.js';
import { loadStream, updateStream } from './stream-repo.js';

type Trx = Transaction<Database>;

export const MEDIA_EVENTS = {
  created: 'video.media.created',
  updated: 'video.media.updated',
  ready: 'video.media.ready',
  failed: 'video.media.failed',
  deleted: 'video.media.deleted',
} as const;
export type MediaEvent = (typeof MEDIA_EVENTS)[keyof typeof MEDIA_EVENTS];

/** Queue a `video.media.*` event for `m` (its state after the change) inside the current transaction. */
export async function enqueueMediaEvent(store: Store, enqueue: Enqueue, type: MediaEvent, m: MediaData, extra: Record<string, unknown> = {}): Promise<void> {
  await enqueue({
    type, objectType: 'media', objectId: m.mediaId, orderKey: m.streamId ?? m.mediaId,
    status: type === MEDIA_EVENTS.deleted ? 'deleted' : m.status,
    data: { ...toMediaWire(m, 'get', { workspaceId: store.workspace.id }), ...extra },
  });
}

/** The stream's `mediaIds` is a copy of its recording media ids (oldest first), refreshed in every transaction that changes them. */
async function refreshStreamMediaIds(trx: Trx, streamId: string): Promise<void> {
  await updateStream(trx, streamId, { mediaIds: await recordingIdsOfStream(trx, streamId) });
}

export async function createRecordingMedia(store: Store, streamId: string, mediaId = newUuid()): Promise<MediaData | undefined> {
  return store.transact(async (trx, enqueue) => {
    const s = await loadStream(trx, streamId);
    if (!s) return undefined;
    const now = nowMicroIso();
    const m: MediaData = {
      mediaId, streamId, kind: 'recording', status: 'Created', metadata: {}, mp4Support: 'none',
      maxResolution: s.maxResolution, durationS: 0, tracks: [], renditions: [], createdAt: now, updatedAt: now,
      // "Media playback ids get the stream's mediaPolicy"
      playbackIds: [{ id: newUuid(), accessPolicy: s.mediaPolicy }],
    };
    await insertMedia(trx, m);
    await refreshStreamMediaIds(trx, streamId);
    const after = (await loadStream(trx, streamId))!;
    await enqueue({ type: 'video.live_stream.recording', objectId: streamId, status: after.status, data: toLiveStream(after, 'get') });
    await enqueueMediaEvent(store, enqueue, MEDIA_EVENTS.created, m);
    return m;
  });
}

export interface MediaInfo {
  sourceResolution?: string;
  tracks?: MediaTrack[];
  renditions?: MediaRendition[];
}

function infoPatch(info: MediaInfo | MediaCompletion): MediaPatch {
  const p: MediaPatch = {};
  if (info.sourceResolution !== undefined) p.sourceResolution = info.sourceResolution;
  if (info.tracks !== undefined) p.tracks = info.tracks;
  if (info.renditions !== undefined) p.renditions = info.renditions;
  return p;
}

/**
 * Created -> Processing (the first segment is stored; the session is live), and/or record what is known of the
 * source (resolution, tracks, renditions; call again when it changes). No webhook (FastPix has none for it).
 */
export async function markMediaProcessing(store: Store, mediaId: string, info: MediaInfo = {}): Promise<MediaData | undefined> {
  return store.transact(async (trx) => {
    const m = await loadMedia(trx, mediaId);
    if (!m) return undefined;
    if (!INCOMPLETE_STATUSES.includes(m.status)) return m;
    await updateMedia(trx, mediaId, { ...infoPatch(info), status: 'Processing' }, nowMicroIso());
    return loadMedia(trx, mediaId);
  });
}

/** Add manifest rows (one per finished segment, any renditions). False (nothing written) when the media is gone or finished. */
export async function addMediaSegments(store: Store, rows: readonly MediaSegmentRow[]): Promise<boolean> {
  if (rows.length === 0) return true;
  const ids = new Set(rows.map((r) => r.mediaId));
  if (ids.size !== 1) throw new Error('addMediaSegments: rows of one media at a time');
  const mediaId = rows[0]!.mediaId;
  return store.transact(async (trx) => {
    const m = await trx.selectFrom('media').select('status').where('media_id', '=', mediaId).executeTakeFirst();
    if (!m || !INCOMPLETE_STATUSES.includes(m.status as MediaData['status'])) return false;
    await insertSegments(trx, rows);
    return true;
  });
}

/** Ready + `video.media.ready`. Only from Created/Processing; a media already Ready/Failed is returned unchanged (no event). */
export async function completeMedia(store: Store, mediaId: string, c: MediaCompletion): Promise<MediaData | undefined> {
  return store.transact(async (trx, enqueue) => {
    const before = await loadMedia(trx, mediaId);
    if (!before) return undefined;
    if (!INCOMPLETE_STATUSES.includes(before.status)) return before;
    await updateMedia(trx, mediaId, { ...infoPatch(c), durationS: c.durationS, status: 'Ready', failureReason: null }, nowMicroIso());
    const m = (await loadMedia(trx, mediaId))!;
    await enqueueMediaEvent(store, enqueue, MEDIA_EVENTS.ready, m);
    return m;
  });
}

/** Failed (with the reason) + `video.media.failed` (data: the media plus `failureReason`). Only from Created/Processing. */
export async function failMedia(store: Store, mediaId: string, reason: string): Promise<MediaData | undefined> {
  return store.transact(async (trx, enqueue) => {
    const before = await loadMedia(trx, mediaId);
    if (!before) return undefined;
    if (!INCOMPLETE_STATUSES.includes(before.status)) return before;
    await updateMedia(trx, mediaId, { status: 'Failed', failureReason: reason.slice(0, 1000) }, nowMicroIso());
    const m = (await loadMedia(trx, mediaId))!;
    await enqueueMediaEvent(store, enqueue, MEDIA_EVENTS.failed, m, { failureReason: m.failureReason });
    return m;
  });
}

export function listIncompleteMedia(store: Store): Promise<MediaData[]> {
  return listIncomplete(store.db);
}

/**
 * Complete a media from its stored manifest (crash recovery at start: the session that wrote it is gone). Ready
 * with the duration of its longest rendition when it has segments, else Failed ("nothing was recorded").
 * Call only for media whose session is not live.
 */
export async function completeMediaFromManifest(store: Store, mediaId: string): Promise<MediaData | undefined> {
  const summary = await summarizeSegments(store.db, mediaId);
  const durationS = summary.reduce((d, r) => Math.max(d, r.durationS), 0);
  if (summary.length === 0 || durationS <= 0) return failMedia(store, mediaId, 'the session ended before any segment was recorded');
  return completeMedia(store, mediaId, { durationS });
}

/**
 * A clip of a live stream (an instant clip; `sourceMediaId` = the recording the range lies in, when recorded):
 * status Created, the stream's mediaPolicy on its playback id, `video.media.created`. The first request for a
 * (stream, source, start, end) creates it; later ones get the same clip back (`created: false`, no event).
 * Complete it with completeMedia (duration of the segments it covers once snapped). Undefined: unknown stream.
 */
export async function createClipMedia(store: Store, clip: NewClip): Promise<{ media: MediaData; created: boolean } | undefined> {
  const key = clipKeyOf(clip.streamId, clip.sourceMediaId, clip.startS, clip.endS);
  const existing = await findClipByKey(store.db, key);
  if (existing) return { media: existing, created: false };
  const made = await store.transact(async (trx, enqueue) => {
    const s = await loadStream(trx, clip.streamId);
    if (!s) return undefined;
    const now = nowMicroIso();
    const m: MediaData = {
      mediaId: newUuid(), streamId: clip.streamId, kind: 'clip', status: 'Created', metadata: {}, mp4Support: 'none',
      maxResolution: s.maxResolution, durationS: Math.max(0, clip.endS - clip.startS), tracks: [], renditions: [],
      clipStartS: clip.startS, clipEndS: clip.endS, createdAt: now, updatedAt: now,
      playbackIds: [{ id: newUuid(), accessPolicy: s.mediaPolicy as AccessPolicy }],
    };
    if (clip.sourceMediaId !== undefined) m.sourceMediaId = clip.sourceMediaId;
    if (clip.title !== undefined) m.title = clip.title;
    if (!(await insertMedia(trx, m, key))) return null; // a concurrent request made it first
    await enqueueMediaEvent(store, enqueue, MEDIA_EVENTS.created, m);
    return m;
  });
  if (made === undefined) return undefined;
  if (made === null) {
    const other = await findClipByKey(store.db, key);
    return other ? { media: other, created: false } : undefined;
  }
  return { media: made, created: true };
}

/**
 * Remove the media's rows (media, playback ids, manifest), refresh its stream's `mediaIds`, queue
 * `video.media.deleted`. The caller then tells the media plane (LiveControl.mediaDeleted) and removes the bytes
 * (segment store deletePrefix). Undefined when there is no such media.
 */
export async function deleteMedia(store: Store, mediaId: string): Promise<MediaData | undefined> {
  return store.transact(async (trx, enqueue) => {
    const m = await loadMedia(trx, mediaId);
    if (!m) return undefined;
    await deleteMediaRows(trx, mediaId);
    if (m.streamId !== undefined && m.kind === 'recording') await refreshStreamMediaIds(trx, m.streamId);
    await enqueueMediaEvent(store, enqueue, MEDIA_EVENTS.deleted, m);
    return m;
  });
}

/** PATCH /on-demand/{mediaId} and update-mp4Support: apply and queue `video.media.updated`. */
export async function updateMediaFields(store: Store, mediaId: string, patch: Pick<MediaPatch, 'title' | 'creatorId' | 'metadata' | 'mp4Support'>): Promise<MediaData | undefined> {
  return store.transact(async (trx, enqueue) => {
    if (!(await updateMedia(trx, mediaId, patch, nowMicroIso()))) return undefined;
    const m = (await loadMedia(trx, mediaId))!;
    await enqueueMediaEvent(store, enqueue, MEDIA_EVENTS.updated, m);
    return m;
  });
}
