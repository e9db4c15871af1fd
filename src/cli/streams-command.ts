/**
 * The remote verbs over the typed client: `onair streams|playback-ids|simulcasts|keys ...` against a running
 * server (--url, --token; see remote.ts). Tables for people, `--json` (the API objects, as the client types them)
 * for scripts.
 */
import { Command, Option } from 'commander';
import type { OnairClient } from '../client/client.js';
import type { LiveStream, Simulcast } from '../client/types.js';
import { CliError, addRemoteOptions, clientFrom, collect, intOption, metadataOf, printJson } from './remote.js';
import { ago, fields, table } from './table.js';

type Opts = Record<string, unknown>;

/** Adds a remote verb: options, then `fn(client, args, opts)`. */
function verb(parent: Command, name: string, description: string, build: (c: Command) => Command, fn: (client: OnairClient, args: string[], opts: Opts) => Promise<void>): Command {
  const cmd = build(addRemoteOptions(parent.command(name).description(description)));
  cmd.action(async (...all: unknown[]) => {
    const self = all[all.length - 1] as Command;
    const opts = self.opts();
    await fn(clientFrom(opts), self.args, opts);
  });
  return cmd;
}

const arg = (args: string[], i: number, what: string): string => {
  const v = args[i];
  if (v === undefined || v === '') throw new CliError(`missing ${what}`);
  return v;
};

function metadataText(m: Record<string, string> | undefined): string {
  if (!m || Object.keys(m).length === 0) return '-';
  return Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', ');
}

export function streamFields(s: LiveStream, ingest?: { rtmp?: string; srt?: string; playback?: string }): string {
  const pairs: [string, string | number | boolean | undefined][] = [
    ['streamId', s.streamId], ['status', s.status], ['created', `${s.createdAt} (${ago(s.createdAt)} ago)`],
    ['streamKey', s.streamKey], ['srtSecret', s.srtSecret],
    ['maxResolution', s.maxResolution], ['reconnectWindow', `${s.reconnectWindow}s`], ['maxDuration', s.maxDuration === 0 ? 'unbounded' : `${s.maxDuration}s`],
    ['recording', s.enableRecording], ['metadata', metadataText(s.metadata)],
    ['playbackIds', s.playbackIds.map((p) => `${p.id} (${p.accessPolicy})`).join(', ') || '-'],
    ['simulcasts', (s.simulcastResponses ?? []).map((t) => `${t.simulcastId} ${t.isEnabled ? 'on' : 'off'} ${t.url}`).join(', ') || '-'],
  ];
  if (ingest?.rtmp) pairs.push(['rtmp', `${ingest.rtmp}/${s.streamKey}`]);
  if (ingest?.srt) pairs.push(['srt', `${ingest.srt}?streamid=${s.streamId}&passphrase=${s.srtSecret}`]);
  if (ingest?.playback && s.playbackIds[0]) pairs.push(['hls', `${ingest.playback}/${s.playbackIds[0].id}.m3u8`]);
  return fields(pairs);
}

export function streamsCommand(): Command {
  const streams = new Command('streams').description('live streams on a running server (create, list, get, update, enable, disable, finish, delete)');

  verb(streams, 'create', 'create a live stream', (c) => c
    .addOption(new Option('--access-policy <policy>', 'policy of its first playback id').choices(['public', 'private']).default('public'))
    .addOption(new Option('--max-resolution <res>').choices(['1080p', '720p', '480p']))
    .option('--reconnect-window <s>', 'seconds to wait for a dropped encoder (60..1800)')
    .option('--max-duration <s>', '0 (unbounded) or 60..28800 seconds')
    .option('--no-recording', 'do not record')
    .option('--metadata <key=value>', 'metadata entry (repeatable)', collect),
  async (client, _args, o) => {
    const m = metadataOf(o.metadata as string[] | undefined);
    const s = await client.liveStreams.create({
      playbackSettings: { accessPolicy: o.accessPolicy as 'public' | 'private' },
      inputMediaSettings: {
        ...(o.maxResolution ? { maxResolution: o.maxResolution as '1080p' } : {}),
        ...(o.reconnectWindow !== undefined ? { reconnectWindow: intOption('--reconnect-window', String(o.reconnectWindow)) } : {}),
        ...(o.maxDuration !== undefined ? { maxDuration: intOption('--max-duration', String(o.maxDuration)) } : {}),
        ...(o.recording === false ? { enableRecording: false } : {}),
        ...(m ? { metadata: m } : {}),
      },
    });
    if (o.json) printJson(s);
    else console.log(streamFields(s, await ingestOf(client)));
  });

  verb(streams, 'list', 'list live streams (newest first)', (c) => c
    .option('--limit <n>', 'streams per page (1..50)', '50')
    .option('--page <n>', '1-based page', '1')
    .option('--all', 'every page')
    .addOption(new Option('--order <order>').choices(['asc', 'desc']).default('desc')),
  async (client, _args, o) => {
    const order = o.order as 'asc' | 'desc';
    let items: LiveStream[];
    let footer = '';
    if (o.all) items = await client.liveStreams.listAll({ orderBy: order });
    else {
      const p = await client.liveStreams.list({ limit: intOption('--limit', String(o.limit)), offset: intOption('--page', String(o.page)), orderBy: order });
      items = p.data;
      if (p.pagination.offsetCount > 1) footer = `page ${p.pagination.currentOffset} of ${p.pagination.offsetCount} (${p.pagination.totalRecords} streams; --page N or --all)`;
    }
    if (o.json) return printJson(items);
    if (items.length === 0) return console.log('no streams');
    console.log(table(['STREAM ID', 'STATUS', 'CREATED', 'PLAYBACK ID', 'METADATA'],
      items.map((s) => [s.streamId, s.status, `${ago(s.createdAt)} ago`, s.playbackIds[0]?.id, metadataText(s.metadata)])));
    if (footer) console.log(footer);
  });

  verb(streams, 'get', 'show one stream, with its ingest URLs', (c) => c.argument('<streamId>'), async (client, args, o) => {
    const s = await client.liveStreams.get(arg(args, 0, 'streamId'));
    if (o.json) printJson(s);
    else console.log(streamFields(s, await ingestOf(client)));
  });

  verb(streams, 'update', 'change metadata (replaces it) or the reconnect window', (c) => c.argument('<streamId>')
    .option('--metadata <key=value>', 'metadata entry (repeatable; replaces the whole map)', collect)
    .option('--reconnect-window <s>', 'seconds (60..1800)'),
  async (client, args, o) => {
    const m = metadataOf(o.metadata as string[] | undefined);
    if (!m && o.reconnectWindow === undefined) throw new CliError('nothing to update: give --metadata and/or --reconnect-window');
    const s = await client.liveStreams.update(arg(args, 0, 'streamId'), {
      ...(m ? { metadata: m } : {}),
      ...(o.reconnectWindow !== undefined ? { reconnectWindow: intOption('--reconnect-window', String(o.reconnectWindow)) } : {}),
    });
    if (o.json) printJson(s);
    else console.log(streamFields(s));
  });

  const action = (name: string, description: string, call: (c: OnairClient, id: string) => Promise<void>, done: string) =>
    verb(streams, name, description, (c) => c.argument('<streamId>'), async (client, args, o) => {
      const id = arg(args, 0, 'streamId');
      await call(client, id);
      if (o.json) printJson({ success: true, streamId: id });
      else console.log(`${done} ${id}`);
    });
  action('enable', 'enable a disabled stream', (c, id) => c.liveStreams.enable(id), 'enabled');
  action('disable', 'disable a stream (cuts its encoder)', (c, id) => c.liveStreams.disable(id), 'disabled');
  action('finish', 'end the live session of an active stream', (c, id) => c.liveStreams.complete(id), 'finished');
  action('delete', 'delete a stream for good', (c, id) => c.liveStreams.delete(id), 'deleted');

  verb(streams, 'viewers', 'current viewer count', (c) => c.argument('<streamId>'), async (client, args, o) => {
    const v = await client.liveStreams.getViewerCount(arg(args, 0, 'streamId'));
    if (o.json) printJson(v);
    else console.log(String(v.views));
  });
  return streams;
}

export function playbackIdsCommand(): Command {
  const cmd = new Command('playback-ids').description('playback ids of a stream');
  verb(cmd, 'create', 'add a playback id', (c) => c.argument('<streamId>')
    .addOption(new Option('--access-policy <policy>').choices(['public', 'private']).default('public')),
  async (client, args, o) => {
    const p = await client.playbackIds.create(arg(args, 0, 'streamId'), { accessPolicy: o.accessPolicy as 'public' | 'private' });
    if (o.json) printJson(p);
    else console.log(fields([['id', p.id], ['accessPolicy', p.accessPolicy]]));
  });
  verb(cmd, 'list', 'list the playback ids of a stream', (c) => c.argument('<streamId>'), async (client, args, o) => {
    const s = await client.liveStreams.get(arg(args, 0, 'streamId'));
    if (o.json) return printJson(s.playbackIds);
    console.log(table(['PLAYBACK ID', 'POLICY', 'RESTRICTIONS'], s.playbackIds.map((p) => [p.id, p.accessPolicy,
      p.accessRestrictions ? `domains ${p.accessRestrictions.domains.defaultPolicy}, user agents ${p.accessRestrictions.userAgents.defaultPolicy}` : '-'])));
  });
  verb(cmd, 'get', 'show a playback id', (c) => c.argument('<streamId>').argument('<playbackId>'), async (client, args, o) => {
    const p = await client.playbackIds.get(arg(args, 0, 'streamId'), arg(args, 1, 'playbackId'));
    if (o.json) printJson(p);
    else console.log(fields([['id', p.id], ['accessPolicy', p.accessPolicy], ['restrictions', p.accessRestrictions ? JSON.stringify(p.accessRestrictions) : '-']]));
  });
  verb(cmd, 'delete', 'delete a playback id', (c) => c.argument('<streamId>').argument('<playbackId>'), async (client, args, o) => {
    await client.playbackIds.delete(arg(args, 0, 'streamId'), arg(args, 1, 'playbackId'));
    if (o.json) printJson({ success: true });
    else console.log(`deleted ${args[1]}`);
  });
  return cmd;
}

export function simulcastsCommand(): Command {
  const cmd = new Command('simulcasts').description('simulcast targets of a stream');
  const show = (t: Simulcast) => fields([['simulcastId', t.simulcastId], ['url', t.url], ['streamKey', t.streamKey], ['enabled', t.isEnabled], ['metadata', metadataText(t.metadata)]]);
  verb(cmd, 'create', 'add an RTMP(S) target (stream must be idle)', (c) => c.argument('<streamId>').argument('<url>', 'rtmp(s)://host/app').argument('<streamKey>')
    .option('--metadata <key=value>', 'metadata entry (repeatable)', collect),
  async (client, args, o) => {
    const m = metadataOf(o.metadata as string[] | undefined);
    const t = await client.simulcasts.create(arg(args, 0, 'streamId'), { url: arg(args, 1, 'url'), streamKey: arg(args, 2, 'streamKey'), ...(m ? { metadata: m } : {}) });
    if (o.json) printJson(t);
    else console.log(show(t));
  });
  verb(cmd, 'list', 'list the targets of a stream', (c) => c.argument('<streamId>'), async (client, args, o) => {
    const s = await client.liveStreams.get(arg(args, 0, 'streamId'));
    const list = s.simulcastResponses ?? [];
    if (o.json) return printJson(list);
    if (list.length === 0) return console.log('no simulcast targets');
    console.log(table(['SIMULCAST ID', 'ENABLED', 'URL'], list.map((t) => [t.simulcastId, t.isEnabled, t.url])));
  });
  verb(cmd, 'get', 'show a target', (c) => c.argument('<streamId>').argument('<simulcastId>'), async (client, args, o) => {
    const t = await client.simulcasts.get(arg(args, 0, 'streamId'), arg(args, 1, 'simulcastId'));
    if (o.json) printJson(t);
    else console.log(show(t));
  });
  verb(cmd, 'update', 'enable/disable a target or replace its metadata', (c) => c.argument('<streamId>').argument('<simulcastId>')
    .option('--enable').option('--disable').option('--metadata <key=value>', 'metadata entry (repeatable)', collect),
  async (client, args, o) => {
    if (o.enable && o.disable) throw new CliError('--enable and --disable exclude each other');
    const m = metadataOf(o.metadata as string[] | undefined);
    const t = await client.simulcasts.update(arg(args, 0, 'streamId'), arg(args, 1, 'simulcastId'), {
      ...(o.enable ? { isEnabled: true } : o.disable ? { isEnabled: false } : {}), ...(m ? { metadata: m } : {}),
    });
    if (o.json) printJson(t);
    else console.log(show(t));
  });
  verb(cmd, 'delete', 'remove a target', (c) => c.argument('<streamId>').argument('<simulcastId>'), async (client, args, o) => {
    await client.simulcasts.delete(arg(args, 0, 'streamId'), arg(args, 1, 'simulcastId'));
    if (o.json) printJson({ success: true });
    else console.log(`deleted ${args[1]}`);
  });
  return cmd;
}

export function keysCommand(): Command {
  const cmd = new Command('keys').description('signing keys for private playback (JWT, RS256)');
  verb(cmd, 'create', 'create a key pair; prints the private key (base64 PEM) once', (c) => c, async (client, _args, o) => {
    const k = await client.signingKeys.create();
    if (o.json) printJson(k);
    else console.log(fields([['id', k.id], ['createdAt', k.createdAt], ['privateKey', k.privateKey]]));
  });
  verb(cmd, 'list', 'list signing keys', (c) => c, async (client, _args, o) => {
    const all = [];
    for (let offset = 1; ; offset++) {
      const p = await client.signingKeys.list({ limit: 50, offset });
      all.push(...p.data);
      if (offset >= p.pagination.offsetCount || p.data.length === 0) break;
    }
    if (o.json) return printJson(all);
    if (all.length === 0) return console.log('no signing keys');
    console.log(table(['KEY ID', 'CREATED'], all.map((k) => [k.id, k.createdAt])));
  });
  verb(cmd, 'get', 'show a key\'s public half', (c) => c.argument('<keyId>'), async (client, args, o) => {
    const k = await client.signingKeys.getById(arg(args, 0, 'keyId'));
    if (o.json) printJson(k);
    else console.log(`${fields([['signingKeyId', k.signingKeyId], ['workspaceId', k.workspaceId]])}\n${k.publicKey}`);
  });
  verb(cmd, 'delete', 'delete a key (tokens signed with it stop working)', (c) => c.argument('<keyId>'), async (client, args, o) => {
    const r = await client.signingKeys.delete(arg(args, 0, 'keyId'));
    if (o.json) printJson(r);
    else console.log(`deleted ${args[0]}`);
  });
  return cmd;
}

/** Ingest and playback base URLs from the server (GET /v1/onair/info, served by the dashboard plugin), when it has them. */
export async function ingestOf(client: OnairClient): Promise<{ rtmp?: string; srt?: string; playback?: string } | undefined> {
  try {
    const r = await client.request<{ rtmp?: string; srt?: string; playback?: string }>('GET', '/v1/onair/info');
    return r.data;
  } catch {
    return undefined;
  }
}
