/** `onair tokens create|list|revoke`: manage API access tokens directly in the store (works while the server runs). */
import { Command, Option } from 'commander';
import { addStoreOptions } from '../config.js';
import { withStore } from './cli-store.js';
import { createToken, listTokens, revokeToken, type Permission } from '../store/token-repo.js';

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('manage API access tokens');

  addStoreOptions(tokens.command('create').description('create an access token and print its id and secret (shown once)'))
    .addOption(new Option('--permission <perm>', 'read or write').choices(['read', 'write']).default('write'))
    .option('--name <name>', 'a label for the token')
    .option('--json', 'print {"id":..,"secret":..,"permission":..} as JSON')
    .action(async (opts: Record<string, unknown>) => {
      const t = await withStore(opts, (s) => createToken(s.db, opts.permission as Permission, opts.name ? { name: String(opts.name) } : {}));
      if (opts.json) console.log(JSON.stringify({ id: t.id, secret: t.secret, permission: t.permission }));
      else console.log(`id:         ${t.id}\nsecret:     ${t.secret}\npermission: ${t.permission}`);
    });

  addStoreOptions(tokens.command('list').description('list access tokens (ids and permissions; secrets are not stored)'))
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const list = await withStore(opts, (s) => listTokens(s.db));
      if (opts.json) console.log(JSON.stringify(list));
      else for (const t of list) console.log(`${t.id}  ${t.permission.padEnd(5)}  ${t.createdAt}  ${t.name ?? ''}`);
    });

  addStoreOptions(tokens.command('revoke').description('revoke an access token').argument('<id>', 'token id'))
    .action(async (id: string, opts: Record<string, unknown>) => {
      const done = await withStore(opts, (s) => revokeToken(s.db, id));
      if (!done) {
        console.error(`no token ${id}`);
        process.exitCode = 1;
      } else console.log(`revoked ${id}`);
    });
  return tokens;
}
