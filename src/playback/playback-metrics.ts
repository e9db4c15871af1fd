/** Prometheus metrics of the playback listener, registered in the process registry (src/metrics.ts). */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics.js';

export const playbackRequests = new Counter({
  name: 'onair_playback_requests_total',
  help: 'Playback requests by kind (multivariant, playlist, init, segment, part, other) and status',
  labelNames: ['kind', 'status'] as const,
  registers: [registry],
});

export const playbackBytes = new Counter({
  name: 'onair_playback_bytes_total',
  help: 'Media bytes sent to viewers (init, segments, parts)',
  registers: [registry],
});

const heldGauge = new Gauge({
  name: 'onair_playback_held_requests',
  help: 'Blocking playlist/part requests currently held',
  registers: [registry],
});

export const playbackBlockingWaits = new Counter({
  name: 'onair_playback_blocking_waits_total',
  help: 'Requests held by the playback listener: blocking playlist reloads (_HLS_msn/_HLS_part), preload-hinted parts, and first-media waits',
  registers: [registry],
});

export const playbackBlockingWaitSeconds = new Counter({
  name: 'onair_playback_blocking_wait_seconds_total',
  help: 'Seconds requests spent held (sum over held requests; divide by onair_playback_blocking_waits_total for the mean wait)',
  registers: [registry],
});

/**
 * The held-requests gauge, plus the wait counters: every inc() is one wait, and the time held is the integral of the
 * gauge (each change adds held x elapsed), so no per-request state is needed.
 */
let held = 0;
let heldSince = performance.now();
function integrate(): void {
  const now = performance.now();
  if (held > 0) playbackBlockingWaitSeconds.inc((held * (now - heldSince)) / 1000);
  heldSince = now;
}
export const playbackHeldRequests = {
  inc(): void {
    integrate();
    held++;
    heldGauge.inc();
    playbackBlockingWaits.inc();
  },
  dec(): void {
    integrate();
    held = Math.max(0, held - 1);
    heldGauge.dec();
  },
};
