/** The short operator summary `onair serve` prints after startup: where the API, ingest and playback listen. */
import { apiBaseUrlOf, publicHostOf, type ServerConfig } from '../config.js';

export function operatorSummary(c: ServerConfig, apiPort: number): string {
  const host = publicHostOf(c);
  const api = c.publicUrl ? apiBaseUrlOf(c) : `http://${host}:${apiPort}`;
  const lines = [
    'onair is ready',
    `  API       ${api}/v1   (OpenAPI: ${api}/v1/openapi.json, health: ${api}/healthz, metrics: ${api}/metrics)`,
    `  RTMP      rtmp://${host}:${c.rtmpPort}/live/<streamKey>`,
  ];
  if (c.tlsCert) lines.push(`  RTMPS     rtmps://${host}:${c.rtmpsPort}/live/<streamKey>`);
  lines.push(
    `  SRT       srt://${host}:${c.srtPort}?streamid=<streamId>&passphrase=<srtSecret>`,
    `  Playback  http://${host}:${c.playbackPort}/<playbackId>.m3u8`,
    `  Database  ${/^postgres/i.test(c.database) ? c.database.replace(/\/\/[^@/]*@/, '//***@') : c.database}`,
  );
  return lines.join('\n');
}
