/** Whether two track configs describe the same decoder setup (an unchanged sequence header is not a change). */
import type { TrackConfig } from '../frame.js';

export function sameTrackConfig(a: TrackConfig, b: TrackConfig): boolean {
  if (a.track === 'video' && b.track === 'video') {
    return a.codec === b.codec && a.width === b.width && a.height === b.height && a.record.equals(b.record);
  }
  if (a.track === 'audio' && b.track === 'audio') {
    return a.codec === b.codec && a.sampleRate === b.sampleRate && a.channels === b.channels && a.asc.equals(b.asc);
  }
  return false;
}
