/** Prometheus metrics of the transcoding ladder (registered on the process registry). */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../../metrics.js';

export const transcoderSpeed = new Gauge({
  name: 'onair_transcoder_speed',
  help: 'Encoding speed of a stream\'s ladder (media seconds out per wall second; 1 = real time, below 1 falls behind)',
  labelNames: ['stream'] as const,
  registers: [registry],
});

export const transcoderLag = new Gauge({
  name: 'onair_transcoder_lag_seconds',
  help: 'How far a stream\'s ladder output is behind its source (media seconds)',
  labelNames: ['stream'] as const,
  registers: [registry],
});

export const transcoderRestarts = new Counter({
  name: 'onair_transcoder_restarts_total',
  help: 'ffmpeg ladder children restarted, by stream and reason (exit, behind, stalled)',
  labelNames: ['stream', 'reason'] as const,
  registers: [registry],
});

export const transcoders = new Gauge({
  name: 'onair_transcoders',
  help: 'Live streams being transcoded into a ladder right now',
  registers: [registry],
});

export const transcodeSlots = new Gauge({
  name: 'onair_transcode_slots',
  help: 'Ladders this process runs at most at once (--max-transcodes)',
  registers: [registry],
});

export const laddersRefused = new Counter({
  name: 'onair_ladders_refused_total',
  help: 'Streams served as passthrough because --max-transcodes ladders were already running',
  registers: [registry],
});

export const renditionsUnhealthy = new Gauge({
  name: 'onair_rendition_unhealthy',
  help: 'Transcoded renditions currently left out of multivariant playlists (ffmpeg down or behind real time)',
  labelNames: ['stream'] as const,
  registers: [registry],
});
