/** Parses playback URLs: /{playbackId}.m3u8 and /{playbackId}/{media file} (see media/packager/uri-names). */
import { parseMediaFileName, type MediaFileName } from '../media/packager/uri-names.js';

export type PlaybackPath =
  | { playbackId: string; file: { kind: 'multivariant' } }
  /** `rendition`: a transcoded rendition's files, /{playbackId}/{720p}/{media file}; absent = the source */
  | { playbackId: string; file: MediaFileName; rendition?: string }
  /** images and downloads: thumbnail.{jpg,png,webp}, spritesheet.{jpg,json}, capped-4k.mp4, audio.m4a */
  | { playbackId: string; file: { kind: 'file'; name: string } };

const FILE_RE = /^(?:thumbnail\.(?:jpg|png|webp)|spritesheet\.(?:jpg|json)|capped-4k\.mp4|audio\.m4a)$/;

const ID = '[A-Za-z0-9_-]{1,128}';
const MULTIVARIANT_RE = new RegExp(`^/(${ID})\\.m3u8$`);
const MEDIA_RE = new RegExp(`^/(${ID})/([A-Za-z0-9.-]{1,64})$`);
const RENDITION_RE = new RegExp(`^/(${ID})/(\\d{3,4}p)/([A-Za-z0-9.-]{1,64})$`);

export function parsePlaybackPath(pathname: string): PlaybackPath | undefined {
  const mv = MULTIVARIANT_RE.exec(pathname);
  if (mv) return { playbackId: mv[1]!, file: { kind: 'multivariant' } };
  const m = MEDIA_RE.exec(pathname);
  if (!m) {
    const r = RENDITION_RE.exec(pathname);
    const file = r ? parseMediaFileName(r[3]!) : undefined;
    return file ? { playbackId: r![1]!, file, rendition: r![2]! } : undefined;
  }
  const file = parseMediaFileName(m[2]!);
  if (file) return { playbackId: m[1]!, file };
  return FILE_RE.test(m[2]!) ? { playbackId: m[1]!, file: { kind: 'file', name: m[2]! } } : undefined;
}
