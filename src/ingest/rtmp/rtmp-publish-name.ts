/** Maps an RTMP app + publish name to a stream key: app `live` (query and `live/` variants tolerated). */

export const RTMP_APP = 'live';

const stripQuery = (s: string): string => {
  const q = s.indexOf('?');
  return q < 0 ? s : s.slice(0, q);
};
const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');

/**
 * Returns the stream key, or undefined when the app is not `live` or the name is empty.
 * Accepted: app `live` (also `live/`, `live?x=y`) + name `KEY` (also `KEY?x=y`), and app `` or `live`
 * + name `live/KEY` (encoders that put the whole path into the stream name).
 */
export function streamKeyFrom(app: string, publishName: string): string | undefined {
  let a = trimSlashes(stripQuery(app));
  let name = trimSlashes(stripQuery(publishName));
  if (name.startsWith(RTMP_APP + '/') && (a === '' || a === RTMP_APP)) {
    a = RTMP_APP;
    name = name.slice(RTMP_APP.length + 1);
  }
  if (a !== RTMP_APP) return undefined;
  if (name === '' || name.includes('/')) return undefined;
  return name;
}
