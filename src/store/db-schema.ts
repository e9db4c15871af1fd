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
}
