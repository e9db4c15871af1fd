/** `onair webhooks add|list|remove`: manage webhook endpoints directly in the store. */
import { Command } from 'commander';
import { addStoreOptions } from '../config.js';
import { withStore } from './cli-store.js';
import { deleteEndpoint, listEndpoints } from '../store/webhook-repo.js';
import { addEndpoint, isWebhookUrl } from '../webhooks/webhook-endpoints.js';

export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description('manage webhook endpoints');

  addStoreOptions(webhooks.command('add').description('add an endpoint and print its signing secret (shown once)').argument('<url>', 'http(s) URL'))
    .option('--secret <base64>', 'signing secret (default: generated)')
    .option('--json', 'print JSON')
    .action(async (url: string, opts: Record<string, unknown>) => {
      if (!isWebhookUrl(url)) throw new Error(`not an http(s) URL: ${url}`);
      const e = await withStore(opts, (s) => addEndpoint(s, url, { source: 'cli', ...(opts.secret ? { secret: String(opts.secret) } : {}) }));
      if (opts.json) console.log(JSON.stringify({ id: e.id, url: e.url, secret: e.secret }));
      else console.log(`id:     ${e.id}\nurl:    ${e.url}\nsecret: ${e.secret}`);
    });

  addStoreOptions(webhooks.command('list').description('list endpoints')).option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const list = await withStore(opts, (s) => listEndpoints(s.db));
      const out = list.map((e) => ({ id: e.id, url: e.url, isEnabled: e.enabled, source: e.source, createdAt: e.createdAt }));
      if (opts.json) console.log(JSON.stringify(out));
      else for (const e of out) console.log(`${e.id}  ${e.isEnabled ? 'on ' : 'off'}  ${e.source.padEnd(4)}  ${e.url}`);
    });

  addStoreOptions(webhooks.command('remove').description('remove an endpoint (drops its undelivered events)').argument('<id>', 'endpoint id'))
    .action(async (id: string, opts: Record<string, unknown>) => {
      if (!(await withStore(opts, (s) => deleteEndpoint(s.db, id)))) {
        console.error(`no webhook endpoint ${id}`);
        process.exitCode = 1;
      } else console.log(`removed ${id}`);
    });
  return webhooks;
}
