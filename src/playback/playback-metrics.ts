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

export const playbackHeldRequests = new Gauge({
  name: 'onair_playback_held_requests',
  help: 'Blocking playlist/part requests currently held',
  registers: [registry],
});
