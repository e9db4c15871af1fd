import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../../metrics.js';

export const imageRenders = new Counter({
  name: 'onair_image_renders_total',
  help: 'Thumbnails and storyboards requested, by kind (thumbnail, storyboard) and outcome (cached, rendered, busy, timeout, failed)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const imageFfmpegRunning = new Gauge({
  name: 'onair_image_ffmpeg_running',
  help: 'ffmpeg processes drawing images right now',
  registers: [registry],
});

export const imageRenderSeconds = new Histogram({
  name: 'onair_image_render_duration_seconds',
  help: 'Time to render an image that was not cached, queueing included',
  labelNames: ['kind'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const imageCacheBytes = new Gauge({
  name: 'onair_image_cache_bytes',
  help: 'Bytes held by the image cache',
  registers: [registry],
});
