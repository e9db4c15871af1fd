/** Prometheus view of simulcast: pushes by state, frames sent and dropped, bytes sent, connection outcomes. */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../../metrics.js';
import type { SimulcastManager } from './simulcast-manager.js';

let current: SimulcastManager | undefined;

new Gauge({
  name: 'onair_simulcast_targets',
  help: 'Simulcast pushes of live streams by state (starting, broadcasting, retrying)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (!current) return;
    const counts = { starting: 0, broadcasting: 0, retrying: 0 };
    for (const t of current.list()) counts[t.state]++;
    for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
  },
});

/** A counter read from the manager's running totals at scrape time (nothing is counted per frame). */
function totalCounter(name: string, help: string, pick: (t: ReturnType<SimulcastManager['totals']>) => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      if (current) this.inc(pick(current.totals()));
    },
  });
}

totalCounter('onair_simulcast_frames_sent_total', 'Frames pushed to simulcast targets', (t) => t.framesSent);
totalCounter('onair_simulcast_frames_dropped_total', 'Frames dropped because a simulcast target was too slow', (t) => t.framesDropped);
totalCounter('onair_simulcast_bytes_sent_total', 'Bytes pushed to simulcast targets', (t) => t.bytesSent);

export const simulcastConnections = new Counter({
  name: 'onair_simulcast_connections_total',
  help: 'Simulcast connection attempts by outcome (broadcasting, failed)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** The manager the metrics report (one media plane per process). */
export function reportSimulcast(manager: SimulcastManager): void {
  current = manager;
}
