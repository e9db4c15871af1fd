/**
 * On-demand media (recordings of live sessions and clips cut from them): the domain record shared by the store,
 * the API, the webhooks and the recorder. Wire shapes are in media-serialize.ts.
 */
import type { PlaybackIdData } from './streams-model.js';

/** The subset of FastPix's media status enum onair uses: Created -> Processing (recording, live) -> Ready | Failed. */
export type MediaStatus = 'Created' | 'Processing' | 'Ready' | 'Failed';
export const MEDIA_STATUSES: readonly MediaStatus[] = ['Created', 'Processing', 'Ready', 'Failed'];

/** `recording`: one live session (reconnects inside the window included); `clip`: a range of a stream or media. */
export type MediaKind = 'recording' | 'clip';

export type Mp4Support = 'none' | 'capped_4k' | 'audioOnly' | 'audioOnly,capped_4k';
export const MP4_SUPPORT: readonly Mp4Support[] = ['none', 'capped_4k', 'audioOnly', 'audioOnly,capped_4k'];

export type MediaMaxResolution = '2160p' | '1440p' | '1080p' | '720p' | '480p';

/** FastPix `VideoTrack` / `AudioTrack` (subtitle tracks do not occur in recordings). */
export type MediaTrack =
  | { id: string; type: 'video'; width: number; height: number; /** FastPix's answers: `60.000` (the yaml example: `30/1`); `-1` when unknown */ frameRate: string; status: 'available' }
  | { id: string; type: 'audio'; status: 'available'; languageName?: string; languageCode?: string };

/**
 * What the recorder needs to write a media's multivariant playlist, per rendition (onair's own; not on the wire).
 * `name` is the rendition part of the segment store keys.
 */
export interface MediaRendition {
  name: string;
  /** RFC 6381 CODECS value, e.g. `avc1.64001f,mp4a.40.2` */
  codecs: string;
  /** peak bits per second */
  bandwidth: number;
  averageBandwidth?: number;
  width?: number;
  height?: number;
  frameRate?: number;
}

export interface MediaData {
  mediaId: string;
  /** the live stream it was recorded from or clipped from; undefined once that stream is deleted */
  streamId?: string;
  kind: MediaKind;
  status: MediaStatus;
  title?: string;
  creatorId?: string;
  metadata: Record<string, string>;
  mp4Support: Mp4Support;
  maxResolution: MediaMaxResolution;
  /** `1080` etc. (FastPix's answers: no `p`), known once the first video config arrived */
  sourceResolution?: string;
  /** seconds (sum of the recorded segments; for a clip, of the clip's segments) */
  durationS: number;
  tracks: MediaTrack[];
  renditions: MediaRendition[];
  /** why the media is Failed (logs, metrics and the `video.media.failed` webhook; not in the REST object) */
  failureReason?: string;
  /** clips: the recording media the clip was cut from */
  sourceMediaId?: string;
  /** clips: the asked range, seconds from the start of the source (before snapping to segments) */
  clipStartS?: number;
  clipEndS?: number;
  createdAt: string;
  updatedAt: string;
  playbackIds: PlaybackIdData[];
}

/** One finished segment of a recording, as the recorder writes it to the manifest (media_segments). */
export interface MediaSegmentRow {
  mediaId: string;
  /** the rendition part of the store keys (e.g. `r0`, `720p`) */
  rendition: string;
  /** 0-based position of the segment in this rendition of the recording, without gaps */
  seq: number;
  /** the live media sequence number it had (playlists of DVR / clips of a live stream refer to it) */
  msn: number;
  durationS: number;
  /** segment store key of the segment's bytes */
  key: string;
  /** bytes */
  size: number;
  /** first segment after a reconnect (EXT-X-DISCONTINUITY before it in the VOD playlist) */
  discontinuity: boolean;
  /** ISO-8601 wall clock of the segment's first frame (EXT-X-PROGRAM-DATE-TIME) */
  programDateTime?: string;
  /** segment store key of the init segment this segment needs */
  initKey: string;
}

/** What the recorder knows when a session ends (or when a crashed session is completed at start). */
export interface MediaCompletion {
  durationS: number;
  sourceResolution?: string;
  tracks?: MediaTrack[];
  renditions?: MediaRendition[];
}

/** A clip to create (instant clip of a live stream / a recording). */
export interface NewClip {
  /** the live stream the clip is cut from */
  streamId: string;
  /** the recording media it is cut from (when the range lies in a recording) */
  sourceMediaId?: string;
  startS: number;
  endS: number;
  title?: string;
}

/** `duration` on the wire: "HH:MM:SS", rounded to the nearest second (FastPix example `00:00:10`). */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(h)}:${two(m)}:${two(s)}`;
}

/** `sourceResolution` from a height as FastPix's recorded answers spell it: `1080` (no `p`; the enum allows both). */
export function resolutionName(height: number): string {
  return String(Math.round(height));
}
