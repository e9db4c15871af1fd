/**
 * The wire types of the onair /v1 API (the FastPix live-streaming contract plus onair's /v1/onair extensions), as
 * plain TypeScript. test/client/ checks them against the TypeBox schemas that produce /v1/openapi.json (compile
 * time) and validates real answers against that document (run time), so they cannot drift silently.
 * No runtime imports: the client runs in Node and in browsers.
 */

export type AccessPolicy = 'public' | 'private';
export type MaxResolution = '1080p' | '720p' | '480p';
export type StreamStatus = 'idle' | 'preparing' | 'active' | 'disabled';
export type Metadata = Record<string, string>;

export interface RestrictionRule {
  defaultPolicy: 'allow' | 'deny';
  allow: string[];
  deny: string[];
}
export interface AccessRestrictions {
  domains: RestrictionRule;
  userAgents: RestrictionRule;
}
export interface RestrictionRuleInput {
  defaultPolicy?: 'allow' | 'deny';
  allow?: string[];
  deny?: string[];
}
export interface AccessRestrictionsInput {
  domains?: RestrictionRuleInput;
  userAgents?: RestrictionRuleInput;
}

export interface PlaybackId {
  id: string;
  accessPolicy: AccessPolicy;
  accessRestrictions?: AccessRestrictions;
}

export interface Simulcast {
  simulcastId: string;
  url: string;
  streamKey: string;
  isEnabled: boolean;
  metadata?: Metadata;
}

export interface LiveStream {
  streamId: string;
  streamKey: string;
  srtSecret: string;
  trial: boolean;
  status: StreamStatus;
  maxResolution: MaxResolution;
  maxDuration: number;
  createdAt: string;
  reconnectWindow: number;
  enableRecording: boolean;
  enableDvrMode: boolean;
  mediaPolicy: AccessPolicy;
  metadata?: Metadata;
  lowLatency: boolean;
  closedCaptions: boolean;
  playbackIds: PlaybackId[];
  simulcastResponses?: Simulcast[];
  mediaIds?: string[];
  srtPlaybackResponse: { srtPlaybackStreamId: string; srtPlaybackSecret: string };
}

export interface CreateLiveStreamRequest {
  playbackSettings: { accessPolicy?: AccessPolicy; accessRestrictions?: AccessRestrictionsInput };
  inputMediaSettings: {
    maxResolution?: MaxResolution;
    reconnectWindow?: number;
    mediaPolicy?: AccessPolicy;
    metadata?: Metadata;
    enableDvrMode?: boolean;
    enableRecording?: boolean;
    lowLatency?: boolean;
    closedCaptions?: boolean;
    maxDuration?: number;
  };
}

export interface PatchLiveStreamRequest {
  metadata?: Metadata;
  reconnectWindow?: number;
}

export interface PlaybackIdRequest {
  accessPolicy?: AccessPolicy;
  accessRestrictions?: AccessRestrictionsInput;
}

export interface SimulcastRequest {
  url: string;
  streamKey: string;
  metadata?: Metadata;
}

export interface SimulcastUpdateRequest {
  isEnabled?: boolean;
  metadata?: Metadata;
}

export interface Pagination {
  totalRecords: number;
  currentOffset: number;
  offsetCount: number;
}

export interface ListQuery {
  /** items per page, 1..50 (default 10) */
  limit?: number;
  /** 1-based page number (default 1) */
  offset?: number;
}
export interface StreamListQuery extends ListQuery {
  orderBy?: 'asc' | 'desc';
}

export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

export interface SigningKeyCreated {
  id: string;
  /** base64 of a PKCS#8 PEM; returned once */
  privateKey: string;
  createdAt: string;
}
export interface SigningKeyItem {
  id: string;
  createdAt: string;
}
export interface SigningKeyPublic {
  workspaceId: string;
  signingKeyId: string;
  publicKey: string;
}

export interface ViewerCount {
  views: number;
}

/** onair extension: webhook endpoints (/v1/onair/webhooks). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  isEnabled: boolean;
  createdAt: string;
  /** on create only */
  secret?: string;
}
export interface WebhookCreateRequest {
  url: string;
  secret?: string;
}
export interface WebhookUpdateRequest {
  url?: string;
  isEnabled?: boolean;
}

/** A clip cut from a live stream (`Live-Media-Clips`); kept loose: onair lists none until recording exists. */
export interface LiveMediaClip {
  id: string;
  workspaceId: string;
  streamId: string;
  status: string;
  duration: string;
  createdAt: string;
  updatedAt: string;
  playbackIds: { id: string | null; accessPolicy: 'public' | 'private' | 'drm' }[];
  [field: string]: unknown;
}

/** An on-demand media (a recording of a live session), as `/v1/on-demand` answers it; loosely typed here. */
export interface Media {
  id: string;
  status: string;
  createdAt: string;
  playbackIds?: PlaybackId[];
  [field: string]: unknown;
}
export interface MediaUpdateRequest {
  metadata?: Metadata;
  title?: string;
  creatorId?: string;
  [field: string]: unknown;
}

/** FastPix's error envelope. */
export interface ErrorBody {
  success: false;
  error: { code: number; message: string; description?: string; fields?: { field: string; message: string }[] };
}
