import type { FrameSink, MediaFrame, TrackConfig } from '../media/frame.js';
import type { MediaKind, MediaStatus, Mp4Support } from './media-model.js';
/**
 * The seams between the control plane (store, api, webhooks) and the media plane (ingest, media,
 * playback). Types only: both sides code against these.
 */

export type StreamStatus = 'idle' | 'preparing' | 'active' | 'disabled';
export type AccessPolicy = 'public' | 'private';

/** FastPix `PolicyAction`: what happens to a request that no list names. */
export type PolicyAction = 'allow' | 'deny';

/** One restriction of a playback id: a default policy plus explicit allow and deny lists. */
export interface RestrictionRule {
  defaultPolicy: PolicyAction;
  allow: string[];
  deny: string[];
}

/**
 * Playback id `accessRestrictions` (FastPix node SDK: create playback id, PATCH .../domains and .../user-agents).
 * `domains` entries are host names or `*.example.com` wildcards; `userAgents` entries are substrings.
 */
export interface AccessRestrictions {
  domains: RestrictionRule;
  userAgents: RestrictionRule;
}

/** A playback id as the playback listener loads it. */
export interface PlaybackIdRoute {
  playbackId: string;
  streamId: string;
  accessPolicy: AccessPolicy;
  /** undefined when none were ever set (nothing to check) */
  accessRestrictions?: AccessRestrictions;
}

/**
 * A playback id of an on-demand media (recording or clip) as the playback listener loads it
 * (`MediaStore.listMediaPlaybackIds`). Media playback ids and live playback ids are distinct uuids.
 */
export interface MediaPlaybackIdRoute {
  playbackId: string;
  mediaId: string;
  /** the live stream the media was recorded or clipped from */
  streamId?: string;
  accessPolicy: AccessPolicy;
  accessRestrictions?: AccessRestrictions;
  /** at load time; Created/Processing media are still being recorded (DVR / live clip rules apply) */
  status: MediaStatus;
  kind: MediaKind;
  /** `capped_4k` enables `/{id}/capped-4k.mp4`, `audioOnly` `/{id}/audio.m4a` */
  mp4Support: Mp4Support;
}

/** The stream record as the media plane needs it (a subset of the API's LiveStream). */
export interface StreamRecord {
  streamId: string;
  streamKey: string;
  srtSecret: string;
  srtPlaybackStreamId: string;
  srtPlaybackSecret: string;
  status: StreamStatus;
  reconnectWindow: number;
  /** seconds; 0 = unbounded */
  maxDuration: number;
  maxResolution: '1080p' | '720p' | '480p';
  enableRecording: boolean;
  /** serve `?dvrMode=true` playlists from the session's first segment */
  enableDvrMode: boolean;
  playbackIds: { id: string; accessPolicy: AccessPolicy }[];
}

/** Lifecycle webhook types emitted by the media plane (see CONTRACT.md section 9). */
export type LifecycleEvent =
  | 'video.live_stream.connected'
  | 'video.live_stream.preparing'
  | 'video.live_stream.active'
  | 'video.live_stream.recording'
  | 'video.live_stream.disconnected'
  | 'video.live_stream.idle';

/** A simulcast target as the media plane needs it (the API's Simulcast plus its stream id). */
export interface SimulcastTarget {
  simulcastId: string;
  streamId: string;
  /** `rtmp(s)://host[:port]/app[/...]` */
  url: string;
  streamKey: string;
  isEnabled: boolean;
  metadata?: Record<string, string>;
}

/** Webhook types of a simulcast target's push (CONTRACT.md section 9; `errored` and `idle` as Mux names them). */
export type SimulcastEvent =
  | 'video.live_stream.simulcast_target.starting'
  | 'video.live_stream.simulcast_target.broadcasting'
  | 'video.live_stream.simulcast_target.errored'
  | 'video.live_stream.simulcast_target.idle';

/**
 * What the media plane asks of the store. Implemented by src/store; every method that changes
 * state writes the change and its webhook outbox row in ONE transaction.
 */
export interface MediaStore {
  findStreamByKey(streamKey: string): Promise<StreamRecord | undefined>;
  findStreamById(streamId: string): Promise<StreamRecord | undefined>;
  findStreamBySrtPlaybackId(srtPlaybackStreamId: string): Promise<StreamRecord | undefined>;
  /** All playback ids with their stream ids (loaded into memory by the playback listener). */
  listPlaybackIds(): Promise<PlaybackIdRoute[]>;
  /** All playback ids of on-demand media (optional until every MediaStore implementation has it; Store does). */
  listMediaPlaybackIds?(): Promise<MediaPlaybackIdRoute[]>;
  /**
   * Set the stream's status (when `status` is given) and enqueue webhook `event` whose `data` is the
   * full LiveStream object after the change, in one transaction. Returns the record after it.
   */
  recordLifecycle(streamId: string, status: StreamStatus | undefined, event: LifecycleEvent): Promise<StreamRecord | undefined>;
  /** Streams left preparing/active by a crash: reset to idle on start (with an idle webhook). */
  resetLiveStatuses(): Promise<void>;
  /** Every stream's SRT credentials (for the SRT listener's in-memory table). */
  listSrtCredentials(): Promise<{ streamId: string; srtSecret: string; srtPlaybackStreamId: string; srtPlaybackSecret: string; status: StreamStatus }[]>;
  /** Public keys of the signing keys, PEM (for private playback JWTs). */
  listSigningPublicKeys(): Promise<{ id: string; publicKey: string }[]>;
  /** The stream's simulcast targets, enabled or not, oldest first. */
  listSimulcastTargets(streamId: string): Promise<SimulcastTarget[]>;
  /**
   * Enqueue simulcast webhook `event` for `target` (data: simulcastId, livestreamId, rtmpUrl, streamKey,
   * metadata, plus `errorMessage` when given). Nothing is queued when the stream no longer exists.
   */
  recordSimulcastEvent(target: SimulcastTarget, event: SimulcastEvent, errorMessage?: string): Promise<void>;
}

/**
 * What the control plane asks of the media plane (implemented by core/live-sessions.ts).
 * The API calls these after committing the change to the store.
 */
export interface LiveControl {
  /** finish: end the session now (stream goes idle). */
  finish(streamId: string): Promise<void>;
  /** disable / delete: cut the encoder, end the session, refuse new publishers. */
  kick(streamId: string, reason: 'disabled' | 'deleted'): Promise<void>;
  /** Distinct viewers over the recent window. */
  viewerCount(streamId: string): number;
  /** This process's viewers of a stream as 32-bit hashes of their keys (a cluster counts the union over nodes). */
  viewerHashes?(streamId: string): Buffer;
  /** The streams this process has viewers of (with viewerHashes). */
  viewedStreams?(): string[];
  /** Playback ids changed (created / deleted): refresh in-memory routing. */
  playbackIdsChanged(): Promise<void>;
  /**
   * A stream was created, enabled, disabled or deleted: refresh in-memory ingest credentials
   * (the SRT listener answers handshakes from memory).
   */
  streamChanged(streamId: string): Promise<void>;
  /** Signing keys were created or deleted: refresh the JWT verifier's keys. */
  signingKeysChanged(): Promise<void>;
  /** A simulcast target of the stream was created, updated or deleted: a live stream starts/stops pushing to it. */
  simulcastChanged(streamId: string): Promise<void>;
  /**
   * A media was deleted (DELETE /v1/on-demand/{mediaId}; its rows are gone, its playback ids too): stop recording
   * into it if it is still being recorded and end its viewers' playback. Called BEFORE the API removes its bytes
   * from the segment store, so a recorder that stops here writes nothing after the delete. (Optional until the
   * media plane implements it.)
   */
  mediaDeleted?(mediaId: string): Promise<void>;
}

/** Ingest <-> core: how an ingest server (RTMP, SRT) asks to publish and hands over frames. */
export type IngestProtocol = 'rtmp' | 'rtmps' | 'srt';

export interface PublishRequest {
  protocol: IngestProtocol;
  /** RTMP: the publish name (stream key). SRT: the stream id from the caller's streamid. */
  key: string;
  /** SRT only: the stream id was given, not the key (the passphrase was checked by ingest). */
  byStreamId?: boolean;
  /** remote address:port, for logs */
  remote: string;
}

export type PublishRefusal = 'unknown-key' | 'disabled' | 'busy' | 'shutting-down';

export type PublishDecision =
  | { ok: true; session: PublishSession }
  | { ok: false; reason: PublishRefusal; message: string };

/**
 * One publisher's connection, as core sees it. Ingest calls onConfig/onFrame for media, and
 * end() exactly once when the connection closes (for any reason). Core calls the `kick` callback
 * given to publish() to make ingest drop the connection (disable, delete, finish, replaced).
 */
export interface PublishSession {
  readonly streamId: string;
  onConfig(config: TrackConfig): void;
  onFrame(frame: MediaFrame): void;
  end(reason: string): void;
}

export interface PublishGateway {
  publish(req: PublishRequest, kick: (reason: string) => void): Promise<PublishDecision>;
}

/** An output's view of a live stream's media (SRT playback, simulcast, recorder, packager). */
export interface LiveSubscriber extends FrameSink {
  /** The publisher's session ended for good (idle); a new session may start later. */
  onEnd?(): void;
  /** The publisher reconnected inside the reconnect window: timestamps continue, decoders may reset. */
  onDiscontinuity?(): void;
}

export interface LiveHub {
  /**
   * Attach an output to a stream's live media. The current track configs are replayed at once,
   * then frames follow (starting at the next keyframe for video). Returns the unsubscribe function.
   */
  subscribe(streamId: string, subscriber: LiveSubscriber): () => void;
  isLive(streamId: string): boolean;
}
