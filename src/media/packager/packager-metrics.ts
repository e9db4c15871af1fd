/** Prometheus metrics of the LL-HLS packager, registered in the process registry (src/metrics.ts). */
import { Counter, Histogram } from 'prom-client';
import { registry } from '../../metrics.js';

/** The first GOP (keyframe interval, or the first segment when no second keyframe came) of each session. */
export const packagerGopSeconds = new Histogram({
  name: 'onair_packager_gop_seconds',
  help: 'GOP (keyframe interval) measured at the start of each packaging session, seconds',
  buckets: [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30],
  registers: [registry],
});

export const longGopSessions = new Counter({
  name: 'onair_long_gop_sessions_total',
  help: 'Packaging sessions whose GOP forced a target duration above the minimum (segments start at keyframes: a long GOP costs latency)',
  registers: [registry],
});

export const packagerTargetDuration = new Histogram({
  name: 'onair_packager_target_duration_seconds',
  help: 'EXT-X-TARGETDURATION chosen for each packaging session, seconds',
  buckets: [2, 3, 4, 5, 6, 8, 10, 15, 20, 30],
  registers: [registry],
});

export const forcedSegmentCuts = new Counter({
  name: 'onair_packager_forced_cuts_total',
  help: 'Segments cut without a keyframe because a GOP was longer than the fixed target duration allows',
  registers: [registry],
});

export const segmentsProduced = new Counter({
  name: 'onair_packager_segments_total',
  help: 'LL-HLS segments closed by the live packagers (every rendition)',
  registers: [registry],
});
