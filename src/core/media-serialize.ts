/**
 * On-demand media wire objects (fastpix-ondemand-openapi.yaml: GetMediaResponse / Media / Update-Media,
 * GetAllMediaResponse, Live-Media-Clips, MediaClipResponse items, CreatePlaybackId), in FastPix's field order.
 * Shared by the API and the `video.media.*` webhook payloads.
 */
import type { AccessRestrictions } from './contracts.js';
import { formatDuration, type MediaData, type MediaTrack } from './media-model.js';
import type { PlaybackIdData } from './streams-model.js';

/**
 * - `get`: GET/PATCH /on-demand/{mediaId}, update-mp4Support, webhooks (GetMediaResponse, Media, Update-Media);
 * - `list`: GET /on-demand items (GetAllMediaResponse: video tracks without frameRate, VideoTrackForGetAll);
 * - `live-clip`: GET /on-demand/{livestreamId}/live-clips items (Live-Media-Clips: no metadata, no mediaQuality).
 */
export type MediaView = 'get' | 'list' | 'live-clip';

export interface MediaWireContext {
  workspaceId: string;
  /** `http://host:port` of the playback listener: makes `thumbnail`; omitted when undefined */
  playbackBaseUrl?: string;
}

/** Allow-all restrictions: what an id without any set reports (the on-demand examples always carry the object). */
export function openRestrictionsWire(): AccessRestrictions {
  return { domains: { defaultPolicy: 'allow', allow: [], deny: [] }, userAgents: { defaultPolicy: 'allow', allow: [], deny: [] } };
}

/** `{ id, accessPolicy, accessRestrictions }` (PlaybackId / CreatePlaybackId of the on-demand API). */
export function toMediaPlaybackIdWire(p: PlaybackIdData): { id: string; accessPolicy: PlaybackIdData['accessPolicy']; accessRestrictions: AccessRestrictions } {
  return { id: p.id, accessPolicy: p.accessPolicy, accessRestrictions: p.accessRestrictions ?? openRestrictionsWire() };
}

function trackWire(t: MediaTrack, view: MediaView): Record<string, unknown> {
  if (t.type === 'video') {
    const out: Record<string, unknown> = { id: t.id, type: 'video', width: t.width, height: t.height };
    if (view !== 'list') out.frameRate = t.frameRate;
    out.status = t.status;
    return out;
  }
  const out: Record<string, unknown> = { id: t.id, type: 'audio', status: t.status };
  // recorded order: languageCode, then languageName
  if (t.languageCode !== undefined) out.languageCode = t.languageCode;
  if (t.languageName !== undefined) out.languageName = t.languageName;
  return out;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** `16:9` from the first video track; undefined without one. */
export function aspectRatioOf(tracks: MediaTrack[]): string | undefined {
  const v = tracks.find((t) => t.type === 'video');
  if (!v || v.type !== 'video' || v.width <= 0 || v.height <= 0) return undefined;
  const w = Math.round(v.width);
  const h = Math.round(v.height);
  const g = gcd(w, h);
  return `${w / g}:${h / g}`;
}

export const isAudioOnly = (m: MediaData): boolean => m.tracks.length > 0 && !m.tracks.some((t) => t.type === 'video');

/** Ready media only (the recorded list-media answer has no thumbnail for a media still Created). */
export function thumbnailUrl(m: MediaData, ctx: MediaWireContext): string | undefined {
  const p = m.playbackIds[0];
  return ctx.playbackBaseUrl !== undefined && p && m.status === 'Ready' ? `${ctx.playbackBaseUrl}/${p.id}/thumbnail.png` : undefined;
}

export function toMediaWire(m: MediaData, view: MediaView, ctx: MediaWireContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const thumb = thumbnailUrl(m, ctx);
  if (thumb !== undefined) out.thumbnail = thumb;
  out.id = m.mediaId;
  if (view !== 'live-clip' && m.sourceMediaId !== undefined) out.sourceMediaId = m.sourceMediaId;
  out.workspaceId = ctx.workspaceId;
  if (m.streamId !== undefined) out.streamId = m.streamId;
  if (view !== 'live-clip') {
    out.metadata = m.metadata;
    out.mediaQuality = 'standard';
  }
  if (m.creatorId !== undefined) out.creatorId = m.creatorId;
  if (m.title !== undefined) out.title = m.title;
  out.maxResolution = m.maxResolution;
  if (m.sourceResolution !== undefined) out.sourceResolution = m.sourceResolution;
  out.status = m.status;
  // absent while `none` (the recorded get-media answers carry it only once set)
  if (view !== 'live-clip' && m.mp4Support !== 'none') out.mp4Support = m.mp4Support;
  out.sourceAccess = false;
  out.playbackIds = m.playbackIds.map(toMediaPlaybackIdWire);
  out.tracks = m.tracks.map((t) => trackWire(t, view));
  if (view === 'live-clip' && m.mp4Support !== 'none') out.mp4Support = m.mp4Support;
  out.generatedSubtitles = [];
  out.isAudioOnly = isAudioOnly(m);
  out.subtitleAvailable = false;
  out.duration = formatDuration(m.durationS);
  const ar = aspectRatioOf(m.tracks);
  if (ar !== undefined) out.aspectRatio = ar;
  out.createdAt = m.createdAt;
  out.updatedAt = m.updatedAt;
  return out;
}

/** An item of GET /on-demand/{mediaId}/media-clips (MediaClipResponse): id, duration, status, thumbnail, createdAt, playbackIds. */
export function toMediaClipItemWire(m: MediaData, ctx: MediaWireContext): Record<string, unknown> {
  const out: Record<string, unknown> = { id: m.mediaId, duration: formatDuration(m.durationS), status: m.status };
  const thumb = thumbnailUrl(m, ctx);
  if (thumb !== undefined) out.thumbnail = thumb;
  out.createdAt = m.createdAt;
  out.playbackIds = m.playbackIds.map((p) => ({ id: p.id, accessPolicy: p.accessPolicy }));
  return out;
}
