/** Managing webhook endpoints (shared by --webhook-url, the /v1/onair/webhooks API and the CLI). */
import { newUuid, newWebhookSecret } from '../core/streams-ids.js';
import type { Store } from '../store/store.js';
import { insertEndpoint, listEndpoints, type WebhookEndpoint } from '../store/webhook-repo.js';

export async function addEndpoint(store: Store, url: string, opts: { secret?: string; source: string }): Promise<WebhookEndpoint> {
  const e: WebhookEndpoint = { id: newUuid(), url, secret: opts.secret ?? newWebhookSecret(), enabled: true, source: opts.source, createdAt: new Date().toISOString() };
  await insertEndpoint(store.db, e);
  return e;
}

/** Is this a usable http(s) URL? */
export function isWebhookUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Make the flag-configured endpoints (--webhook-url) exist with the configured secret. Endpoints added by an
 * earlier start with the same URL are kept (their queued events survive restarts). Returns the endpoints and
 * whether the secret was generated (the caller prints it once).
 */
export async function syncFlagEndpoints(store: Store, urls: string[], secret: string | undefined): Promise<{ endpoints: WebhookEndpoint[]; generatedSecret?: string }> {
  if (urls.length === 0) return { endpoints: [] };
  const existing = (await listEndpoints(store.db)).filter((e) => e.source === 'flag');
  let useSecret = secret;
  let generatedSecret: string | undefined;
  if (useSecret === undefined) {
    // Keep the secret generated on an earlier start, so receivers need not be reconfigured.
    useSecret = existing[0]?.secret;
    if (useSecret === undefined) generatedSecret = useSecret = newWebhookSecret();
  }
  const out: WebhookEndpoint[] = [];
  for (const url of urls) {
    if (!isWebhookUrl(url)) throw new Error(`invalid --webhook-url: ${url}`);
    const found = existing.find((e) => e.url === url);
    if (found) {
      if (found.secret !== useSecret || !found.enabled) {
        await store.db.updateTable('webhook_endpoints').set({ secret: useSecret, enabled: 1 }).where('id', '=', found.id).execute();
      }
      out.push({ ...found, secret: useSecret, enabled: true });
    } else {
      out.push(await addEndpoint(store, url, { secret: useSecret, source: 'flag' }));
    }
  }
  return generatedSecret === undefined ? { endpoints: out } : { endpoints: out, generatedSecret };
}
