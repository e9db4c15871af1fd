/**
 * `onair watch STREAM`: the live state of one stream in the terminal, polling the API once per interval
 * (status, viewers, how long it has been live as seen by this watcher, and the server's live-session details from
 * GET /v1/onair/live/{streamId} when the server has them). On a TTY the line is redrawn in place; otherwise (or
 * with --json) one line per update is printed.
 */
import { Command } from 'commander';
import type { OnairClient } from '../client/client.js';
import { addRemoteOptions, clientFrom, intOption } from './remote.js';
import { duration } from './table.js';

export interface LiveInfo {
  streamId: string;
  status: string;
  viewers: number;
  /** ms since epoch the current session started, when live */
  sessionStartedAt?: number | null;
  protocol?: string | null;
  remote?: string | null;
  framesPerSecond?: number | null;
  bitrateKbps?: number | null;
}

export async function liveInfoOf(client: OnairClient, streamId: string): Promise<LiveInfo> {
  try {
    return (await client.request<LiveInfo>('GET', `/v1/onair/live/${encodeURIComponent(streamId)}`)).data;
  } catch {
    // older server (no dashboard plugin): the FastPix endpoints alone
    const [s, v] = await Promise.all([client.liveStreams.get(streamId), client.liveStreams.getViewerCount(streamId)]);
    return { streamId, status: s.status, viewers: v.views };
  }
}

export function watchCommand(): Command {
  return addRemoteOptions(new Command('watch').description('show a stream\'s live state, viewers and uptime, updating every second'))
    .argument('<streamId>')
    .option('--interval <ms>', 'poll period', '1000')
    .option('--count <n>', 'stop after n updates (default: until Ctrl-C)')
    .action(async (streamId: string, opts: Record<string, unknown>) => {
      const client = clientFrom(opts);
      const every = Math.max(200, intOption('--interval', String(opts.interval)));
      const count = opts.count === undefined ? Infinity : intOption('--count', String(opts.count));
      const tty = process.stdout.isTTY && !opts.json;
      let stopped = false;
      process.once('SIGINT', () => { stopped = true; });
      for (let i = 0; i < count && !stopped; i++) {
        const started = Date.now();
        const info = await liveInfoOf(client, streamId);
        if (opts.json) console.log(JSON.stringify({ at: new Date().toISOString(), ...info }));
        else {
          const up = info.sessionStartedAt ? duration((Date.now() - info.sessionStartedAt) / 1000) : '-';
          const line = `${new Date().toISOString().slice(11, 19)}  ${info.streamId}  ${info.status.padEnd(9)}  viewers ${String(info.viewers).padEnd(5)}  uptime ${up.padEnd(7)}`
            + `${info.bitrateKbps != null ? `  ${Math.round(info.bitrateKbps)} kb/s` : ''}${info.framesPerSecond != null ? `  ${info.framesPerSecond.toFixed(1)} fps` : ''}`
            + `${info.protocol ? `  ${info.protocol}${info.remote ? ` from ${info.remote}` : ''}` : ''}`;
          if (tty) process.stdout.write(`\r\x1b[2K${line}`);
          else console.log(line);
        }
        if (i + 1 < count && !stopped) await new Promise((r) => setTimeout(r, Math.max(0, every - (Date.now() - started))));
      }
      if (tty) process.stdout.write('\n');
    });
}
