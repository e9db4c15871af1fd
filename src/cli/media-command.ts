/**
 * `onair media list|get|update|delete|clips` and `onair media playback-ids create|list|get|delete`: on-demand media
 * (recordings and clips of live sessions) on a running server, over the typed client (FastPix's manageVideos operations).
 */
import { Command, Option } from 'commander';
import type { OnairClient } from '../client/client.js';
import type { Media } from '../client/types.js';
import { CliError, addRemoteOptions, clientFrom, collect, intOption, metadataOf, printJson } from './remote.js';
import { ago, fields, table } from './table.js';

type Opts = Record<string, unknown>;

function verb(parent: Command, name: string, description: string, build: (c: Command) => Command, fn: (client: OnairClient, args: string[], opts: Opts) => Promise<void>): Command {
  const cmd = build(addRemoteOptions(parent.command(name).description(description)));
  cmd.action(async (...all: unknown[]) => {
    const self = all[all.length - 1] as Command;
    await fn(clientFrom(self.opts()), self.args, self.opts());
  });
  return cmd;
}

const arg = (args: string[], i: number, what: string): string => {
  const v = args[i];
  if (v === undefined || v === '') throw new CliError(`missing ${what}`);
  return v;
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function metadataText(m: unknown): string {
  if (!m || typeof m !== 'object' || Object.keys(m).length === 0) return '-';
  return Object.entries(m as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

export function mediaFields(m: Media, playbackBase?: string): string {
  const pairs: [string, string | number | boolean | undefined][] = [
    ['id', m.id], ['status', m.status], ['created', `${m.createdAt} (${ago(m.createdAt)} ago)`],
    ['streamId', str(m.streamId)], ['sourceMediaId', str(m.sourceMediaId)], ['title', str(m.title)], ['creatorId', str(m.creatorId)],
    ['duration', str(m.duration)], ['sourceResolution', str(m.sourceResolution)], ['mp4Support', str(m.mp4Support)],
    ['metadata', metadataText(m.metadata)],
    ['playbackIds', (m.playbackIds ?? []).map((p) => `${p.id} (${p.accessPolicy})`).join(', ') || '-'],
  ];
  const first = m.playbackIds?.[0];
  if (playbackBase && first) {
    pairs.push(['hls', `${playbackBase}/${first.id}.m3u8`], ['thumbnail', `${playbackBase}/${first.id}/thumbnail.jpg`]);
  }
  return fields(pairs);
}

async function playbackBaseOf(client: OnairClient): Promise<string | undefined> {
  try {
    return (await client.request<{ playback?: string }>('GET', '/v1/onair/info')).data?.playback;
  } catch {
    return undefined;
  }
}

export function mediaCommand(): Command {
  const media = new Command('media').description('on-demand media: recordings and clips of live streams (list, get, update, delete, clips, playback-ids)');

  verb(media, 'list', 'list media (newest first)', (c) => c
    .option('--limit <n>', 'media per page (1..50)', '50')
    .option('--page <n>', '1-based page', '1')
    .option('--all', 'every page')
    .option('--stream <streamId>', 'only the media of this live stream')
    .addOption(new Option('--order <order>').choices(['asc', 'desc']).default('desc')),
  async (client, _args, o) => {
    const order = o.order as 'asc' | 'desc';
    let items: Media[] = [];
    let footer = '';
    if (o.all || o.stream) {
      for (let offset = 1; ; offset++) {
        const p = await client.media.list({ limit: 50, offset, orderBy: order });
        items.push(...p.data);
        if (offset >= p.pagination.offsetCount || p.data.length === 0) break;
      }
    } else {
      const p = await client.media.list({ limit: intOption('--limit', String(o.limit)), offset: intOption('--page', String(o.page)), orderBy: order });
      items = p.data;
      if (p.pagination.offsetCount > 1) footer = `page ${p.pagination.currentOffset} of ${p.pagination.offsetCount} (${p.pagination.totalRecords} media; --page N or --all)`;
    }
    if (typeof o.stream === 'string') items = items.filter((m) => m.streamId === o.stream);
    if (o.json) return printJson(items);
    if (items.length === 0) return console.log('no media');
    console.log(table(['MEDIA ID', 'STATUS', 'DURATION', 'CREATED', 'STREAM ID', 'PLAYBACK ID'],
      items.map((m) => [m.id, m.status, str(m.duration), `${ago(m.createdAt)} ago`, str(m.streamId), m.playbackIds?.[0]?.id])));
    if (footer) console.log(footer);
  });

  verb(media, 'get', 'show one media, with its HLS and thumbnail URLs', (c) => c.argument('<mediaId>'), async (client, args, o) => {
    const m = await client.media.get(arg(args, 0, 'mediaId'));
    if (o.json) printJson(m);
    else console.log(mediaFields(m, await playbackBaseOf(client)));
  });

  verb(media, 'update', 'change the title, creator id or metadata (replaces it)', (c) => c.argument('<mediaId>')
    .option('--title <title>')
    .option('--creator-id <id>')
    .option('--metadata <key=value>', 'metadata entry (repeatable; replaces the whole map)', collect)
    .addOption(new Option('--mp4-support <mode>', 'MP4 downloads').choices(['none', 'capped_4k', 'audioOnly', 'audioOnly,capped_4k'])),
  async (client, args, o) => {
    const id = arg(args, 0, 'mediaId');
    const m = metadataOf(o.metadata as string[] | undefined);
    const body = {
      ...(typeof o.title === 'string' ? { title: o.title } : {}),
      ...(typeof o.creatorId === 'string' ? { creatorId: o.creatorId } : {}),
      ...(m ? { metadata: m } : {}),
    };
    if (Object.keys(body).length === 0 && o.mp4Support === undefined) throw new CliError('nothing to update: give --title, --creator-id, --metadata and/or --mp4-support');
    let out: Media | undefined;
    if (Object.keys(body).length > 0) out = await client.media.update(id, body);
    if (typeof o.mp4Support === 'string') out = await client.media.updateMp4Support(id, o.mp4Support);
    if (o.json) printJson(out);
    else console.log(mediaFields(out!));
  });

  verb(media, 'delete', 'delete a media (its playback ends, its files go)', (c) => c.argument('<mediaId>'), async (client, args, o) => {
    const id = arg(args, 0, 'mediaId');
    await client.media.delete(id);
    if (o.json) printJson({ success: true, mediaId: id });
    else console.log(`deleted ${id}`);
  });

  verb(media, 'clips', 'list the clips cut from a media', (c) => c.argument('<mediaId>'), async (client, args, o) => {
    const p = await client.media.listClips(arg(args, 0, 'mediaId'), { limit: 50, offset: 1 });
    if (o.json) return printJson(p.data);
    if (p.data.length === 0) return console.log('no clips');
    console.log(table(['MEDIA ID', 'STATUS', 'DURATION', 'PLAYBACK ID'], p.data.map((m) => [m.id, m.status, str(m.duration), m.playbackIds?.[0]?.id])));
  });

  media.addCommand(mediaPlaybackIdsCommand());
  return media;
}

function mediaPlaybackIdsCommand(): Command {
  const cmd = new Command('playback-ids').description('playback ids of a media');
  verb(cmd, 'create', 'add a playback id', (c) => c.argument('<mediaId>')
    .addOption(new Option('--access-policy <policy>').choices(['public', 'private']).default('public')),
  async (client, args, o) => {
    const p = await client.mediaPlaybackIds.create(arg(args, 0, 'mediaId'), { accessPolicy: o.accessPolicy as 'public' | 'private' });
    if (o.json) printJson(p);
    else console.log(fields([['id', p.id], ['accessPolicy', p.accessPolicy]]));
  });
  verb(cmd, 'list', 'list the playback ids of a media', (c) => c.argument('<mediaId>'), async (client, args, o) => {
    const list = await client.mediaPlaybackIds.list(arg(args, 0, 'mediaId'));
    if (o.json) return printJson(list);
    if (list.length === 0) return console.log('no playback ids');
    console.log(table(['PLAYBACK ID', 'POLICY'], list.map((p) => [p.id, p.accessPolicy])));
  });
  verb(cmd, 'get', 'show a playback id', (c) => c.argument('<mediaId>').argument('<playbackId>'), async (client, args, o) => {
    const p = await client.mediaPlaybackIds.get(arg(args, 0, 'mediaId'), arg(args, 1, 'playbackId'));
    if (o.json) printJson(p);
    else console.log(fields([['id', p.id], ['accessPolicy', p.accessPolicy], ['restrictions', p.accessRestrictions ? JSON.stringify(p.accessRestrictions) : '-']]));
  });
  verb(cmd, 'delete', 'delete a playback id', (c) => c.argument('<mediaId>').argument('<playbackId>'), async (client, args, o) => {
    await client.mediaPlaybackIds.delete(arg(args, 0, 'mediaId'), arg(args, 1, 'playbackId'));
    if (o.json) printJson({ success: true });
    else console.log(`deleted ${args[1]}`);
  });
  return cmd;
}
