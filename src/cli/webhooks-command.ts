/**
 * `onair webhooks add|list|remove`: manage webhook endpoints directly in the store (--data/--database), or, with
 * --url (or ONAIR_URL while --data is left at its default), through a running server's /v1/onair/webhooks.
 */
import { Command } from 'commander';
import { addStoreOptions } from '../config.js';
import { withStore } from './cli-store.js';
import { CliError, addRemoteOptions, clientFrom, wantsRemote } from './remote.js';
import { deleteEndpoint, listEndpoints } from '../store/webhook-repo.js';
import { addEndpoint, isWebhookUrl } from '../webhooks/webhook-endpoints.js';

/** --data/--database plus --url/--token/--json (addRemoteOptions brings --json) */
function both(cmd: Command): Command {
  return addRemoteOptions(addStoreOptions(cmd));
}

export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description('manage webhook endpoints (in the store, or on a server with --url)');

  both(webhooks.command('add').description('add an endpoint and print its signing secret (shown once)').argument('<url>', 'http(s) URL'))
    .option('--secret <base64>', 'signing secret (default: generated)')
    .action(async (url: string, opts: Record<string, unknown>, cmd: Command) => {
      if (!isWebhookUrl(url)) throw new CliError(`not an http(s) URL: ${url}`);
      const e = wantsRemote(cmd)
        ? await clientFrom(opts).webhooks.create({ url, ...(opts.secret ? { secret: String(opts.secret) } : {}) }).then((w) => ({ id: w.id, url: w.url, secret: w.secret ?? '' }))
        : await withStore(opts, (s) => addEndpoint(s, url, { source: 'cli', ...(opts.secret ? { secret: String(opts.secret) } : {}) }));
      if (opts.json) console.log(JSON.stringify({ id: e.id, url: e.url, secret: e.secret }));
      else console.log(`id:     ${e.id}\nurl:    ${e.url}\nsecret: ${e.secret}`);
    });

  both(webhooks.command('list').description('list endpoints'))
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const out: { id: string; url: string; isEnabled: boolean; source?: string; createdAt: string }[] = wantsRemote(cmd)
        ? (await clientFrom(opts).webhooks.list()).map((e) => ({ id: e.id, url: e.url, isEnabled: e.isEnabled, createdAt: e.createdAt }))
        : (await withStore(opts, (s) => listEndpoints(s.db))).map((e) => ({ id: e.id, url: e.url, isEnabled: e.enabled, source: e.source, createdAt: e.createdAt }));
      if (opts.json) console.log(JSON.stringify(out));
      else for (const e of out) console.log(`${e.id}  ${e.isEnabled ? 'on ' : 'off'}  ${(e.source ?? 'api').padEnd(4)}  ${e.url}`);
    });

  both(webhooks.command('remove').description('remove an endpoint (drops its undelivered events)').argument('<id>', 'endpoint id'))
    .action(async (id: string, opts: Record<string, unknown>, cmd: Command) => {
      if (wantsRemote(cmd)) {
        await clientFrom(opts).webhooks.delete(id);
        console.log(`removed ${id}`);
        return;
      }
      if (!(await withStore(opts, (s) => deleteEndpoint(s.db, id)))) {
        console.error(`no webhook endpoint ${id}`);
        process.exitCode = 1;
      } else console.log(`removed ${id}`);
    });
  return webhooks;
}
