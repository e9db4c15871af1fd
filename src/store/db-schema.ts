/** Kysely table types of the onair database (same columns on SQLite and Postgres; booleans are 0/1 integers, JSON is text). */
import type { Generated } from 'kysely';

export interface SettingsTable {
  key: string;
  value: string;
}

export interface AccessTokensTable {
  id: string;
  /** hex SHA-256 of the secret: secrets are 384-bit random, so a fast hash is enough and keeps auth cheap */
  secret_hash: string;
  permission: 'read' | 'write';
  name: string | null;
  created_at: string;
}

export interface LiveStreamsTable {
  stream_id: string;
  stream_key: string;
  srt_secret: string;
  srt_playback_stream_id: string;
  srt_playback_secret: string;
  status: string;
  trial: number;
  max_resolution: string;
  max_duration: number;
  reconnect_window: number;
  enable_recording: number;
  enable_dvr_mode: number;
  media_policy: string;
  /** JSON object of string values */
  metadata: string;
  low_latency: number;
  closed_captions: number;
  /** JSON array of media ids (recorded VODs) */
  media_ids: string;
  created_at: string;
}

export interface PlaybackIdsTable {
  id: string;
  stream_id: string;
  access_policy: string;
  created_at: string;
  /** JSON AccessRestrictions, or null when none were set */
  access_restrictions: string | null;
}

export interface SimulcastTargetsTable {
  simulcast_id: string;
  stream_id: string;
  url: string;
  stream_key: string;
  is_enabled: number;
  /** JSON object, or null when none was given */
  metadata: string | null;
  created_at: string;
}

export interface SigningKeysTable {
  id: string;
  public_key: string;
  created_at: string;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** base64 signing secret (kept in clear: it keys the HMAC) */
  secret: string;
  enabled: number;
  /** 'flag' (from --webhook-url), 'api' or 'cli' */
  source: string;
  created_at: string;
}

export interface WebhookEventsTable {
  id: string;
  type: string;
  object_id: string;
  /** the exact bytes that are POSTed and signed */
  body: string;
  created_at: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  event_id: string;
  endpoint_id: string;
  /** deliveries with the same (endpoint_id, order_key) go out one at a time, oldest first */
  order_key: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** epoch ms */
  next_attempt_ms: number;
  created_ms: number;
  last_error: string | null;
  delivered_at: string | null;
}

/** On-demand media: recordings of live sessions and clips (core/media-model.ts MediaData). */
export interface MediaTable {
  media_id: string;
  /** the live stream recorded / clipped (kept after that stream is deleted); null for none */
  stream_id: string | null;
  kind: 'recording' | 'clip';
  status: string;
  title: string | null;
  creator_id: string | null;
  /** JSON object of string values */
  metadata: string;
  mp4_support: string;
  max_resolution: string;
  source_resolution: string | null;
  duration_s: number;
  /** JSON MediaTrack[] */
  tracks: string;
  /** JSON MediaRendition[] */
  renditions: string;
  failure_reason: string | null;
  source_media_id: string | null;
  clip_start_s: number | null;
  clip_end_s: number | null;
  /** clips: `<streamId>|<sourceMediaId>|<startS>|<endS>`, unique (the first request for a range makes the clip); null for recordings */
  clip_key: string | null;
  created_at: string;
  updated_at: string;
}

export interface MediaPlaybackIdsTable {
  id: string;
  media_id: string;
  access_policy: string;
  /** JSON AccessRestrictions, or null when none were set */
  access_restrictions: string | null;
  created_at: string;
}

/** The recording manifest: one row per finished segment, written as the recorder stores it (crash-safe). */
export interface MediaSegmentsTable {
  media_id: string;
  rendition: string;
  seq: number;
  msn: number;
  duration_s: number;
  key: string;
  size: number;
  discontinuity: number;
  program_date_time: string | null;
  init_key: string;
}

/** A node of a cluster on one Postgres (src/cluster/): one row per process start, kept alive by its heartbeat. */
/** One node's viewers of one stream (cluster viewer counts): 32-bit hashes of their viewer keys, little-endian. */
export interface ClusterViewersTable {
  node_id: string;
  stream_id: string;
  viewers: Buffer;
  /** epoch ms (database clock) until which the row counts (the node's lease) */
  until_ms: number;
}

export interface ClusterNodesTable {
  node_id: string;
  name: string;
  /** where other nodes reach its playback listener */
  internal_url: string;
  /** epoch ms (database clock) until which the node counts as alive */
  lease_until_ms: number;
  started_ms: number;
}

/** A live session and its owner node (src/cluster/); what a next owner needs to continue it. */
export interface LiveSessionsTable {
  stream_id: string;
  node_id: string;
  node_name: string;
  internal_url: string;
  /** epoch ms (database clock) until which the owner holds the session */
  lease_until_ms: number;
  /** 'preparing' | 'active' | 'disconnected' */
  state: string;
  /** seconds, copied from the stream when the session started */
  reconnect_window: number;
  /** epoch ms (database clock) when the publisher went (state disconnected) */
  disconnected_ms: number | null;
  /** the recording media of the session */
  media_id: string | null;
  /** the media sequence number the next segment takes */
  next_msn: number | null;
  /** the output timeline's newest dts (90 kHz) */
  timeline_dts: number | null;
  /** EXT-X-PROGRAM-DATE-TIME (epoch ms) of the end of the newest media published */
  pdt_end_ms: number | null;
  discontinuities: number;
  /** a session action asked on another node, not yet run by the owner: 'finish' | 'kick:disabled' | 'kick:deleted' */
  pending_command: string | null;
  /** recording manifest rows written so far and their seconds (a continuing recorder appends after them) */
  record_seq: number;
  record_s: number;
  started_at: string;
}

export interface Database {
  settings: SettingsTable;
  access_tokens: AccessTokensTable;
  live_streams: LiveStreamsTable;
  playback_ids: PlaybackIdsTable;
  simulcast_targets: SimulcastTargetsTable;
  signing_keys: SigningKeysTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  media: MediaTable;
  media_playback_ids: MediaPlaybackIdsTable;
  media_segments: MediaSegmentsTable;
  cluster_nodes: ClusterNodesTable;
  cluster_viewers: ClusterViewersTable;
  live_sessions: LiveSessionsTable;
}
