/** Prometheus metrics of the LL-HLS packager, registered in the process registry (src/metrics.ts). */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../../metrics.js';
import { SLAB_BYTES, slabPool } from '../../protocols/slab-pool.js';

/** The live window's recycled memory (slab-pool.ts). */
export const packagerSlabBytes = new Gauge({
  name: 'onair_packager_slab_bytes',
  help: 'Memory of the packagers\' recycled slabs (queued frames and the live window\'s parts): in use, or free for reuse',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.labels('free').set(slabPool.freeCount * SLAB_BYTES);
    this.labels('in_use').set(slabPool.inUse * SLAB_BYTES);
  },
});

export const packagerSlabsRecycled = new Counter({
  name: 'onair_packager_slabs_recycled_total',
  help: 'Slabs taken from the free list instead of allocated',
  registers: [registry],
  collect() {
    const n = slabPool.recycled;
    slabPool.recycled = 0;
    if (n > 0) this.inc(n);
  },
});

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
