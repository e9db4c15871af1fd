/**
 * Playlists of stored media: VOD (recordings, clips), DVR (a live session from its first segment) and instant
 * clip ranges. Pure functions over segment lists; the playback listener serves the bytes from the segment store.
 */
import { writeMediaPlaylist, writeMultivariantPlaylist, type MediaPlaylist, type PlaylistSegment } from '../protocols/hls/index.js';

/** One stored segment as the playlists see it. */
export interface StoredSegment {
  /** the number in the segment's URI (`seg-<n>.m4s`): seq for media, msn for a live session */
  n: number;
  durationS: number;
  key: string;
  /** the number in the init segment's URI (`init-<n>.mp4`) */
  initN: number;
  discontinuity: boolean;
  programDateTime?: number;
  /** seconds from the start of the recording to the start of this segment */
  startS: number;
  /**
   * No media for this rendition here (the rung was not running): listed with EXT-X-GAP so the rendition keeps
   * the recording's timeline; never served. RFC 8216bis 4.4.4.7: "The EXT-X-GAP tag indicates that the segment
   * URI to which it applies does not contain media data and SHOULD NOT be loaded by clients."
   */
  gap?: boolean;
}

export interface ClipRange {
  startS: number;
  endS: number;
}

/** Longest instant clip (FastPix: 20 minutes). */
export const MAX_CLIP_S = 20 * 60;

export class ClipRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClipRangeError';
  }
}

const TIME_RE = /^(\d{1,7}(?:\.\d{1,3})?)s?$/;

/** `start`/`end` query values: `10s` or `10` (seconds). Undefined when neither is given. */
export function parseClipRange(query: URLSearchParams, durationS: number): ClipRange | undefined {
  const start = query.get('start');
  const end = query.get('end');
  if (start === null && end === null) return undefined;
  const parse = (v: string | null, name: string, dflt: number): number => {
    if (v === null) return dflt;
    const m = TIME_RE.exec(v);
    if (!m) throw new ClipRangeError(`${name} must be a number of seconds such as 10 or 10s, not ${JSON.stringify(v.slice(0, 32))}`);
    return Number(m[1]);
  };
  const s = parse(start, 'start', 0);
  const e = parse(end, 'end', durationS);
  if (e <= s) throw new ClipRangeError(`end (${e}s) must be after start (${s}s)`);
  if (s >= durationS) throw new ClipRangeError(`start (${s}s) is past the end of the recording (${durationS.toFixed(1)}s so far)`);
  if (e - s > MAX_CLIP_S) throw new ClipRangeError(`a clip is at most ${MAX_CLIP_S / 60} minutes long; asked ${((e - s) / 60).toFixed(1)}`);
  return { startS: s, endS: Math.min(e, durationS) };
}

/** The segments overlapping the range (snapped outwards to segment boundaries). */
export function clipSegments(all: readonly StoredSegment[], r: ClipRange): StoredSegment[] {
  return all.filter((s) => s.startS < r.endS && s.startS + s.durationS > r.startS);
}

function toPlaylistSegment(s: StoredSegment, first: boolean): PlaylistSegment {
  const out: PlaylistSegment = {
    duration: s.durationS,
    uri: `seg-${s.n}.m4s`,
    discontinuity: s.discontinuity && !first,
    mapUri: `init-${s.initN}.mp4`,
    parts: [],
  };
  if (s.programDateTime !== undefined) out.programDateTime = s.programDateTime;
  return out;
}

/** A VOD (ended) or EVENT (still recording) media playlist of stored segments (gaps marked EXT-X-GAP). */
export function storedMediaPlaylist(segments: readonly StoredSegment[], ended: boolean, uriSuffix: string): string {
  let longest = 1;
  for (const s of segments) longest = Math.max(longest, s.durationS);
  const pl: MediaPlaylist = {
    targetDuration: Math.max(1, Math.ceil(longest)),
    mediaSequence: 0,
    discontinuitySequence: 0,
    canBlockReload: false,
    segments: segments.map((s, i) => toPlaylistSegment(s, i === 0)),
    ended,
    uriSuffix,
    playlistType: ended ? 'VOD' : 'EVENT',
  };
  const text = writeMediaPlaylist(pl);
  return segments.some((s) => s.gap) ? markGaps(text, segments) : text;
}

/** Put EXT-X-GAP before the EXTINF of every gap segment (the writer emits one EXTINF per segment, in order). */
function markGaps(text: string, segments: readonly StoredSegment[]): string {
  const out: string[] = [];
  let i = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXTINF:')) {
      if (segments[i]?.gap) out.push('#EXT-X-GAP');
      i++;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** A segment of one recorded rendition as its manifest rows have it (`msn`: the live media sequence number). */
export interface RecordedRow {
  msn: number;
  durationS: number;
  key: string;
  initKey: string;
  discontinuity: boolean;
  /** ms since epoch */
  programDateTime?: number;
}

/** One rendition laid on the recording's timeline. */
export interface AlignedRendition {
  /** one per reference segment, `n` = its position; segments this rendition lacks are gaps */
  segments: StoredSegment[];
  /** init keys by their URI number */
  initKeys: Map<number, string>;
  /** segments with media (not gaps) */
  recorded: number;
}

/**
 * Lays a rendition's rows on the reference timeline (the source's rows): segment i of every rendition is the
 * segment with the reference's i-th msn, which the ladder made from the same source frames (same start, same
 * PROGRAM-DATE-TIME). A msn the rendition lacks (its ffmpeg was restarting, or had not started yet) becomes an
 * EXT-X-GAP segment of the reference's duration, so every rendition has the same segment count, the same
 * discontinuities (the reference's) and the same segment start times: players switch renditions at the same
 * positions and skip to another rendition over a gap. Rows whose msn the reference lacks cannot be placed and
 * are left out (the source is recorded whenever a rung is: this does not happen in one session).
 */
export function alignRendition(reference: readonly RecordedRow[], rows: readonly RecordedRow[]): AlignedRendition {
  const byMsn = new Map<number, RecordedRow>();
  for (const r of rows) byMsn.set(r.msn, r);
  const initNs = new Map<string, number>();
  const initKeys = new Map<number, string>();
  const segments: StoredSegment[] = [];
  let t = 0;
  let recorded = 0;
  let lastInit: number | undefined;
  for (const [i, ref] of reference.entries()) {
    const own = rows === reference ? ref : byMsn.get(ref.msn);
    let seg: StoredSegment;
    if (own) {
      let n = initNs.get(own.initKey);
      if (n === undefined) {
        n = initNs.size;
        initNs.set(own.initKey, n);
        initKeys.set(n, own.initKey);
      }
      lastInit = n;
      seg = { n: i, durationS: own.durationS, key: own.key, initN: n, discontinuity: ref.discontinuity, startS: t };
      const pdt = own.programDateTime ?? ref.programDateTime;
      if (pdt !== undefined) seg.programDateTime = pdt;
      recorded++;
    } else {
      seg = { n: i, durationS: ref.durationS, key: '', initN: lastInit ?? -1, discontinuity: ref.discontinuity, startS: t, gap: true };
      if (ref.programDateTime !== undefined) seg.programDateTime = ref.programDateTime;
    }
    segments.push(seg);
    t += ref.durationS;
  }
  // leading gaps take the first init with media (their EXT-X-MAP is the one the next segment needs)
  const first = segments.find((s) => !s.gap);
  for (const s of segments) {
    if (!s.gap || s.initN >= 0) continue;
    s.initN = first?.initN ?? 0;
  }
  return { segments, initKeys, recorded };
}

/**
 * DVR: the live packager's playlist with the session's older stored segments before its window, so a player
 * can seek back to the session's first segment. Only the stored run contiguous with the window is added.
 */
export function dvrMediaPlaylist(live: MediaPlaylist, stored: readonly StoredSegment[]): string {
  const older: PlaylistSegment[] = [];
  let expect = live.mediaSequence - 1;
  for (let i = stored.length - 1; i >= 0; i--) {
    const s = stored[i]!;
    if (s.n > expect) continue;
    if (s.n !== expect) break;
    older.push(toPlaylistSegment(s, false));
    expect--;
  }
  older.reverse();
  if (older.length > 0) {
    // the first listed segment carries no DISCONTINUITY tag; discontinuities before the window are now listed
    older[0]!.discontinuity = false;
  }
  const pl: MediaPlaylist = {
    ...live,
    mediaSequence: live.mediaSequence - older.length,
    discontinuitySequence: older.length > 0 ? 0 : live.discontinuitySequence,
    segments: [...older, ...live.segments],
    playlistType: 'EVENT',
  };
  return writeMediaPlaylist(pl);
}

export interface VariantDescription {
  bandwidth: number;
  averageBandwidth?: number;
  /** RFC 6381 codec strings, one per track */
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
}

/** A one-variant multivariant playlist pointing at `media.m3u8` (plus the query the child must keep). */
export function storedMultivariant(playbackId: string, v: VariantDescription, childQuery: string, uriSuffix: string): string {
  return storedMultivariantOf([{ ...v, uri: `${playbackId}/media.m3u8${childQuery}` }], uriSuffix);
}

/** A multivariant playlist of stored renditions, in the order given (each `uri` relative to the playlist). */
export function storedMultivariantOf(variants: readonly (VariantDescription & { uri: string })[], uriSuffix: string): string {
  return writeMultivariantPlaylist({
    variants: variants.map((v) => ({
      uri: v.uri,
      bandwidth: v.bandwidth,
      ...(v.averageBandwidth !== undefined ? { averageBandwidth: v.averageBandwidth } : {}),
      codecs: v.codecs,
      ...(v.resolution ? { resolution: v.resolution } : {}),
      ...(v.frameRate !== undefined ? { frameRate: v.frameRate } : {}),
    })),
    independentSegments: true,
    uriSuffix,
  });
}

/** HTTP Range (one range of bytes): [start, endInclusive], 'invalid' (416), or undefined (whole object). */
export function parseRange(header: string | undefined, size: number): [number, number] | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'invalid';
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'invalid';
  return [start, end];
}
