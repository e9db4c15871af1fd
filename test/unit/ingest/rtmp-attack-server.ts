/**
 * A real RtmpServer in its own process (forked by rtmp-memory-attack.test.ts), so that the attack measures the
 * server's resident memory and nothing else: options as JSON in argv[2]; answers IPC 'stats' requests with its
 * RSS (now and peak, from /proc), the assembly budget in use, the open connections, the sessions and the limit
 * hits counted in the Prometheus registry.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { RtmpServer, type RtmpServerOptions } from '../../../src/ingest/rtmp/rtmp-server.js';
import { registry } from '../../../src/metrics.js';
import { FakeGateway } from './rtmp-test-gateway.js';

export interface AttackServerStats {
  rssMiB: number;
  peakRssMiB: number;
  budgetInUse: number;
  connections: number;
  sessions: { key: string; video: number; audio: number; endReasons: string[] }[];
  /** onair_limit_hits_total by limit */
  limitHits: Record<string, number>;
}

function procStatusMiB(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Partial<RtmpServerOptions>;
const gateway = new FakeGateway();
const server = new RtmpServer({ ...options, gateway, logger: pino({ level: 'silent' }), port: 0, host: '127.0.0.1' });
await server.listen();

process.on('message', (msg: unknown) => {
  if (msg !== 'stats') return;
  void (async () => {
    const hits: Record<string, number> = {};
    const metric = await registry.getSingleMetric('onair_limit_hits_total')?.get();
    for (const v of metric?.values ?? []) hits[String(v.labels.limit)] = v.value;
    const stats: AttackServerStats = {
      rssMiB: procStatusMiB('VmRSS'),
      peakRssMiB: procStatusMiB('VmHWM'),
      budgetInUse: server.budget.inUse,
      connections: server.limiter.size,
      sessions: gateway.sessions.map((s) => ({
        key: s.req.key,
        video: s.frames.filter((f) => f.track === 'video').length,
        audio: s.frames.filter((f) => f.track === 'audio').length,
        endReasons: s.endReasons,
      })),
      limitHits: hits,
    };
    process.send!({ stats });
  })();
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
process.send!({ port: server.address().port });
