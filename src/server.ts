/**
 * Starts the control plane: opens the store (migrations), ensures the admin token and flag webhook endpoints,
 * starts the webhook worker, builds the REST API, lets the media plane plug in through `hooks.media`, and only then
 * opens the API port (so no request is served before the real LiveControl is in place).
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { NoopLiveControl } from './api/noop-live-control.js';
import { buildApi } from './api/api-app.js';
import type { ServerConfig } from './config.js';
import type { LiveControl } from './core/contracts.js';
import { StreamsService } from './core/streams-service.js';
import { Store } from './store/store.js';
import { LocalSegmentStore } from './store/local-segment-store.js';
import { openSegmentStore } from './store/open-segment-store.js';
import type { SegmentStore } from './store/segment-store.js';
import { countTokens, createToken, upsertToken } from './store/token-repo.js';
import { DeliveryWorker } from './webhooks/delivery-worker.js';
import { syncFlagEndpoints } from './webhooks/webhook-endpoints.js';

/** What the media plane returns: its own shutdown, and optionally the LiveControl the API should call. */
export interface MediaPlane {
  liveControl?: LiveControl;
  close(): Promise<void>;
}

/** What the media plane gets to start with. */
export interface MediaContext {
  config: ServerConfig;
  store: Store;
  /** media bytes (recordings, DVR, clips, images): local disk under <data>/media; the API deletes through it too */
  segments: SegmentStore;
  logger: Logger;
  setLiveControl(lc: LiveControl): void;
}

export interface ServerHooks {
  media?: (ctx: MediaContext) => Promise<MediaPlane>;
  /** use this logger instead of a new pino logger on stdout */
  logger?: Logger;
  /**
   * false: skip the one-time start of the store (bootstrapStore): a worker of `serve --workers N`, whose primary
   * did it once for all workers before forking them.
   */
  bootstrap?: boolean;
}

/** What the one-time start of the store created (printed once by `onair serve`). */
export interface Bootstrapped {
  createdAdminToken?: { id: string; secret: string };
  generatedWebhookSecret?: string;
}

/**
 * The one-time start of the store, before any listener: the admin token (from the environment, or created on the
 * first start), the --webhook-url endpoints, and the sessions an earlier run of these node names left (a node that
 * starts under a name forgets what its earlier run held under it: they are reset to idle with the other live
 * streams no node holds). On Postgres the streams other live nodes hold keep their `live_sessions` rows: leases
 * decide what becomes of them, not this start.
 */
export async function bootstrapStore(store: Store, config: ServerConfig, nodeNames: readonly string[] = [config.nodeName]): Promise<Bootstrapped> {
  const out: Bootstrapped = {};
  if (config.adminTokenId !== undefined && config.adminTokenSecret !== undefined) {
    // "ONAIR_TOKEN_ID + ONAIR_TOKEN_SECRET in the environment instead define that admin token"
    await upsertToken(store.db, config.adminTokenId, config.adminTokenSecret, 'write', 'admin (environment)');
  } else if ((await countTokens(store.db)) === 0) {
    // "On first start with no token it creates an admin access token and prints its id and secret once"
    const t = await createToken(store.db, 'write', { name: 'admin' });
    out.createdAdminToken = { id: t.id, secret: t.secret };
  }
  const flag = await syncFlagEndpoints(store, config.webhookUrls, config.webhookSecret);
  if (flag.generatedSecret !== undefined) out.generatedWebhookSecret = flag.generatedSecret;
  if (store.engine === 'postgres') for (const name of nodeNames) await store.forgetNodeSessions(name);
  await store.resetLiveStatuses();
  return out;
}

export interface ServerHandle {
  config: ServerConfig;
  store: Store;
  api: FastifyInstance;
  logger: Logger;
  /** the API port actually bound (differs from config.apiPort when that is 0) */
  apiPort: number;
  /** set when this start created the admin token (print it once) */
  createdAdminToken?: { id: string; secret: string };
  /** set when --webhook-url endpoints got a freshly generated secret (print it once) */
  generatedWebhookSecret?: string;
  setLiveControl(lc: LiveControl): void;
  liveControl(): LiveControl;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, hooks: ServerHooks = {}): Promise<ServerHandle> {
  const logger = hooks.logger ?? pino({ level: config.logLevel });
  const store = await Store.open(config.database);
  let liveControl: LiveControl = new NoopLiveControl();
  let ready = false;
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    ready = false;
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        logger.error({ err }, 'error during shutdown');
      }
    }
  };

  try {
    const boot: Bootstrapped = hooks.bootstrap === false ? {} : await bootstrapStore(store, config);

    const worker = new DeliveryWorker(store, {
      retryBaseMs: config.webhookRetryBaseMs, retryCapMs: config.webhookRetryCapMs, pollMs: config.webhookPollMs,
      logger: logger.child({ module: 'webhooks' }),
    });
    worker.start();
    closers.push(() => worker.stop());

    // Build the API, start the media plane, and only then listen: a request can never reach the no-op LiveControl
    // (an API change made before the media plane is attached would be lost on it). /healthz turns 200 last.
    const streams = new StreamsService(store);
    const opened = config.storage ? openSegmentStore(config.storage, logger) : undefined;
    const segments: SegmentStore = opened?.store ?? new LocalSegmentStore(join(config.dataDir, 'media'));
    if (opened) {
      closers.push(async () => opened.close()); // runs after the media plane's closer: ends puts still retrying
      await opened.check();
    }
    const api = await buildApi({ store, streams, liveControl: () => liveControl, config, segments }, { logger, isReady: () => ready });

    const setLiveControl = (lc: LiveControl) => { liveControl = lc; };
    if (hooks.media) {
      const media = await hooks.media({ config, store, segments, logger, setLiveControl });
      closers.push(() => media.close());
      if (media.liveControl) liveControl = media.liveControl;
    }

    // closed first at shutdown (closers run in reverse): no request reaches a media plane that is going away
    closers.push(() => api.close());
    await api.listen({ host: config.host, port: config.apiPort });
    const apiPort = (api.server.address() as AddressInfo).port;
    ready = true;
    const handle: ServerHandle = {
      config, store, api, logger, apiPort, setLiveControl,
      liveControl: () => liveControl,
      close: closeAll,
    };
    if (boot.createdAdminToken) handle.createdAdminToken = boot.createdAdminToken;
    if (boot.generatedWebhookSecret !== undefined) handle.generatedWebhookSecret = boot.generatedWebhookSecret;
    return handle;
  } catch (err) {
    await closeAll();
    throw err;
  }
}
