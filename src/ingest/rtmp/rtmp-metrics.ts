/** Prometheus counters of the RTMP ingest (updated per socket read, not per frame). */
import { Counter } from 'prom-client';
import { registry } from '../../metrics.js';

export const rtmpBytes = new Counter({
  name: 'onair_rtmp_received_bytes_total',
  help: 'Bytes received from RTMP/RTMPS publishers',
  labelNames: ['protocol'] as const,
  registers: [registry],
});

export const rtmpFrames = new Counter({
  name: 'onair_rtmp_frames_total',
  help: 'Media frames (video access units and audio frames) demuxed from RTMP/RTMPS publishers',
  labelNames: ['protocol'] as const,
  registers: [registry],
});

export const rtmpPublishes = new Counter({
  name: 'onair_rtmp_publishes_total',
  help: 'RTMP/RTMPS publish attempts by result (accepted, or the refusal reason)',
  labelNames: ['protocol', 'result'] as const,
  registers: [registry],
});

export const rtmpProtocolErrors = new Counter({
  name: 'onair_rtmp_protocol_errors_total',
  help: 'RTMP/RTMPS connections closed for a protocol violation, by error code',
  labelNames: ['code'] as const,
  registers: [registry],
});
