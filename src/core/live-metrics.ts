/** Prometheus view of the live sessions: how many streams are preparing, active, or held in a reconnect window. */
import { Gauge } from 'prom-client';
import { registry } from '../metrics.js';
import type { LiveSessions } from './live-sessions.js';

let current: LiveSessions | undefined;

new Gauge({
  name: 'onair_live_sessions',
  help: 'Live sessions by state (preparing, active, disconnected = inside the reconnect window)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (!current) return;
    const counts = { preparing: 0, active: 0, disconnected: 0 };
    for (const s of current.list()) counts[s.state]++;
    for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
  },
});

/** The sessions the gauge reports (one media plane per process). */
export function reportLiveSessions(sessions: LiveSessions): void {
  current = sessions;
}
