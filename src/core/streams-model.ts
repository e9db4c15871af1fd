/** The live-stream domain record shared by the store, the API and the webhooks (wire shapes in streams-serialize.ts). */
import type { AccessPolicy, AccessRestrictions, SimulcastTarget, StreamStatus } from './contracts.js';

export type MaxResolution = '1080p' | '720p' | '480p';

export interface PlaybackIdData {
  id: string;
  accessPolicy: AccessPolicy;
  /** undefined until restrictions are given (at create or by PATCH .../domains or .../user-agents) */
  accessRestrictions?: AccessRestrictions;
}

/** A simulcast target: the media plane's view (contracts.ts) is the whole record. */
export type SimulcastData = SimulcastTarget;

export interface StreamData {
  streamId: string;
  streamKey: string;
  srtSecret: string;
  srtPlaybackStreamId: string;
  srtPlaybackSecret: string;
  trial: boolean;
  status: StreamStatus;
  maxResolution: MaxResolution;
  maxDuration: number;
  createdAt: string;
  reconnectWindow: number;
  enableRecording: boolean;
  enableDvrMode: boolean;
  mediaPolicy: AccessPolicy;
  metadata: Record<string, string>;
  lowLatency: boolean;
  closedCaptions: boolean;
  playbackIds: PlaybackIdData[];
  mediaIds: string[];
  simulcasts: SimulcastData[];
}

/** What a create request sets (defaults already applied). */
export interface NewStreamSettings {
  accessPolicy: AccessPolicy;
  /** restrictions of the first playback id (playbackSettings.accessRestrictions) */
  accessRestrictions?: AccessRestrictions;
  maxResolution: MaxResolution;
  reconnectWindow: number;
  mediaPolicy: AccessPolicy;
  metadata: Record<string, string>;
  enableDvrMode: boolean;
  enableRecording: boolean;
  lowLatency: boolean;
  closedCaptions: boolean;
  maxDuration: number;
}
