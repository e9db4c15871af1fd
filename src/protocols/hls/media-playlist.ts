/** LL-HLS media playlist writer (RFC 8216bis): segments, parts, server control, preload hint. */

export interface PlaylistPart {
  /** seconds */
  duration: number;
  uri: string;
  /** the part starts with a sync sample */
  independent: boolean;
}

export interface PlaylistSegment {
  /** seconds; ignored for the open (in-progress) segment */
  duration: number;
  /** the full segment's URI; ignored for the open segment */
  uri: string;
  /** wall clock (ms since epoch) of the segment's first frame */
  programDateTime?: number;
  discontinuity: boolean;
  /** the init segment's URI (EXT-X-MAP); written whenever it differs from the previous segment's */
  mapUri: string;
  /** parts to list (leave empty for segments older than the part window) */
  parts: PlaylistPart[];
}

export interface MediaPlaylist {
  /** integer seconds; every EXTINF rounded to the nearest integer must be <= it */
  targetDuration: number;
  /** seconds; omit for a playlist without parts */
  partTarget?: number;
  mediaSequence: number;
  discontinuitySequence: number;
  /** seconds */
  holdBack?: number;
  /** seconds */
  partHoldBack?: number;
  canBlockReload: boolean;
  /** complete segments, oldest first */
  segments: PlaylistSegment[];
  /** the segment being written: only its parts are listed */
  open?: PlaylistSegment;
  /** URI of the next part, not yet complete */
  preloadHintUri?: string;
  ended: boolean;
  /** appended to every URI (e.g. "?token=..."), already encoded */
  uriSuffix?: string;
  /** EXT-X-PLAYLIST-TYPE: EVENT (DVR: segments are only appended) or VOD (recordings, clips) */
  playlistType?: 'EVENT' | 'VOD';
}

const fmt = (seconds: number): string => seconds.toFixed(5);

function writeParts(lines: string[], parts: PlaylistPart[], sfx: string): void {
  for (const p of parts) {
    lines.push(`#EXT-X-PART:DURATION=${fmt(p.duration)},URI="${p.uri}${sfx}"${p.independent ? ',INDEPENDENT=YES' : ''}`);
  }
}

function writeSegmentHead(lines: string[], s: PlaylistSegment, lastMap: string | undefined, sfx: string): string {
  if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  if (s.mapUri !== lastMap) lines.push(`#EXT-X-MAP:URI="${s.mapUri}${sfx}"`);
  if (s.programDateTime !== undefined) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
  }
  return s.mapUri;
}

export function writeMediaPlaylist(pl: MediaPlaylist): string {
  const sfx = pl.uriSuffix ?? '';
  const lines: string[] = [
    '#EXTM3U',
    // "A Playlist MUST indicate a EXT-X-VERSION of 6 or higher if it contains ... the EXT-X-MAP tag
    // in a Media Playlist that does not contain EXT-X-I-FRAMES-ONLY."
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${pl.targetDuration}`,
  ];
  if (pl.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${pl.playlistType}`);
  if (pl.partTarget !== undefined) {
    const control = ['CAN-BLOCK-RELOAD=' + (pl.canBlockReload ? 'YES' : 'NO')];
    if (pl.partHoldBack !== undefined) control.push(`PART-HOLD-BACK=${fmt(pl.partHoldBack)}`);
    if (pl.holdBack !== undefined) control.push(`HOLD-BACK=${fmt(pl.holdBack)}`);
    lines.push(`#EXT-X-SERVER-CONTROL:${control.join(',')}`);
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${fmt(pl.partTarget)}`);
  } else if (pl.holdBack !== undefined || pl.canBlockReload) {
    const control = ['CAN-BLOCK-RELOAD=' + (pl.canBlockReload ? 'YES' : 'NO')];
    if (pl.holdBack !== undefined) control.push(`HOLD-BACK=${fmt(pl.holdBack)}`);
    lines.push(`#EXT-X-SERVER-CONTROL:${control.join(',')}`);
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${pl.mediaSequence}`);
  if (pl.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${pl.discontinuitySequence}`);

  let lastMap: string | undefined;
  for (const s of pl.segments) {
    lastMap = writeSegmentHead(lines, s, lastMap, sfx);
    writeParts(lines, s.parts, sfx);
    lines.push(`#EXTINF:${fmt(s.duration)},`);
    lines.push(s.uri + sfx);
  }
  if (pl.open && !pl.ended) {
    if (pl.open.parts.length > 0 || pl.preloadHintUri !== undefined) {
      lastMap = writeSegmentHead(lines, pl.open, lastMap, sfx);
      writeParts(lines, pl.open.parts, sfx);
    }
  }
  if (pl.preloadHintUri !== undefined && !pl.ended) {
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${pl.preloadHintUri}${sfx}"`);
  }
  if (pl.ended) lines.push('#EXT-X-ENDLIST');
  lines.push('');
  return lines.join('\n');
}
