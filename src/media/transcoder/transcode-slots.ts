/** How many ladders may run at once (--max-transcodes): beyond it, streams are served as passthrough. */
import { availableParallelism } from 'node:os';
import { transcodeSlots } from './transcoder-metrics.js';

/** Default --max-transcodes: a 1080p three-rung ladder at x264 veryfast needs about one core in real time. */
export function defaultMaxTranscodes(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

export class TranscodeSlots {
  private inUse = 0;

  constructor(readonly max: number) {
    transcodeSlots.set(max);
  }

  get used(): number {
    return this.inUse;
  }

  tryAcquire(): boolean {
    if (this.inUse >= this.max) return false;
    this.inUse++;
    return true;
  }

  release(): void {
    if (this.inUse > 0) this.inUse--;
  }
}
