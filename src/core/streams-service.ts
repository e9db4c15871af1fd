/**
 * Live-stream operations behind the REST API. Each change and its webhook commit in one transaction;
 * state rules quote CONTRACT.md section 2. The API calls LiveControl after these return.
 */
import type { AccessPolicy, AccessRestrictions, RestrictionRule } from './contracts.js';
import { newSimulcastId, newStreamId, newStreamSecret, newUuid, nowMicroIso, srtPlaybackIdFor } from './streams-ids.js';
import type { NewStreamSettings, PlaybackIdData, SimulcastData, StreamData } from './streams-model.js';
import { toLiveStream } from './streams-serialize.js';
import type { Store } from '../store/store.js';
import {
  deletePlaybackId, deleteSimulcast, deleteStream, findPlaybackId, findSimulcast, insertPlaybackId, insertSimulcast,
  insertStream, listStreams, loadStream, setPlaybackRestrictions, streamExists, updateSimulcast, updateStream, type PageQuery,
} from '../store/stream-repo.js';

/** Why an operation was refused; the API maps each to FastPix's status and message. */
export type Refusal =
  | 'stream-not-found' | 'playback-not-found' | 'simulcast-not-found'
  | 'already-enabled' | 'already-disabled' | 'stream-disabled' | 'not-active' | 'simulcast-needs-idle';

export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const no = <T>(refusal: Refusal): Outcome<T> => ({ ok: false, refusal });

const T = {
  created: 'video.live_stream.created',
  updated: 'video.live_stream.updated',
  deleted: 'video.live_stream.deleted',
  enabled: 'video.live_stream.enabled',
  disabled: 'video.live_stream.disabled',
  simCreated: 'video.live_stream.simulcast_target.created',
  simUpdated: 'video.live_stream.simulcast_target.updated',
  simDeleted: 'video.live_stream.simulcast_target.deleted',
} as const;

/** "Simulcast event data: simulcastId, livestreamId, rtmpUrl, streamKey, metadata" (CONTRACT.md section 9). */
function simulcastEventData(s: SimulcastData): Record<string, unknown> {
  return { simulcastId: s.simulcastId, livestreamId: s.streamId, rtmpUrl: s.url, streamKey: s.streamKey, isEnabled: s.isEnabled, metadata: s.metadata ?? {} };
}

/** Restrictions that let everything through (the state of an id before any are set). */
export function openRestrictions(): AccessRestrictions {
  return { domains: { defaultPolicy: 'allow', allow: [], deny: [] }, userAgents: { defaultPolicy: 'allow', allow: [], deny: [] } };
}

/** Restrictions that restrict nothing (both halves allow-all with empty lists). */
export function restrictsNothing(r: AccessRestrictions): boolean {
  const open = (x: RestrictionRule) => x.defaultPolicy === 'allow' && x.allow.length === 0 && x.deny.length === 0;
  return open(r.domains) && open(r.userAgents);
}

export class StreamsService {
  constructor(private readonly store: Store) {}

  async create(settings: NewStreamSettings): Promise<StreamData> {
    const streamId = newStreamId();
    const s: StreamData = {
      streamId,
      streamKey: newStreamSecret(streamId),
      srtSecret: newStreamSecret(streamId),
      srtPlaybackStreamId: srtPlaybackIdFor(streamId),
      srtPlaybackSecret: newStreamSecret(streamId),
      trial: false,
      status: 'idle',
      maxResolution: settings.maxResolution,
      maxDuration: settings.maxDuration,
      createdAt: nowMicroIso(),
      reconnectWindow: settings.reconnectWindow,
      enableRecording: settings.enableRecording,
      enableDvrMode: settings.enableDvrMode,
      mediaPolicy: settings.mediaPolicy,
      metadata: settings.metadata,
      lowLatency: settings.lowLatency,
      closedCaptions: settings.closedCaptions,
      // "A new stream comes with one playback id already (policy from playbackSettings.accessPolicy)."
      playbackIds: [{ id: newUuid(), accessPolicy: settings.accessPolicy, ...(settings.accessRestrictions ? { accessRestrictions: settings.accessRestrictions } : {}) }],
      mediaIds: [],
      simulcasts: [],
    };
    await this.store.transact(async (trx, enqueue) => {
      await insertStream(trx, s);
      await enqueue({ type: T.created, objectId: streamId, status: s.status, data: toLiveStream(s, 'get') });
    });
    return s;
  }

  async get(streamId: string): Promise<Outcome<StreamData>> {
    const s = await loadStream(this.store.db, streamId);
    return s ? ok(s) : no('stream-not-found');
  }

  list(q: PageQuery): Promise<{ items: StreamData[]; total: number }> {
    return listStreams(this.store.db, q);
  }

  /**
   * Clips cut from a stream's recordings (GET /on-demand/{livestreamId}/live-clips). onair does not record live
   * streams yet, so a known stream has no clips; an unknown one is `stream not found` like every stream path.
   */
  async listClips(streamId: string, _q: PageQuery): Promise<Outcome<{ items: never[]; total: number }>> {
    if (!(await streamExists(this.store.db, streamId))) return no('stream-not-found');
    return ok({ items: [], total: 0 });
  }

  async update(streamId: string, patch: { metadata?: Record<string, string>; reconnectWindow?: number }): Promise<Outcome<StreamData>> {
    return this.store.transact(async (trx, enqueue) => {
      const before = await loadStream(trx, streamId);
      if (!before) return no('stream-not-found');
      // "After the live stream is disabled, you cannot update a stream." (OAS, PATCH description)
      if (before.status === 'disabled') return no('stream-disabled');
      await updateStream(trx, streamId, patch);
      const s = (await loadStream(trx, streamId))!;
      await enqueue({ type: T.updated, objectId: streamId, status: s.status, data: toLiveStream(s, 'get') });
      return ok(s);
    });
  }

  async remove(streamId: string): Promise<Outcome<StreamData>> {
    return this.store.transact(async (trx, enqueue) => {
      const s = await loadStream(trx, streamId);
      if (!s) return no('stream-not-found');
      await deleteStream(trx, streamId);
      await enqueue({ type: T.deleted, objectId: streamId, status: 'deleted', data: toLiveStream(s, 'get') });
      return ok(s);
    });
  }

  /** "live-enable: disabled -> idle. Refused (400) if already idle/preparing/active." */
  async enable(streamId: string): Promise<Outcome<StreamData>> {
    return this.store.transact(async (trx, enqueue) => {
      const r = await trx.updateTable('live_streams').set({ status: 'idle' }).where('stream_id', '=', streamId).where('status', '=', 'disabled').executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return (await loadStream(trx, streamId)) ? no('already-enabled') : no('stream-not-found');
      const s = (await loadStream(trx, streamId))!;
      await enqueue({ type: T.enabled, objectId: streamId, status: s.status, data: toLiveStream(s, 'get') });
      return ok(s);
    });
  }

  /** "live-disable: any -> disabled. Refused (400) if already disabled. An active encoder is cut." */
  async disable(streamId: string): Promise<Outcome<StreamData>> {
    return this.store.transact(async (trx, enqueue) => {
      const r = await trx.updateTable('live_streams').set({ status: 'disabled' }).where('stream_id', '=', streamId).where('status', '!=', 'disabled').executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return (await loadStream(trx, streamId)) ? no('already-disabled') : no('stream-not-found');
      const s = (await loadStream(trx, streamId))!;
      await enqueue({ type: T.disabled, objectId: streamId, status: s.status, data: toLiveStream(s, 'get') });
      return ok(s);
    });
  }

  /** "finish: only from active" — the status change itself is LiveControl's (it ends the session). */
  async checkFinishable(streamId: string): Promise<Outcome<StreamData>> {
    const s = await loadStream(this.store.db, streamId);
    if (!s) return no('stream-not-found');
    return s.status === 'active' ? ok(s) : no('not-active');
  }

  async addPlaybackId(streamId: string, accessPolicy: AccessPolicy, accessRestrictions?: AccessRestrictions): Promise<Outcome<PlaybackIdData>> {
    return this.store.transact(async (trx) => {
      if (!(await loadStream(trx, streamId))) return no('stream-not-found');
      const p: PlaybackIdData = { id: newUuid(), accessPolicy };
      if (accessRestrictions !== undefined) p.accessRestrictions = accessRestrictions;
      await insertPlaybackId(trx, streamId, p);
      return ok(p);
    });
  }

  // An unknown parent stream is `stream not found` on child paths too (the live API's answer for a deleted stream).
  async getPlaybackId(streamId: string, playbackId: string): Promise<Outcome<PlaybackIdData>> {
    const p = await findPlaybackId(this.store.db, streamId, playbackId);
    if (p) return ok(p);
    return (await streamExists(this.store.db, streamId)) ? no('playback-not-found') : no('stream-not-found');
  }

  /**
   * PATCH .../playback-ids/{playbackId}/domains or .../user-agents: the given rule replaces that half of the id's
   * restrictions (the other half stays; it starts as allow-all when none were set).
   */
  async setPlaybackRestriction(streamId: string, playbackId: string, kind: keyof AccessRestrictions, rule: RestrictionRule): Promise<Outcome<RestrictionRule>> {
    return this.store.transact(async (trx) => {
      const p = await findPlaybackId(trx, streamId, playbackId);
      if (!p) return (await streamExists(trx, streamId)) ? no('playback-not-found') : no('stream-not-found');
      const next: AccessRestrictions = { ...(p.accessRestrictions ?? openRestrictions()), [kind]: rule };
      await setPlaybackRestrictions(trx, streamId, playbackId, next);
      return ok(rule);
    });
  }

  async deletePlaybackId(streamId: string, playbackId: string): Promise<Outcome<true>> {
    if (await deletePlaybackId(this.store.db, streamId, playbackId)) return ok(true);
    return (await streamExists(this.store.db, streamId)) ? no('playback-not-found') : no('stream-not-found');
  }

  /** "Simulcast create: only while the parent is idle; one target per call." */
  async addSimulcast(streamId: string, input: { url: string; streamKey: string; metadata?: Record<string, string> }): Promise<Outcome<SimulcastData>> {
    return this.store.transact(async (trx, enqueue) => {
      const s = await loadStream(trx, streamId);
      if (!s) return no('stream-not-found');
      if (s.status !== 'idle') return no('simulcast-needs-idle');
      const sim: SimulcastData = { simulcastId: newSimulcastId(), streamId, url: input.url, streamKey: input.streamKey, isEnabled: true };
      if (input.metadata !== undefined) sim.metadata = input.metadata;
      await insertSimulcast(trx, sim);
      await enqueue({ type: T.simCreated, objectId: streamId, status: s.status, data: simulcastEventData(sim) });
      return ok(sim);
    });
  }

  async getSimulcast(streamId: string, simulcastId: string): Promise<Outcome<SimulcastData>> {
    const sim = await findSimulcast(this.store.db, streamId, simulcastId);
    if (sim) return ok(sim);
    return (await streamExists(this.store.db, streamId)) ? no('simulcast-not-found') : no('stream-not-found');
  }

  /** "Update allowed while parent is active or idle, not after it is disabled." */
  async updateSimulcast(streamId: string, simulcastId: string, patch: { isEnabled?: boolean; metadata?: Record<string, string> }): Promise<Outcome<SimulcastData>> {
    return this.store.transact(async (trx, enqueue) => {
      const s = await loadStream(trx, streamId);
      if (!s) return no('stream-not-found');
      const before = await findSimulcast(trx, streamId, simulcastId);
      if (!before) return no('simulcast-not-found');
      if (s.status === 'disabled') return no('stream-disabled');
      await updateSimulcast(trx, simulcastId, patch);
      const sim = (await findSimulcast(trx, streamId, simulcastId))!;
      await enqueue({ type: T.simUpdated, objectId: streamId, status: s.status, data: simulcastEventData(sim) });
      return ok(sim);
    });
  }

  async deleteSimulcast(streamId: string, simulcastId: string): Promise<Outcome<SimulcastData>> {
    return this.store.transact(async (trx, enqueue) => {
      const s = await loadStream(trx, streamId);
      if (!s) return no('stream-not-found');
      const sim = await findSimulcast(trx, streamId, simulcastId);
      if (!sim) return no('simulcast-not-found');
      await deleteSimulcast(trx, simulcastId);
      await enqueue({ type: T.simDeleted, objectId: streamId, status: s.status, data: simulcastEventData(sim) });
      return ok(sim);
    });
  }
}

