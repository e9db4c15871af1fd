/** Identifiers and secrets of live streams, all from the CSPRNG (node:crypto), plus the microsecond clock. */
import { randomBytes, randomUUID } from 'node:crypto';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** streamId: 32 lower-case hex chars, no dashes (CONTRACT.md section 6). */
export function newStreamId(): string {
  return hex(16);
}

/**
 * Stream key / SRT secret: "observed form `<32 hex>k<streamId>`" (CONTRACT.md section 6), 65 chars,
 * inside SRT's passphrase range of 10..79 characters. 128 random bits per secret.
 */
export function newStreamSecret(streamId: string): string {
  return `${hex(16)}k${streamId}`;
}

/** srtPlaybackStreamId: "id observed as `play<streamId>`" (CONTRACT.md section 6). */
export function srtPlaybackIdFor(streamId: string): string {
  return `play${streamId}`;
}

/** Playback ids, signing key ids, event ids: UUIDs with dashes. */
export function newUuid(): string {
  return randomUUID();
}

/** Simulcast ids: 32 hex like stream ids (observed `8717422d89288ad5958d4a86e9afe2a2`). */
export function newSimulcastId(): string {
  return hex(16);
}

/** Access token ids (uuid) and secrets (48 random bytes, base64url). */
export function newTokenSecret(): string {
  return randomBytes(48).toString('base64url');
}

/** Webhook signing secrets are base64 (CONTRACT.md section 9: receivers base64-decode them into the HMAC key). */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('base64');
}

let lastMicros = 0;

/**
 * Now as ISO-8601 with microseconds, `2026-05-20T12:50:15.267000Z` (CONTRACT.md section 1). Strictly
 * increasing within the process, so createdAt orders rows created in the same millisecond.
 */
export function nowMicroIso(): string {
  let micros = Date.now() * 1000;
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  return microsToIso(micros);
}

export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const base = new Date(ms).toISOString(); // 2026-05-20T12:50:15.267Z
  const extra = String(micros % 1000).padStart(3, '0');
  return `${base.slice(0, -1)}${extra}Z`;
}
