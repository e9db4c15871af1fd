/** The file names a stream's media playlist refers to; the playback listener parses the same names. */

export const MEDIA_PLAYLIST_NAME = 'media.m3u8';

export const initName = (id: number): string => `init-${id}.mp4`;
export const segmentName = (msn: number): string => `seg-${msn}.m4s`;
export const partName = (msn: number, part: number): string => `part-${msn}.${part}.m4s`;

export type MediaFileName =
  | { kind: 'playlist' }
  | { kind: 'init'; id: number }
  | { kind: 'segment'; msn: number }
  | { kind: 'part'; msn: number; part: number };

const NAME_RE = /^(?:(media\.m3u8)|init-(\d{1,12})\.mp4|seg-(\d{1,12})\.m4s|part-(\d{1,12})\.(\d{1,6})\.m4s)$/;

export function parseMediaFileName(name: string): MediaFileName | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  if (m[1]) return { kind: 'playlist' };
  if (m[2] !== undefined) return { kind: 'init', id: Number(m[2]) };
  if (m[3] !== undefined) return { kind: 'segment', msn: Number(m[3]) };
  return { kind: 'part', msn: Number(m[4]), part: Number(m[5]) };
}
