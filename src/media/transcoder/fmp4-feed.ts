/**
 * The source as fragmented MP4 for ffmpeg's stdin, for codecs MPEG-TS cannot carry here (AV1): the init segment
 * once, then one moof+mdat per frame, timestamps as the source's (tfdt + composition offset). Built with onair's
 * own fMP4 writer; the payloads are the frames' buffers (no copy).
 */
import type { MediaFrame, TrackConfig } from '../frame.js';
import { buildFragment, buildInitSegment, sampleFlags, trackTimescale } from '../../protocols/fmp4/index.js';

interface Track {
  id: number;
  timescale: number;
  lastDts: number;
  duration: number;
}

export class Fmp4Feed {
  private init: Buffer | undefined;
  private seq = 1;
  private readonly tracks = new Map<string, Track>();

  constructor(configs: TrackConfig[]) {
    this.init = buildInitSegment(configs);
    configs.forEach((c, i) => {
      const timescale = trackTimescale(c);
      this.tracks.set(c.track, { id: i + 1, timescale, lastDts: Number.NaN, duration: c.track === 'video' ? Math.round(timescale / 30) : 1024 });
    });
  }

  /** The bytes carrying `frame` (preceded by the init segment the first time); [] for a track not declared. */
  frame(frame: MediaFrame): Buffer[] {
    const t = this.tracks.get(frame.track);
    if (!t) return [];
    const dts = Math.round((frame.dts * t.timescale) / 90_000);
    if (!Number.isNaN(t.lastDts) && dts > t.lastDts) t.duration = dts - t.lastDts;
    t.lastDts = dts;
    const chunks = buildFragment(this.seq++, [{
      trackId: t.id,
      baseDecodeTime: dts,
      samples: [{ duration: t.duration, size: frame.data.length, flags: sampleFlags(frame.keyframe), cto: Math.round(((frame.pts - frame.dts) * t.timescale) / 90_000) }],
      data: [frame.data],
    }]);
    if (this.init) {
      chunks.unshift(this.init);
      this.init = undefined;
    }
    return chunks;
  }
}
