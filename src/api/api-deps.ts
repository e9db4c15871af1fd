/** What the route modules need: the store, the stream operations, and the media plane's LiveControl. */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.js';
import type { LiveControl } from '../core/contracts.js';
import type { StreamsService } from '../core/streams-service.js';
import type { Store } from '../store/store.js';

export interface ApiDeps {
  store: Store;
  streams: StreamsService;
  /** read at call time, so the lead can swap in the real media plane after startup */
  liveControl: () => LiveControl;
  config: ServerConfig;
}

/** Tell the media plane about a committed change; its failure must not undo or fail the API answer. */
export async function notifyMedia(log: FastifyBaseLogger, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error({ err }, `media plane ${what} failed`);
  }
}
