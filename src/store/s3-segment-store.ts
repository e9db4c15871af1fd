/**
 * The segment store on S3-compatible object storage (`--storage s3://BUCKET/PREFIX?endpoint=URL&region=R`), with
 * the official AWS SDK v3 client. Same semantics as the local store (segment-store.ts): whole objects (a put is one
 * PutObject, atomic by S3's nature), Range reads, list/deletePrefix by plain prefix, validated keys. Every key is
 * stored under the URL's PREFIX, so several installations (or a test per run) can share a bucket.
 *
 * Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY first); a custom
 * endpoint (MinIO, Ceph, Garage, s3rver...) is addressed path-style. Uploads are not retried here beyond the
 * SDK's own few attempts: `RetryingSegmentStore` (retrying-segment-store.ts) wraps this store so that a store
 * that is down delays the recording instead of failing it.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Counter, Histogram } from 'prom-client';
import { registry } from '../metrics.js';
import {
  assertValidKey, assertValidPrefix, SegmentStoreFullError, SegmentStoreRangeError, type SegmentStore,
} from './segment-store.js';

/** Where objects go, parsed from `s3://BUCKET/PREFIX?endpoint=URL&region=R`. */
export interface S3Location {
  bucket: string;
  /** '' or a prefix ending with '/', put in front of every key */
  prefix: string;
  /** custom endpoint (http(s)://host:port); absent = AWS */
  endpoint?: string;
  region: string;
  /** path-style addressing (default: on with a custom endpoint) */
  forcePathStyle: boolean;
}

/** The `--storage` URL is not usable. */
export class StorageUrlError extends Error {
  override readonly name = 'StorageUrlError';
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parse `s3://BUCKET[/PREFIX][?endpoint=URL&region=R&pathStyle=true|false]`. The prefix follows the segment
 * store's key rules (parts of `[A-Za-z0-9_][A-Za-z0-9._-]*`).
 */
export function parseS3Url(url: string): S3Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StorageUrlError(`invalid --storage ${JSON.stringify(url)}: not a URL (s3://BUCKET/PREFIX?endpoint=URL&region=R)`);
  }
  if (u.protocol !== 's3:') throw new StorageUrlError(`invalid --storage ${JSON.stringify(url)}: only s3:// URLs name object storage`);
  const bucket = u.hostname;
  if (!BUCKET.test(bucket)) throw new StorageUrlError(`invalid --storage ${JSON.stringify(url)}: bucket ${JSON.stringify(bucket)} is not a valid bucket name`);
  let prefix = decodeURIComponent(u.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
  if (prefix !== '') {
    try {
      assertValidKey(prefix);
    } catch (err) {
      throw new StorageUrlError(`invalid --storage ${JSON.stringify(url)}: prefix: ${(err as Error).message}`);
    }
    prefix += '/';
  }
  const allowed = new Set(['endpoint', 'region', 'pathStyle']);
  for (const k of u.searchParams.keys()) {
    if (!allowed.has(k)) throw new StorageUrlError(`invalid --storage ${JSON.stringify(url)}: unknown parameter ${JSON.stringify(k)} (endpoint, region, pathStyle)`);
  }
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(endpoint)) {
    throw new StorageUrlError(`invalid --storage ${JSON.stringify(url)}: endpoint must be http(s)://host[:port]`);
  }
  const region = u.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1';
  const ps = u.searchParams.get('pathStyle');
  if (ps !== null && ps !== 'true' && ps !== 'false') throw new StorageUrlError(`invalid --storage ${JSON.stringify(url)}: pathStyle must be true or false`);
  const loc: S3Location = { bucket, prefix, region, forcePathStyle: ps === null ? endpoint !== undefined : ps === 'true' };
  if (endpoint !== undefined) loc.endpoint = endpoint.replace(/\/$/, '');
  return loc;
}

export interface S3SegmentStoreOptions {
  /** SDK attempts per request (the SDK's own retries with backoff); default 3 */
  maxAttempts?: number;
  /** per-request timeout in ms (default 30 s) and connect timeout (default 5 s) */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** explicit credentials (default: the SDK's chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles...) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const requests = new Counter({
  name: 'onair_object_store_requests_total',
  help: 'Object storage (S3) requests by operation and outcome (ok, missing, error)',
  labelNames: ['op', 'outcome'] as const,
  registers: [registry],
});
const putSeconds = new Histogram({
  name: 'onair_object_store_put_seconds',
  help: 'Object storage (S3) PutObject duration',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
const uploadedBytes = new Counter({
  name: 'onair_object_store_uploaded_bytes_total',
  help: 'Bytes uploaded to object storage (S3)',
  registers: [registry],
});

/** HTTP status of an SDK error, when the server answered. */
export function s3Status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

const isMissing = (err: unknown): boolean => {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || s3Status(err) === 404;
};

/** Quota and full-disk answers of S3-compatible servers (507 Insufficient Storage, MinIO's XMinioStorageFull...). */
const isFull = (err: unknown): boolean => {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  return s3Status(err) === 507 || /StorageFull|QuotaExceeded|EntityTooLarge|InsufficientStorage/i.test(name);
};

export class S3SegmentStore implements SegmentStore {
  readonly client: S3Client;

  constructor(readonly location: S3Location, opts: S3SegmentStoreOptions = {}) {
    const cfg: S3ClientConfig = {
      region: location.region,
      forcePathStyle: location.forcePathStyle,
      maxAttempts: opts.maxAttempts ?? 3,
      // S3-compatible servers do not all know the newer flexible checksums (aws-chunked bodies with trailers):
      // send and check them only where the API requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: opts.connectTimeoutMs ?? 5_000 },
    };
    if (location.endpoint) cfg.endpoint = location.endpoint;
    if (opts.credentials) cfg.credentials = opts.credentials;
    this.client = new S3Client(cfg);
  }

  static fromUrl(url: string, opts: S3SegmentStoreOptions = {}): S3SegmentStore {
    return new S3SegmentStore(parseS3Url(url), opts);
  }

  /** `s3://bucket/prefix` (for logs; no credentials in it) */
  describe(): string {
    return `s3://${this.location.bucket}/${this.location.prefix}${this.location.endpoint ? ` at ${this.location.endpoint}` : ''}`;
  }

  /** Is the bucket there and reachable with these credentials? Throws the SDK's error otherwise (or after timeoutMs). */
  async check(timeoutMs = 5_000): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }), { abortSignal: AbortSignal.timeout(timeoutMs) });
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.location.prefix + key;
  }

  async put(key: string, data: Buffer | readonly Buffer[]): Promise<void> {
    const Key = this.objectKey(key);
    const buffers = Buffer.isBuffer(data) ? [data] : data;
    let length = 0;
    for (const b of buffers) length += b.length;
    // One buffer goes as it is; a list (a segment's parts) is streamed in order without concatenating it.
    const Body = buffers.length === 1 ? buffers[0]! : Readable.from(buffers, { objectMode: false });
    const started = performance.now();
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.location.bucket, Key, Body, ContentLength: length, ContentType: contentTypeOf(key),
      }));
    } catch (err) {
      requests.inc({ op: 'put', outcome: 'error' });
      if (isFull(err)) throw new SegmentStoreFullError(key, err);
      throw err;
    }
    putSeconds.observe((performance.now() - started) / 1000);
    requests.inc({ op: 'put', outcome: 'ok' });
    uploadedBytes.inc(length);
  }

  async get(key: string): Promise<Buffer | undefined> {
    const Key = this.objectKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key }));
      const bytes = await res.Body!.transformToByteArray();
      requests.inc({ op: 'get', outcome: 'ok' });
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (isMissing(err)) {
        requests.inc({ op: 'get', outcome: 'missing' });
        return undefined;
      }
      requests.inc({ op: 'get', outcome: 'error' });
      throw err;
    }
  }

  async getRange(key: string, start: number, endInclusive: number): Promise<Buffer | undefined> {
    const Key = this.objectKey(key);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0) {
      throw new SegmentStoreRangeError(key, -1, start, endInclusive);
    }
    if (endInclusive < start) {
      const size = await this.head(key);
      if (size === undefined) return undefined;
      throw new SegmentStoreRangeError(key, size, start, endInclusive);
    }
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key, Range: `bytes=${start}-${endInclusive}` }));
      const bytes = await res.Body!.transformToByteArray();
      requests.inc({ op: 'get_range', outcome: 'ok' });
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // A server that ignores Range answers 200 with the whole object, and some answer more than asked (s3rver
      // reads `bytes=0-0` as `bytes=0-`): cut the asked range out of what came (a view, no copy).
      const got = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.ContentRange ?? '');
      const from = got ? Number(got[1]) : 0;
      if ((!got && res.$metadata.httpStatusCode === 206) || from > start) return buf;
      if (start - from >= buf.length) throw new SegmentStoreRangeError(key, from + buf.length, start, endInclusive);
      return buf.subarray(start - from, Math.min(endInclusive - from + 1, buf.length));
    } catch (err) {
      if (err instanceof SegmentStoreRangeError) throw err;
      if (isMissing(err)) {
        requests.inc({ op: 'get_range', outcome: 'missing' });
        return undefined;
      }
      if (s3Status(err) === 416 || (err as { name?: string }).name === 'InvalidRange') {
        requests.inc({ op: 'get_range', outcome: 'ok' });
        const size = await this.head(key);
        if (size === undefined) return undefined;
        throw new SegmentStoreRangeError(key, size, start, endInclusive);
      }
      requests.inc({ op: 'get_range', outcome: 'error' });
      throw err;
    }
  }

  async head(key: string): Promise<number | undefined> {
    const Key = this.objectKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key }));
      requests.inc({ op: 'head', outcome: 'ok' });
      return res.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) {
        requests.inc({ op: 'head', outcome: 'missing' });
        return undefined;
      }
      requests.inc({ op: 'head', outcome: 'error' });
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix, true);
    const out: string[] = [];
    const base = this.location.prefix;
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({
          Bucket: this.location.bucket, Prefix: base + prefix, ContinuationToken: token, MaxKeys: 1000,
        }));
      } catch (err) {
        requests.inc({ op: 'list', outcome: 'error' });
        throw err;
      }
      requests.inc({ op: 'list', outcome: 'ok' });
      for (const o of res.Contents ?? []) {
        if (o.Key !== undefined && o.Key.startsWith(base)) out.push(o.Key.slice(base.length));
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    // S3 lists in UTF-8 byte order; keys are ASCII, but sort by code unit as the interface promises
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key }));
      requests.inc({ op: 'delete', outcome: 'ok' });
    } catch (err) {
      if (isMissing(err)) return;
      requests.inc({ op: 'delete', outcome: 'error' });
      throw err;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix, false);
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let res;
      try {
        res = await this.client.send(new DeleteObjectsCommand({
          Bucket: this.location.bucket,
          Delete: { Objects: batch.map((k) => ({ Key: this.location.prefix + k })), Quiet: true },
        }));
      } catch (err) {
        requests.inc({ op: 'delete_many', outcome: 'error' });
        throw err;
      }
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        requests.inc({ op: 'delete_many', outcome: 'error' });
        throw new Error(`could not delete ${failed.length} objects under ${prefix}: ${failed[0]!.Code ?? ''} ${failed[0]!.Message ?? ''}`.trim());
      }
      requests.inc({ op: 'delete_many', outcome: 'ok' });
    }
    return keys.length;
  }

  close(): void {
    this.client.destroy();
  }
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.m4s')) return 'video/iso.segment';
  if (key.endsWith('.mp4')) return 'video/mp4';
  if (key.endsWith('.m4a')) return 'audio/mp4';
  if (key.endsWith('.jpg')) return 'image/jpeg';
  if (key.endsWith('.png')) return 'image/png';
  if (key.endsWith('.webp')) return 'image/webp';
  if (key.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}
