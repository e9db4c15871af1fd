/**
 * Publish targets: `rtmp(s)://host[:port]/app[/instance][?query]` plus a separate stream key, the form
 * FastPix documents for simulcast (`rtmp://hyd01.contribute.live-video.net/app/` + key). With the key
 * given apart, the whole path is the app (as OBS does), so `live2`, `app/instance` and Wowza-style
 * `app?token=...` all reach the server as written.
 */
import { ProtocolError } from '../errors.js';

export interface RtmpTargetUrl {
  secure: boolean;
  host: string;
  port: number;
  /** the `app` of the connect command */
  app: string;
  /** the `tcUrl` of the connect command */
  tcUrl: string;
}

/** "RTMP ... port 1935"; RTMPS is RTMP over TLS, conventionally on 443. */
export const RTMP_DEFAULT_PORT = 1935;
export const RTMPS_DEFAULT_PORT = 443;

export function parseRtmpUrl(url: string): RtmpTargetUrl {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new ProtocolError('RTMP_URL', `not a URL: ${url}`);
  }
  const scheme = u.protocol.toLowerCase();
  if (scheme !== 'rtmp:' && scheme !== 'rtmps:') throw new ProtocolError('RTMP_URL', `not an rtmp:// or rtmps:// URL: ${url}`);
  const secure = scheme === 'rtmps:';
  // URL keeps IPv6 literals bracketed in `hostname`; sockets want them bare.
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new ProtocolError('RTMP_URL', `no host in ${url}`);
  const port = u.port === '' ? (secure ? RTMPS_DEFAULT_PORT : RTMP_DEFAULT_PORT) : Number(u.port);
  const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  const app = path + u.search;
  if (path === '') throw new ProtocolError('RTMP_URL', `no app in ${url} (expected rtmp://host/app/)`);
  const tcUrl = `${scheme}//${u.host}/${app}`;
  return { secure, host, port, app, tcUrl };
}
