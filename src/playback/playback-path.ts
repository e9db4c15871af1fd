/** Parses playback URLs: /{playbackId}.m3u8 and /{playbackId}/{media file} (see media/packager/uri-names). */
import { parseMediaFileName, type MediaFileName } from '../media/packager/uri-names.js';

export type PlaybackPath =
  | { playbackId: string; file: { kind: 'multivariant' } }
  | { playbackId: string; file: MediaFileName };

const ID = '[A-Za-z0-9_-]{1,128}';
const MULTIVARIANT_RE = new RegExp(`^/(${ID})\\.m3u8$`);
const MEDIA_RE = new RegExp(`^/(${ID})/([A-Za-z0-9.-]{1,64})$`);

export function parsePlaybackPath(pathname: string): PlaybackPath | undefined {
  const mv = MULTIVARIANT_RE.exec(pathname);
  if (mv) return { playbackId: mv[1]!, file: { kind: 'multivariant' } };
  const m = MEDIA_RE.exec(pathname);
  if (!m) return undefined;
  const file = parseMediaFileName(m[2]!);
  return file ? { playbackId: m[1]!, file } : undefined;
}
