/** What every measurement gets from run.ts: mode, clip, logging, and a way to start each server under test. */
import type { MediaServer, ServerName } from '../peers/media-server.js';
import { NginxServer } from '../peers/nginx-server.js';
import { NmsServer } from '../peers/nms-server.js';
import { OnairServer } from '../peers/onair-server.js';
import { errorRow, type ResultRow } from './results.js';

export interface BenchContext {
  quick: boolean;
  clipPath: string;
  servers: ServerName[];
  log: (line: string) => void;
  /** Server name -> how it ran (version, entry point), filled as servers start; for the table notes. */
  descriptions: Map<string, string>;
  /** Upper bound of the max-streams ramp (default 150). */
  maxStreamsCap: number;
  /** Upper bound of the 2-worker ramp (--only workers; default 1000, --workers-cap). */
  workersCap: number;
  /** --streams N: the "many streams" level of cpu/mem/recording/dbstall (default 40; 5 with --quick) */
  streams: number;
  /** --minutes M: length of the DVR memory session (default 30; 3 with --quick) */
  minutes: number;
  /** --window S: CPU/latency measurement windows in seconds (default 40; 8 with --quick) */
  windowS: number;
}

export function makeServer(name: ServerName): MediaServer {
  switch (name) {
    case 'onair': return new OnairServer();
    case 'nginx-hls': return new NginxServer();
    case 'nms': return new NmsServer();
  }
}

/**
 * Starts `name`, runs `body`, always stops the server. A failure becomes "n/a (error ...)" rows for
 * `metrics` instead of ending the run (onair's media plane may not be wired yet).
 */
export async function withServer(
  ctx: BenchContext,
  name: ServerName,
  metrics: Array<{ metric: string; unit: string }>,
  body: (server: MediaServer, rows: ResultRow[]) => Promise<void>,
  make: () => MediaServer = () => makeServer(name),
): Promise<{ rows: ResultRow[]; description: string }> {
  const server = make();
  const rows: ResultRow[] = [];
  try {
    await server.start();
    ctx.log(`  ${name}: started (${server.description})`);
    ctx.descriptions.set(name, server.description);
    await body(server, rows);
  } catch (err) {
    ctx.log(`  ${name}: ${err instanceof Error ? err.message : String(err)}`);
    for (const { metric, unit } of metrics) {
      if (!rows.some((r) => r.metric === metric)) rows.push(errorRow(metric, name, unit, err));
    }
  } finally {
    await server.stop().catch((err: unknown) => ctx.log(`  ${name}: stop failed: ${String(err)}`));
  }
  return { rows, description: server.description };
}
