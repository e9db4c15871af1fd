/** The `onair serve` configuration: one table gives the flags, their ONAIR_* env vars, defaults and --help text. */
import { join, resolve } from 'node:path';
import { availableParallelism, hostname } from 'node:os';
import { Command, Option } from 'commander';
import { DEFAULT_LADDER, parseLadder } from './media/transcoder/ladder.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything `startServer` needs. Media-plane fields are parsed here and passed through untouched. */
export interface ServerConfig {
  dataDir: string;
  host: string;
  apiPort: number;
  playbackPort: number;
  rtmpPort: number;
  /** RTMPS listens only when tlsCert and tlsKey are given. */
  rtmpsPort: number;
  srtPort: number;
  tlsCert?: string;
  tlsKey?: string;
  /** base URL printed for the API (and used by other planes for links); derived when absent */
  publicUrl?: string;
  /** host name used in printed ingest/playback URLs; derived when absent */
  publicHost?: string;
  /** `postgres://...` selects Postgres; anything else is a SQLite file path (default: <dataDir>/onair.sqlite) */
  database: string;
  /**
   * `onair serve --workers N`: node processes sharing the listeners (src/cluster/workers.ts). Default: the number
   * of cores on Postgres, 1 on SQLite (which runs one process). 1 = one process, no primary/worker split.
   */
  workers: number;
  /** segment store: `s3://BUCKET/PREFIX?endpoint=URL&region=R` for object storage, else a directory (default: <dataDir>/media) */
  storage?: string;
  logLevel: LogLevel;
  /** webhook endpoints configured by flag (repeatable) */
  webhookUrls: string[];
  /** base64 signing secret for flag-configured endpoints; generated (and printed) when absent */
  webhookSecret?: string;
  /** first retry delay of webhook deliveries (doubles per attempt, capped at webhookRetryCapMs) */
  webhookRetryBaseMs: number;
  webhookRetryCapMs: number;
  /** how often the delivery worker polls the outbox when not nudged */
  webhookPollMs: number;
  /** failed logins per (client address, token id) per window before 429 (per address: 10x this) */
  authFailLimit: number;
  authFailWindowMs: number;
  /** Fastify trustProxy as given (`true`, a hop count, or addresses/CIDRs); absent = X-Forwarded-For is ignored */
  trustProxy?: string;
  /** admin token given by the environment (ONAIR_TOKEN_ID + ONAIR_TOKEN_SECRET) */
  adminTokenId?: string;
  adminTokenSecret?: string;
  /** open RTMP(S) connections, in total and per remote address (0 = unlimited) */
  rtmpMaxConnections: number;
  rtmpMaxConnectionsPerAddress: number;
  /** bytes of partly received RTMP messages of all connections together, MiB */
  rtmpAssemblyBudgetMiB: number;
  /** largest RTMP message of an accepted publisher, KiB (before publish is accepted: 64 KiB) */
  rtmpMaxMessageKiB: number;
  /** open playback (HLS) connections, in total and per remote address (0 = unlimited) */
  playbackMaxConnections: number;
  playbackMaxConnectionsPerAddress: number;
  /** open REST API connections, in total and per remote address (0 = unlimited) */
  apiMaxConnections: number;
  apiMaxConnectionsPerAddress: number;
  /** transcoding ladder: 'on' (default) or 'off' (passthrough only) */
  transcode: string;
  /** the ladder's rungs, e.g. 1080p:5000,720p:3000,480p:1200,360p:600 (kbit/s) */
  ladder: string;
  /** ladders (ffmpeg children) running at once; beyond, streams are served as passthrough */
  maxTranscodes: number;
  /** this node's name in a cluster (default: the host name) */
  nodeName: string;
  /** URL other nodes reach this node's playback listener at (default: http://<host>:<playback port>) */
  internalUrl?: string;
  /** cluster leases (Postgres only): a node or session not renewed for this long is dead */
  nodeLeaseMs: number;
  /** how often a node renews its leases and sweeps expired ones */
  nodeHeartbeatMs: number;
  /**
   * Set by `serve --workers N` for each worker (never by a flag): a playback listener of this process alone
   * (not shared with the other workers), where the other nodes reach it. The internal URL is `internalUrl` when
   * set, else `http://<host>:<bound port>`.
   */
  internalListen?: { host: string; port: number };
  /** Set by `serve --workers N` (never by a flag): false = this worker does not bind the SRT port (UDP is not shared). */
  srtListen?: boolean;
}

/** A command-line mistake the operator must fix (`onair serve` exits with code 2 and the message). */
export class UsageError extends Error {
  readonly exitCode = 2;
}

type Kind = 'string' | 'int' | 'list';

interface ConfigEntry {
  key: keyof ServerConfig;
  flag: string;
  env: string;
  kind: Kind;
  help: string;
  /** default as shown in --help; undefined = none or derived */
  def?: string | number;
  /** hidden flags are for tests and tuning; still settable by env */
  hidden?: boolean;
}

/** The one table. Order = order in --help. */
export const CONFIG_TABLE: readonly ConfigEntry[] = [
  { key: 'dataDir', flag: '--data <dir>', env: 'ONAIR_DATA', kind: 'string', def: './data', help: 'data directory (SQLite file, recordings, segments)' },
  { key: 'host', flag: '--host <addr>', env: 'ONAIR_HOST', kind: 'string', def: '0.0.0.0', help: 'address every listener binds to' },
  { key: 'apiPort', flag: '--api-port <port>', env: 'ONAIR_API_PORT', kind: 'int', def: 8080, help: 'REST API port (/v1, /healthz, /metrics)' },
  { key: 'playbackPort', flag: '--playback-port <port>', env: 'ONAIR_PLAYBACK_PORT', kind: 'int', def: 8081, help: 'HLS playback port' },
  { key: 'rtmpPort', flag: '--rtmp-port <port>', env: 'ONAIR_RTMP_PORT', kind: 'int', def: 1935, help: 'RTMP ingest port' },
  { key: 'rtmpsPort', flag: '--rtmps-port <port>', env: 'ONAIR_RTMPS_PORT', kind: 'int', def: 1936, help: 'RTMPS ingest port (only with --tls-cert and --tls-key)' },
  { key: 'srtPort', flag: '--srt-port <port>', env: 'ONAIR_SRT_PORT', kind: 'int', def: 778, help: 'SRT ingest/playback port (UDP)' },
  { key: 'tlsCert', flag: '--tls-cert <file>', env: 'ONAIR_TLS_CERT', kind: 'string', help: 'TLS certificate (PEM) for RTMPS' },
  { key: 'tlsKey', flag: '--tls-key <file>', env: 'ONAIR_TLS_KEY', kind: 'string', help: 'TLS private key (PEM) for RTMPS' },
  { key: 'publicUrl', flag: '--public-url <url>', env: 'ONAIR_PUBLIC_URL', kind: 'string', help: 'public base URL of the API (default: derived)' },
  { key: 'publicHost', flag: '--public-host <name>', env: 'ONAIR_PUBLIC_HOST', kind: 'string', help: 'host name used in printed URLs (default: derived)' },
  { key: 'database', flag: '--database <url>', env: 'ONAIR_DATABASE', kind: 'string', help: 'postgres://... for Postgres, else a SQLite file (default: <data>/onair.sqlite)' },
  { key: 'workers', flag: '--workers <n>', env: 'ONAIR_WORKERS', kind: 'int', help: 'node processes sharing the listeners, one per core (default: the number of cores with a postgres:// database, 1 on SQLite; more than 1 needs Postgres)' },
  { key: 'storage', flag: '--storage <url>', env: 'ONAIR_STORAGE', kind: 'string', help: 'where recordings, DVR and images go: s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or a directory (default: <data>/media)' },
  { key: 'logLevel', flag: '--log-level <level>', env: 'ONAIR_LOG_LEVEL', kind: 'string', def: 'info', help: 'fatal|error|warn|info|debug|trace|silent' },
  { key: 'webhookUrls', flag: '--webhook-url <url>', env: 'ONAIR_WEBHOOK_URL', kind: 'list', help: 'webhook endpoint (repeatable; env: comma-separated)' },
  { key: 'webhookSecret', flag: '--webhook-secret <base64>', env: 'ONAIR_WEBHOOK_SECRET', kind: 'string', help: 'signing secret for --webhook-url endpoints (default: generated and printed)' },
  { key: 'webhookRetryBaseMs', flag: '--webhook-retry-base-ms <ms>', env: 'ONAIR_WEBHOOK_RETRY_BASE_MS', kind: 'int', def: 1000, help: 'first webhook retry delay', hidden: true },
  { key: 'webhookRetryCapMs', flag: '--webhook-retry-cap-ms <ms>', env: 'ONAIR_WEBHOOK_RETRY_CAP_MS', kind: 'int', def: 600_000, help: 'longest webhook retry delay', hidden: true },
  { key: 'webhookPollMs', flag: '--webhook-poll-ms <ms>', env: 'ONAIR_WEBHOOK_POLL_MS', kind: 'int', def: 1000, help: 'webhook outbox poll period', hidden: true },
  { key: 'authFailLimit', flag: '--auth-fail-limit <n>', env: 'ONAIR_AUTH_FAIL_LIMIT', kind: 'int', def: 10, help: 'failed logins per (address, token id) per window before further failures get 429; per address: 10x', hidden: true },
  { key: 'authFailWindowMs', flag: '--auth-fail-window-ms <ms>', env: 'ONAIR_AUTH_FAIL_WINDOW_MS', kind: 'int', def: 60_000, help: 'failed-login counting window', hidden: true },
  { key: 'trustProxy', flag: '--trust-proxy [value]', env: 'ONAIR_TRUST_PROXY', kind: 'string', help: 'behind a reverse proxy: true, a hop count, or proxy addresses/CIDRs (comma-separated) whose X-Forwarded-For is believed (default: off)' },
  { key: 'adminTokenId', flag: '--admin-token-id <id>', env: 'ONAIR_TOKEN_ID', kind: 'string', help: 'admin access token id (with ONAIR_TOKEN_SECRET)', hidden: true },
  { key: 'adminTokenSecret', flag: '--admin-token-secret <secret>', env: 'ONAIR_TOKEN_SECRET', kind: 'string', help: 'admin access token secret', hidden: true },
  { key: 'rtmpMaxConnections', flag: '--rtmp-max-connections <n>', env: 'ONAIR_RTMP_MAX_CONNECTIONS', kind: 'int', def: 1000, help: 'open RTMP(S) connections (0 = unlimited)' },
  { key: 'rtmpMaxConnectionsPerAddress', flag: '--rtmp-max-connections-per-address <n>', env: 'ONAIR_RTMP_MAX_CONNECTIONS_PER_ADDRESS', kind: 'int', def: 50, help: 'open RTMP(S) connections from one address (0 = unlimited)' },
  { key: 'rtmpAssemblyBudgetMiB', flag: '--rtmp-assembly-budget-mib <n>', env: 'ONAIR_RTMP_ASSEMBLY_BUDGET_MIB', kind: 'int', def: 256, help: 'memory for partly received RTMP messages of all connections, MiB' },
  { key: 'rtmpMaxMessageKiB', flag: '--rtmp-max-message-kib <n>', env: 'ONAIR_RTMP_MAX_MESSAGE_KIB', kind: 'int', def: 8192, help: 'largest RTMP message (a video frame) of a publisher, KiB' },
  { key: 'playbackMaxConnections', flag: '--playback-max-connections <n>', env: 'ONAIR_PLAYBACK_MAX_CONNECTIONS', kind: 'int', def: 20_000, help: 'open playback connections (0 = unlimited)' },
  { key: 'playbackMaxConnectionsPerAddress', flag: '--playback-max-connections-per-address <n>', env: 'ONAIR_PLAYBACK_MAX_CONNECTIONS_PER_ADDRESS', kind: 'int', def: 2000, help: 'open playback connections from one address (0 = unlimited)' },
  { key: 'apiMaxConnections', flag: '--api-max-connections <n>', env: 'ONAIR_API_MAX_CONNECTIONS', kind: 'int', def: 1000, help: 'open REST API connections (0 = unlimited)' },
  { key: 'apiMaxConnectionsPerAddress', flag: '--api-max-connections-per-address <n>', env: 'ONAIR_API_MAX_CONNECTIONS_PER_ADDRESS', kind: 'int', def: 200, help: 'open REST API connections from one address (0 = unlimited)' },
  { key: 'transcode', flag: '--transcode <on|off>', env: 'ONAIR_TRANSCODE', kind: 'string', def: 'on', help: 'transcode each stream into a ladder capped by its maxResolution (off: the source only)' },
  { key: 'ladder', flag: '--ladder <rungs>', env: 'ONAIR_LADDER', kind: 'string', def: DEFAULT_LADDER, help: 'ladder rungs <height>p:<kbit/s>, comma-separated' },
  { key: 'maxTranscodes', flag: '--max-transcodes <n>', env: 'ONAIR_MAX_TRANSCODES', kind: 'int', def: Math.max(1, Math.floor(availableParallelism() / 2)), help: 'ladders transcoded at once (default: half the cores); more streams are served as passthrough' },
  { key: 'nodeName', flag: '--node-name <name>', env: 'ONAIR_NODE_NAME', kind: 'string', help: 'name of this node in a cluster on one Postgres (default: the host name)' },
  { key: 'internalUrl', flag: '--internal-url <url>', env: 'ONAIR_INTERNAL_URL', kind: 'string', help: 'URL other nodes reach this node\'s playback listener at (default: http://<host>:<playback port>)' },
  { key: 'nodeLeaseMs', flag: '--node-lease-ms <ms>', env: 'ONAIR_NODE_LEASE_MS', kind: 'int', def: 15_000, help: 'cluster lease: a node silent this long is dead and loses its sessions', hidden: true },
  { key: 'nodeHeartbeatMs', flag: '--node-heartbeat-ms <ms>', env: 'ONAIR_NODE_HEARTBEAT_MS', kind: 'int', def: 3_000, help: 'cluster heartbeat (lease renewal and expiry sweep) period', hidden: true },
];

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Add every option of the table to a commander command (flags, env vars, defaults, help). */
export function addServeOptions(cmd: Command): Command {
  for (const e of CONFIG_TABLE) {
    const opt = new Option(e.flag, e.help).env(e.env);
    if (e.def !== undefined) opt.default(e.def);
    if (e.kind === 'list') opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), ...splitList(v)]);
    if (e.hidden) opt.hideHelp();
    cmd.addOption(opt);
  }
  return cmd;
}

function splitList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function toInt(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : Number.parseInt(String(v), 10);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid value for ${name}: ${String(v)}`);
  return n;
}

/** Turn commander's parsed options (flag > env > default) into a checked ServerConfig. */
export function configFromOptions(opts: Record<string, unknown>): ServerConfig {
  const out: Record<string, unknown> = {};
  for (const e of CONFIG_TABLE) {
    const name = new Option(e.flag).attributeName();
    const v = opts[name];
    if (v === undefined || v === '') continue;
    if (e.kind === 'int') out[e.key] = toInt(e.flag.split(' ')[0]!, v);
    else if (e.kind === 'list') out[e.key] = Array.isArray(v) ? v : splitList(String(v));
    else out[e.key] = String(v);
  }
  return resolveConfig(out as Partial<ServerConfig>);
}

/** Fill defaults (from the table) and derived values; used by the CLI and by tests that start in-process. */
export function resolveConfig(partial: Partial<ServerConfig>): ServerConfig {
  const defaults: Record<string, unknown> = {};
  for (const e of CONFIG_TABLE) if (e.def !== undefined) defaults[e.key] = e.def;
  const c = { webhookUrls: [], ...defaults, ...partial } as ServerConfig;
  c.dataDir = resolve(c.dataDir);
  if (!c.database) c.database = join(c.dataDir, 'onair.sqlite');
  if (!LOG_LEVELS.includes(c.logLevel)) throw new Error(`invalid --log-level: ${c.logLevel}`);
  if ((c.adminTokenId === undefined) !== (c.adminTokenSecret === undefined)) {
    throw new Error('ONAIR_TOKEN_ID and ONAIR_TOKEN_SECRET must be given together');
  }
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key must be given together');
  if (c.transcode !== 'on' && c.transcode !== 'off') throw new Error(`invalid --transcode: ${String(c.transcode)} (on or off)`);
  parseLadder(c.ladder); // throws a message naming the bad rung
  if (!c.nodeName) c.nodeName = hostname();
  if (c.internalUrl !== undefined && !/^https?:\/\/[^/]+/.test(c.internalUrl)) throw new Error(`invalid --internal-url: ${c.internalUrl} (http://host:port)`);
  if (c.nodeHeartbeatMs < 50 || c.nodeLeaseMs < 2 * c.nodeHeartbeatMs) throw new Error('--node-lease-ms must be at least twice --node-heartbeat-ms (>= 50)');
  if (c.workers === undefined) c.workers = isPostgresUrl(c.database) ? availableParallelism() : 1;
  else if (c.workers < 1) throw new Error('--workers must be at least 1');
  else if (c.workers > 1 && !isPostgresUrl(c.database)) {
    throw new UsageError(`--workers ${c.workers} needs Postgres: SQLite runs one process. Use --database postgres://... for --workers, or --workers 1`);
  }
  return c;
}

/** Does the database setting select Postgres? */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** Host name for printed URLs: --public-host, else the host of --public-url, else the bind host (0.0.0.0 -> localhost). */
export function publicHostOf(c: ServerConfig): string {
  if (c.publicHost) return c.publicHost;
  if (c.publicUrl) return new URL(c.publicUrl).hostname;
  return c.host === '0.0.0.0' || c.host === '::' ? 'localhost' : c.host;
}

/** Base URL of the API as printed in the operator summary. */
export function apiBaseUrlOf(c: ServerConfig): string {
  if (c.publicUrl) return c.publicUrl.replace(/\/+$/, '');
  return `http://${publicHostOf(c)}:${c.apiPort}`;
}

/** Only the options that locate the store (--data, --database): for the tokens and webhooks commands. */
export function addStoreOptions(cmd: Command): Command {
  for (const e of CONFIG_TABLE) {
    if (e.key !== 'dataDir' && e.key !== 'database') continue;
    const opt = new Option(e.flag, e.help).env(e.env);
    if (e.def !== undefined) opt.default(e.def);
    cmd.addOption(opt);
  }
  return cmd;
}

/** The database setting for store-only commands. */
export function databaseFromOptions(opts: Record<string, unknown>): string {
  return resolveConfig({ dataDir: String(opts.data ?? './data'), ...(opts.database ? { database: String(opts.database) } : {}) }).database;
}
