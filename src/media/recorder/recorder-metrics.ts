/** Prometheus view of recording: bytes written to the segment store and recordings that failed. */
import { Counter } from 'prom-client';
import { registry } from '../../metrics.js';

export const recordingBytes = new Counter({
  name: 'onair_recording_bytes_total',
  help: 'Bytes of recorded (and DVR) segments written to the segment store',
  registers: [registry],
});

export const recordingFailures = new Counter({
  name: 'onair_recording_failures_total',
  help: 'Recordings marked Failed (segment store full or failing, or falling behind); the live streams played on',
  registers: [registry],
});
