/** HLS multivariant playlist writer: one EXT-X-STREAM-INF per variant (a ladder), optional audio renditions. */

export interface Variant {
  uri: string;
  /** peak bits per second */
  bandwidth: number;
  averageBandwidth?: number;
  /** RFC 6381 codec strings, e.g. ["avc1.64001f", "mp4a.40.2"] */
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
  /** GROUP-ID of the EXT-X-MEDIA audio renditions this variant plays with */
  audioGroup?: string;
}

export interface AudioRendition {
  groupId: string;
  name: string;
  uri: string;
  language?: string;
  default: boolean;
}

export interface MultivariantPlaylist {
  variants: Variant[];
  audio?: AudioRendition[];
  /**
   * Every segment of every variant starts with a keyframe (EXT-X-INDEPENDENT-SEGMENTS); default true.
   * Pass false when a packager had to cut a segment inside a GOP.
   */
  independentSegments?: boolean;
  /** appended to every URI (e.g. "?token=..."), already encoded */
  uriSuffix?: string;
}

const quoted = (s: string): string => `"${s.replace(/"/g, '')}"`;

export function writeMultivariantPlaylist(pl: MultivariantPlaylist): string {
  const sfx = pl.uriSuffix ?? '';
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6'];
  if (pl.independentSegments !== false) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (const a of pl.audio ?? []) {
    const attrs = [`TYPE=AUDIO`, `GROUP-ID=${quoted(a.groupId)}`, `NAME=${quoted(a.name)}`];
    if (a.language) attrs.push(`LANGUAGE=${quoted(a.language)}`);
    attrs.push(`DEFAULT=${a.default ? 'YES' : 'NO'}`, `AUTOSELECT=YES`, `URI=${quoted(a.uri + sfx)}`);
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  }
  for (const v of pl.variants) {
    const attrs = [`BANDWIDTH=${Math.max(1, Math.round(v.bandwidth))}`];
    if (v.averageBandwidth !== undefined) attrs.push(`AVERAGE-BANDWIDTH=${Math.max(1, Math.round(v.averageBandwidth))}`);
    if (v.codecs.length > 0) attrs.push(`CODECS=${quoted(v.codecs.join(','))}`);
    if (v.resolution) attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
    if (v.frameRate !== undefined && Number.isFinite(v.frameRate) && v.frameRate > 0) {
      attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    }
    if (v.audioGroup) attrs.push(`AUDIO=${quoted(v.audioGroup)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`);
    lines.push(v.uri + sfx);
  }
  lines.push('');
  return lines.join('\n');
}
