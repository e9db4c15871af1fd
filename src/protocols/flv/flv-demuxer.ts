/** One publisher's FLV media: video + audio tag demuxers with once-per-kind warnings. */
import type { FrameSink } from '../../media/frame.js';
import type { Slab } from '../slab-pool.js';
import { FlvAudioDemuxer } from './flv-audio-demuxer.js';
import { FlvVideoDemuxer } from './flv-video-demuxer.js';

export interface FlvDemuxSink extends FrameSink {
  /** called once per distinct kind of dropped media (unsupported codec, frames before config) */
  onWarning?(message: string): void;
}

export class FlvDemuxer {
  readonly video: FlvVideoDemuxer;
  readonly audio: FlvAudioDemuxer;
  private readonly warned = new Set<string>();

  constructor(sink: FlvDemuxSink) {
    const inner = {
      onConfig: sink.onConfig.bind(sink),
      onFrame: sink.onFrame.bind(sink),
      onWarning: (key: string, message: string): void => {
        if (this.warned.has(key) || this.warned.size > 64) return;
        this.warned.add(key);
        sink.onWarning?.(message);
      },
    };
    this.video = new FlvVideoDemuxer(inner);
    this.audio = new FlvAudioDemuxer(inner);
  }

  /** `slab`: the recycled slab `body` lies in, passed on with the frames that are views of it (frame.ts) */
  pushVideo(body: Buffer, ms: number, slab: Slab | null = null): void {
    this.video.push(body, ms, slab);
  }

  pushAudio(body: Buffer, ms: number, slab: Slab | null = null): void {
    this.audio.push(body, ms, slab);
  }
}
