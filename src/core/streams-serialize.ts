/** LiveStream and Simulcast wire objects (CONTRACT.md section 6), in FastPix's field order. */
import type { StreamRecord } from './contracts.js';
import type { PlaybackIdData, SimulcastData, StreamData } from './streams-model.js';

/**
 * create / patch: no mediaIds, no simulcastResponses; get and list: both, each only when non-empty (the
 * recorded get/list answers of the live API leave them out when a stream has no targets / no recordings);
 * list: metadata omitted when empty.
 */
export type LiveStreamView = 'create' | 'get' | 'list' | 'patch';

export function toSimulcastWire(s: SimulcastData): Record<string, unknown> {
  const out: Record<string, unknown> = { simulcastId: s.simulcastId, url: s.url, streamKey: s.streamKey, isEnabled: s.isEnabled };
  if (s.metadata !== undefined) out.metadata = s.metadata;
  return out;
}

/**
 * `{ id, accessPolicy }`, plus `accessRestrictions` once any were set: the recorded live answers for ids without
 * restrictions carry only the two fields; the SDK's PlaybackId / PlaybackIdSuccessResponse models add the third.
 */
export function toPlaybackIdWire(p: PlaybackIdData): Record<string, unknown> {
  const out: Record<string, unknown> = { id: p.id, accessPolicy: p.accessPolicy };
  if (p.accessRestrictions !== undefined) out.accessRestrictions = p.accessRestrictions;
  return out;
}

export function toLiveStream(s: StreamData, view: LiveStreamView): Record<string, unknown> {
  const out: Record<string, unknown> = {
    streamId: s.streamId,
    streamKey: s.streamKey,
    srtSecret: s.srtSecret,
    trial: s.trial,
    status: s.status,
    maxResolution: s.maxResolution,
    maxDuration: s.maxDuration,
    createdAt: s.createdAt,
    reconnectWindow: s.reconnectWindow,
    enableRecording: s.enableRecording,
    enableDvrMode: s.enableDvrMode,
    mediaPolicy: s.mediaPolicy,
  };
  // "metadata ... omitted from list items when empty" (CONTRACT.md section 6, SDK-live)
  if (!(view === 'list' && Object.keys(s.metadata).length === 0)) out.metadata = s.metadata;
  out.lowLatency = s.lowLatency;
  out.closedCaptions = s.closedCaptions;
  out.playbackIds = s.playbackIds.map(toPlaybackIdWire);
  const full = view === 'get' || view === 'list';
  // "simulcastResponses: present on GET by id when targets exist" — and on list items (SDK-live get-all-streams)
  if (full && s.simulcasts.length > 0) out.simulcastResponses = s.simulcasts.map(toSimulcastWire);
  // "mediaIds: ... GET/list only"; absent from the live API's answers for streams that never recorded
  if (full && s.mediaIds.length > 0) out.mediaIds = s.mediaIds;
  out.srtPlaybackResponse = { srtPlaybackStreamId: s.srtPlaybackStreamId, srtPlaybackSecret: s.srtPlaybackSecret };
  return out;
}

/** The media plane's view of a stream (contracts.ts StreamRecord). */
export function toStreamRecord(s: StreamData): StreamRecord {
  return {
    streamId: s.streamId,
    streamKey: s.streamKey,
    srtSecret: s.srtSecret,
    srtPlaybackStreamId: s.srtPlaybackStreamId,
    srtPlaybackSecret: s.srtPlaybackSecret,
    status: s.status,
    reconnectWindow: s.reconnectWindow,
    maxDuration: s.maxDuration,
    maxResolution: s.maxResolution,
    enableRecording: s.enableRecording,
    enableDvrMode: s.enableDvrMode,
    playbackIds: s.playbackIds.map((p) => ({ id: p.id, accessPolicy: p.accessPolicy })),
  };
}
