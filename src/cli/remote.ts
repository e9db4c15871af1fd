/**
 * The options every remote verb shares (--url, --token, --json) and the client they make. The server comes from
 * --url or ONAIR_URL (default http://127.0.0.1:8080); the token from --token ID:SECRET, ONAIR_TOKEN (ID:SECRET) or
 * ONAIR_TOKEN_ID + ONAIR_TOKEN_SECRET (the pair `onair serve` prints on first start).
 */
import { Command, Option } from 'commander';
import { OnairClient } from '../client/client.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function addRemoteOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', `onair API base URL (default ${DEFAULT_URL})`).env('ONAIR_URL'))
    .addOption(new Option('--token <id:secret>', 'access token id and secret (or ONAIR_TOKEN_ID + ONAIR_TOKEN_SECRET)').env('ONAIR_TOKEN'))
    .option('--json', 'print JSON (the API objects) instead of tables');
}

/** Thrown for operator mistakes: main prints the message as one line and exits 1. */
export class CliError extends Error {}

export function clientFrom(opts: Record<string, unknown>): OnairClient {
  const url = String(opts.url ?? DEFAULT_URL);
  if (!/^https?:\/\//i.test(url)) throw new CliError(`--url must be an http(s) URL, got ${url}`);
  let id: string | undefined;
  let secret: string | undefined;
  if (opts.token !== undefined) {
    const t = String(opts.token);
    const colon = t.indexOf(':');
    if (colon <= 0) throw new CliError('--token must be ID:SECRET');
    id = t.slice(0, colon);
    secret = t.slice(colon + 1);
  } else {
    id = process.env.ONAIR_TOKEN_ID;
    secret = process.env.ONAIR_TOKEN_SECRET;
  }
  if (!id || !secret) {
    throw new CliError('no access token: pass --token ID:SECRET or set ONAIR_TOKEN_ID and ONAIR_TOKEN_SECRET (`onair tokens create` makes one)');
  }
  return new OnairClient({ serverURL: url, tokenId: id, tokenSecret: secret, timeoutMs: 15_000 });
}

/** Was --url given on the command line, or ONAIR_URL set while --data was left at its default? Then talk to the server. */
export function wantsRemote(cmd: Command): boolean {
  const urlSource = cmd.getOptionValueSource('url');
  if (urlSource === 'cli') return true;
  if (urlSource === 'env') {
    const dataSource = cmd.getOptionValueSource('data');
    const dbSource = cmd.getOptionValueSource('database');
    return (dataSource === undefined || dataSource === 'default') && dbSource === undefined;
  }
  return false;
}

export function printJson(v: unknown): void {
  console.log(JSON.stringify(v, null, 2));
}

/** Parse repeatable `key=value` metadata flags. */
export function metadataOf(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliError(`--metadata wants key=value, got ${p}`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function intOption(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CliError(`${name} must be an integer, got ${v}`);
  return n;
}
