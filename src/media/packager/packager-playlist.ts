/** Turns the packager's window (segments, open segment) into the media playlist model. */
import type { MediaPlaylist, PlaylistSegment } from '../../protocols/hls/index.js';
import type { LiveSegment } from './live-segment.js';
import type { ResolvedPackagerOptions } from './packager-options.js';
import { initName, partName, segmentName } from './uri-names.js';

export interface WindowState {
  /** complete segments in the playlist, oldest first */
  listed: LiveSegment[];
  open: LiveSegment | undefined;
  /** msn the next segment will get (for the preload hint while waiting for a keyframe) */
  nextMsn: number;
  discontinuitySequence: number;
  ended: boolean;
}

const SECONDS = 90_000;

function toPlaylistSegment(s: LiveSegment, withParts: boolean): PlaylistSegment {
  return {
    duration: s.ticks / SECONDS,
    uri: segmentName(s.msn),
    programDateTime: s.programDateTime,
    discontinuity: s.discontinuity,
    mapUri: initName(s.initId),
    parts: withParts
      ? s.parts.map((p) => ({ duration: p.ticks / SECONDS, uri: partName(p.msn, p.index), independent: p.independent }))
      : [],
  };
}

export function buildMediaPlaylist(w: WindowState, o: ResolvedPackagerOptions, uriSuffix: string): MediaPlaylist {
  // Parts are listed only near the live edge: RFC 8216bis lets a server remove Partial Segments
  // once they are more than three Target Durations from the end of the Playlist.
  const partWindow = 3 * o.targetDurationS * SECONDS;
  let fromEdge = w.open?.ticks ?? 0;
  const segments: PlaylistSegment[] = new Array(w.listed.length);
  for (let i = w.listed.length - 1; i >= 0; i--) {
    const s = w.listed[i]!;
    segments[i] = toPlaylistSegment(s, fromEdge < partWindow);
    fromEdge += s.ticks;
  }
  const partTarget = o.partTarget / SECONDS;
  const pl: MediaPlaylist = {
    targetDuration: o.targetDurationS,
    partTarget,
    mediaSequence: w.listed[0]?.msn ?? w.open?.msn ?? w.nextMsn,
    discontinuitySequence: w.discontinuitySequence,
    // "PART-HOLD-BACK ... MUST be at least twice the Part Target Duration ... SHOULD be at least three
    // times"; "HOLD-BACK ... MUST be at least three times the Target Duration".
    partHoldBack: 3 * partTarget,
    holdBack: 3 * o.targetDurationS,
    canBlockReload: true,
    segments,
    ended: w.ended,
    uriSuffix,
  };
  if (!w.ended) {
    if (w.open) {
      pl.open = toPlaylistSegment(w.open, true);
      pl.preloadHintUri = partName(w.open.msn, w.open.parts.length);
    } else if (w.listed.length > 0) {
      pl.preloadHintUri = partName(w.nextMsn, 0);
    }
  }
  return pl;
}
