/** What the route modules need: the store, the stream operations, and the media plane's LiveControl. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ServerConfig } from '../config.js';
import type { LiveControl } from '../core/contracts.js';
import type { StreamsService } from '../core/streams-service.js';
import type { SegmentStore } from '../store/segment-store.js';
import type { Store } from '../store/store.js';

export interface ApiDeps {
  store: Store;
  streams: StreamsService;
  /** read at call time, so the lead can swap in the real media plane after startup */
  liveControl: () => LiveControl;
  config: ServerConfig;
  /** media bytes; DELETE /v1/on-demand/{mediaId} removes a media's objects. Default: local disk under <data>/media */
  segments?: SegmentStore;
}

/**
 * The app the route modules register on: Fastify typed by the TypeBox provider, so `req.body`, `req.params`,
 * `req.query` and the handler's answer (per status code) are the `Static` types of the route's schemas.
 */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** Tell the media plane about a committed change; its failure must not undo or fail the API answer. */
export async function notifyMedia(log: FastifyBaseLogger, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error({ err }, `media plane ${what} failed`);
  }
}
