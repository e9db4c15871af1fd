/**
 * The segment store: where media bytes live (CMAF init segments and segments of recordings, DVR history and
 * clips, MP4 downloads, cached images). One async interface, two backends: local disk under `<data>/media`
 * (`local-segment-store.ts`, the default) and, with the scale-out issue, S3-compatible object storage.
 *
 * The interface is shaped like an object store so both behave alike:
 * - keys are strings of `/`-separated parts, each `[A-Za-z0-9_][A-Za-z0-9._-]*` (no empty parts, no `.`/`..`,
 *   nothing starting with a dot), at most 1024 characters: valid S3 keys and safe relative paths;
 * - objects are written whole (`put` replaces the object atomically; there is no append): a reader sees the
 *   old object, the new one, or none, never half of one;
 * - `list`/`deletePrefix` take a plain string prefix (S3 semantics), not a directory.
 *
 * Key layout (see `segmentKeys`): everything of a media lives under `media/<mediaId>/`, so deleting a media is
 * one `deletePrefix(segmentKeys.mediaPrefix(mediaId))`.
 */

/** An object store for media bytes. Every method is async and safe to call concurrently. */
export interface SegmentStore {
  /**
   * Write the object under `key`, replacing any previous one atomically. `data` may be a list of buffers (a
   * segment is the list of its parts' buffers): they are written in order without being concatenated first.
   * Throws `SegmentStoreFullError` when the storage is full (ENOSPC / quota); nothing is left under `key` then.
   */
  put(key: string, data: Buffer | readonly Buffer[]): Promise<void>;
  /** The whole object, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Bytes `start..endInclusive` of the object (HTTP Range semantics: `endInclusive` past the end is clamped to
   * the last byte). Undefined when there is no object; `SegmentStoreRangeError` when `start` is past the end or
   * `endInclusive < start`.
   */
  getRange(key: string, start: number, endInclusive: number): Promise<Buffer | undefined>;
  /** The object's size in bytes, or undefined when there is none. */
  head(key: string): Promise<number | undefined>;
  /** Keys that start with `prefix` (plain string prefix; `''` = all), sorted by code unit. */
  list(prefix: string): Promise<string[]>;
  /** Remove the object; no error when there is none. */
  delete(key: string): Promise<void>;
  /** Remove every object whose key starts with `prefix` (must not be empty); returns how many went. */
  deletePrefix(prefix: string): Promise<number>;
}

/** The storage is full (ENOSPC, EDQUOT): the recorder marks its media Failed and the live stream plays on. */
export class SegmentStoreFullError extends Error {
  override readonly name = 'SegmentStoreFullError';
  constructor(readonly key: string, override readonly cause: unknown) {
    super(`segment store is full: cannot write ${key} (${(cause as { code?: string } | undefined)?.code ?? 'ENOSPC'})`);
  }
}

/** A key or prefix that is not of the allowed form (would escape the store, or is not a valid object key). */
export class SegmentStoreKeyError extends Error {
  override readonly name = 'SegmentStoreKeyError';
  constructor(readonly key: string, reason: string) {
    super(`invalid segment store key ${JSON.stringify(key.slice(0, 200))}: ${reason}`);
  }
}

/** A byte range that the object does not have (HTTP 416). */
export class SegmentStoreRangeError extends Error {
  override readonly name = 'SegmentStoreRangeError';
  constructor(readonly key: string, readonly size: number, readonly start: number, readonly endInclusive: number) {
    super(`range ${start}-${endInclusive} is not satisfiable for ${key} (${size} bytes)`);
  }
}

export const MAX_KEY_LENGTH = 1024;
const PART = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Throws SegmentStoreKeyError unless `key` is a valid object key. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new SegmentStoreKeyError(String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new SegmentStoreKeyError(key, `longer than ${MAX_KEY_LENGTH} characters`);
  for (const part of key.split('/')) {
    if (!PART.test(part)) throw new SegmentStoreKeyError(key, `part ${JSON.stringify(part)} is not [A-Za-z0-9_][A-Za-z0-9._-]*`);
  }
}

/**
 * Throws unless `prefix` is a valid prefix: `''`, or the start of a valid key (complete parts separated by `/`,
 * optionally ending with `/`, the last part possibly incomplete).
 */
export function assertValidPrefix(prefix: string, allowEmpty: boolean): void {
  if (prefix === '') {
    if (allowEmpty) return;
    throw new SegmentStoreKeyError(prefix, 'empty prefix');
  }
  if (prefix.length > MAX_KEY_LENGTH) throw new SegmentStoreKeyError(prefix, `longer than ${MAX_KEY_LENGTH} characters`);
  const parts = prefix.split('/');
  const last = parts.pop()!;
  for (const part of parts) {
    if (!PART.test(part)) throw new SegmentStoreKeyError(prefix, `part ${JSON.stringify(part)} is not [A-Za-z0-9_][A-Za-z0-9._-]*`);
  }
  if (last !== '' && !PART.test(last)) throw new SegmentStoreKeyError(prefix, `part ${JSON.stringify(last)} is not [A-Za-z0-9_][A-Za-z0-9._-]*`);
}

/** Media ids and rendition names as they appear in keys (uuids and `r0`, `720p`... pass unchanged). */
function part(what: string, v: string): string {
  if (!PART.test(v)) throw new SegmentStoreKeyError(v, `${what} is not usable in a key`);
  return v;
}

/**
 * The key layout every writer and reader uses:
 *
 *   media/<mediaId>/<rendition>/init-<n>.mp4     CMAF init segment n of a rendition (n changes when the codec
 *                                                config changes, e.g. after a reconnect)
 *   media/<mediaId>/<rendition>/seg-<seq>.m4s    recorded segment (seq: 0-based position in the recording)
 *   media/<mediaId>/download/<name>              MP4/M4A downloads made by remuxing (capped-4k.mp4, audio.m4a)
 *   media/<mediaId>/images/<name>                cached thumbnails and storyboards
 */
export const segmentKeys = {
  mediaPrefix: (mediaId: string): string => `media/${part('media id', mediaId)}/`,
  renditionPrefix: (mediaId: string, rendition: string): string => `media/${part('media id', mediaId)}/${part('rendition', rendition)}/`,
  init: (mediaId: string, rendition: string, n: number): string => `media/${part('media id', mediaId)}/${part('rendition', rendition)}/init-${n}.mp4`,
  segment: (mediaId: string, rendition: string, seq: number): string => `media/${part('media id', mediaId)}/${part('rendition', rendition)}/seg-${seq}.m4s`,
  download: (mediaId: string, name: string): string => `media/${part('media id', mediaId)}/download/${part('file name', name)}`,
  image: (mediaId: string, name: string): string => `media/${part('media id', mediaId)}/images/${part('file name', name)}`,
};
