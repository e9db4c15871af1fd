/** Row <-> domain mapping for live streams, playback ids and simulcast targets. */
import type { AccessPolicy, AccessRestrictions, StreamStatus } from '../core/contracts.js';
import type { MaxResolution, PlaybackIdData, SimulcastData, StreamData } from '../core/streams-model.js';
import type { LiveStreamsTable, PlaybackIdsTable, SimulcastTargetsTable } from './db-schema.js';

export function parseJsonObject(text: string | null): Record<string, string> | undefined {
  if (text === null) return undefined;
  const v: unknown = JSON.parse(text);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
}

export function rowToPlaybackId(r: Pick<PlaybackIdsTable, 'id' | 'access_policy' | 'access_restrictions'>): PlaybackIdData {
  const p: PlaybackIdData = { id: r.id, accessPolicy: r.access_policy as AccessPolicy };
  if (r.access_restrictions !== null) p.accessRestrictions = JSON.parse(r.access_restrictions) as AccessRestrictions;
  return p;
}

export function rowToSimulcast(r: SimulcastTargetsTable): SimulcastData {
  const out: SimulcastData = { simulcastId: r.simulcast_id, streamId: r.stream_id, url: r.url, streamKey: r.stream_key, isEnabled: r.is_enabled === 1 };
  const metadata = parseJsonObject(r.metadata);
  if (metadata !== undefined) out.metadata = metadata;
  return out;
}

export function rowToStream(r: LiveStreamsTable, playbackIds: PlaybackIdData[], simulcasts: SimulcastData[]): StreamData {
  return {
    streamId: r.stream_id,
    streamKey: r.stream_key,
    srtSecret: r.srt_secret,
    srtPlaybackStreamId: r.srt_playback_stream_id,
    srtPlaybackSecret: r.srt_playback_secret,
    trial: r.trial === 1,
    status: r.status as StreamStatus,
    maxResolution: r.max_resolution as MaxResolution,
    maxDuration: Number(r.max_duration),
    createdAt: r.created_at,
    reconnectWindow: Number(r.reconnect_window),
    enableRecording: r.enable_recording === 1,
    enableDvrMode: r.enable_dvr_mode === 1,
    mediaPolicy: r.media_policy as AccessPolicy,
    metadata: parseJsonObject(r.metadata) ?? {},
    lowLatency: r.low_latency === 1,
    closedCaptions: r.closed_captions === 1,
    playbackIds,
    mediaIds: JSON.parse(r.media_ids) as string[],
    simulcasts,
  };
}

export function streamToRow(s: StreamData): LiveStreamsTable {
  return {
    stream_id: s.streamId,
    stream_key: s.streamKey,
    srt_secret: s.srtSecret,
    srt_playback_stream_id: s.srtPlaybackStreamId,
    srt_playback_secret: s.srtPlaybackSecret,
    status: s.status,
    trial: s.trial ? 1 : 0,
    max_resolution: s.maxResolution,
    max_duration: s.maxDuration,
    reconnect_window: s.reconnectWindow,
    enable_recording: s.enableRecording ? 1 : 0,
    enable_dvr_mode: s.enableDvrMode ? 1 : 0,
    media_policy: s.mediaPolicy,
    metadata: JSON.stringify(s.metadata),
    low_latency: s.lowLatency ? 1 : 0,
    closed_captions: s.closedCaptions ? 1 : 0,
    media_ids: JSON.stringify(s.mediaIds),
    created_at: s.createdAt,
  };
}
