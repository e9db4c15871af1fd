/**
 * The segment store of a `--storage` setting: `s3://BUCKET/PREFIX?endpoint=URL&region=R` is object storage (the
 * S3 store wrapped so that its uploads are retried through an outage), anything else a directory on local disk.
 * Without `--storage` the server uses `<data>/media` (server.ts).
 */
import type { Logger } from 'pino';
import { LocalSegmentStore } from './local-segment-store.js';
import { isTransientStoreError, RetryingSegmentStore } from './retrying-segment-store.js';
import { S3SegmentStore } from './s3-segment-store.js';
import type { SegmentStore } from './segment-store.js';

export interface OpenedSegmentStore {
  store: SegmentStore;
  /** Probe the store once at start: a wrong bucket or credentials fail the start; a store that is down only warns. */
  check(): Promise<void>;
  /** Stop retrying and release connections. */
  close(): void;
}

export function openSegmentStore(storage: string, logger: Logger): OpenedSegmentStore {
  const log = logger.child({ module: 'segment-store' });
  if (!storage.startsWith('s3:')) {
    return { store: new LocalSegmentStore(storage), check: async () => undefined, close: () => undefined };
  }
  const s3 = S3SegmentStore.fromUrl(storage);
  const store = new RetryingSegmentStore(s3, { logger: log });
  return {
    store,
    async check() {
      try {
        await s3.check();
        log.info({ storage: s3.describe() }, 'object storage reachable');
      } catch (err) {
        if (!isTransientStoreError(err)) {
          const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
          throw new Error(`--storage ${s3.describe()}: the bucket is not usable (${e.$metadata?.httpStatusCode ?? ''} ${e.name ?? ''}: ${e.message ?? ''}); check the bucket name and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`);
        }
        log.warn({ err, storage: s3.describe() }, 'object storage unreachable at start; recordings wait for it, live streams do not');
      }
    },
    close() {
      store.close();
      s3.close();
    },
  };
}
