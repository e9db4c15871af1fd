/** Test helper: a minimal media playlist reader for assertions. */

export interface ReadPart { duration: number; uri: string; independent: boolean }
export interface ReadSegment { duration: number; uri: string; parts: ReadPart[]; discontinuity: boolean; map?: string; pdt?: string }
export interface ReadPlaylist {
  tags: Map<string, string>;
  segments: ReadSegment[];
  /** parts after the last complete segment */
  openParts: ReadPart[];
  preloadHint?: string;
  ended: boolean;
}

export function readPlaylist(text: string): ReadPlaylist {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const tags = new Map<string, string>();
  const segments: ReadSegment[] = [];
  let cur: Omit<ReadSegment, 'duration' | 'uri'> = { parts: [], discontinuity: false };
  let extinf: number | undefined;
  let preloadHint: string | undefined;
  let ended = false;
  for (const l of lines) {
    if (l.startsWith('#EXT-X-PART:')) {
      const m = /DURATION=([\d.]+),URI="([^"]+)"(,INDEPENDENT=YES)?/.exec(l)!;
      cur.parts.push({ duration: Number(m[1]), uri: m[2]!, independent: !!m[3] });
    } else if (l === '#EXT-X-DISCONTINUITY') cur.discontinuity = true;
    else if (l.startsWith('#EXT-X-MAP:')) cur.map = /URI="([^"]+)"/.exec(l)![1];
    else if (l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) cur.pdt = l.slice(25);
    else if (l.startsWith('#EXTINF:')) extinf = Number(l.slice(8).replace(',', ''));
    else if (l.startsWith('#EXT-X-PRELOAD-HINT:')) preloadHint = /URI="([^"]+)"/.exec(l)![1];
    else if (l === '#EXT-X-ENDLIST') ended = true;
    else if (l.startsWith('#')) {
      const i = l.indexOf(':');
      tags.set(i < 0 ? l : l.slice(0, i), i < 0 ? '' : l.slice(i + 1));
    } else {
      segments.push({ ...cur, duration: extinf!, uri: l });
      cur = { parts: [], discontinuity: false };
      extinf = undefined;
    }
  }
  return { tags, segments, openParts: cur.parts, preloadHint, ended };
}
