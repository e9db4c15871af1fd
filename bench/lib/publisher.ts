/**
 * An ffmpeg publisher looping the clip in real time (-re, -c copy), reporting how well it keeps up:
 * FLV for rtmp:// URLs, MPEG-TS for srt:// URLs.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, stopChild } from './child-registry.js';

/** The muxer a publish URL needs: MPEG-TS over SRT, FLV over RTMP. */
export function muxerFor(url: string): 'mpegts' | 'flv' {
  return url.startsWith('srt://') ? 'mpegts' : 'flv';
}

/** What a ramp needs from a publisher of one stream: an ffmpeg Publisher, or one URL of the fan-out publisher. */
export interface PublisherLike {
  readonly exited: boolean;
  readonly lastError: string;
  /** media seconds sent per wall second over the last `windowMs` (undefined until enough samples) */
  recentRate(windowMs?: number): number | undefined;
  stop(): Promise<void>;
}

interface ProgressSample {
  wallMs: number;
  mediaUs: number;
}

export class Publisher implements PublisherLike {
  private readonly child: ChildProcess;
  private readonly samples: ProgressSample[] = [];
  private pending = '';
  private stderrTail = '';
  private lastSpeed = 0;

  /** `maxSeconds` bounds the publisher even if the bench is killed before it can stop it. */
  constructor(readonly clipPath: string, readonly url: string, maxSeconds: number) {
    this.child = spawnTracked('ffmpeg', [
      '-hide_banner', '-nostats', '-loglevel', 'warning',
      '-re', '-stream_loop', '-1', '-i', clipPath,
      '-c', 'copy', '-t', String(maxSeconds),
      '-progress', 'pipe:1', '-stats_period', '1',
      // No -bsf:v h264_mp4toannexb for mpegts: the muxer inserts it itself (and with -stream_loop the explicit
      // filter breaks in ffmpeg 5.1).
      '-f', muxerFor(url), url,
    ]);
    this.child.stdout?.on('data', (chunk: Buffer) => this.onProgress(chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-600);
    });
  }

  private onProgress(text: string): void {
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      const [key, value] = line.split('=', 2) as [string, string | undefined];
      if (key === 'out_time_us' && value !== undefined && /^\d+$/.test(value)) {
        this.samples.push({ wallMs: Date.now(), mediaUs: Number(value) });
        if (this.samples.length > 120) this.samples.shift();
      } else if (key === 'speed' && value !== undefined) {
        this.lastSpeed = Number.parseFloat(value) || 0;
      }
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** ffmpeg's own cumulative speed= figure. */
  get speed(): number {
    return this.lastSpeed;
  }

  get lastError(): string {
    return this.stderrTail.trim().split('\n').slice(-2).join(' | ');
  }

  /** Media seconds sent per wall second over the last `windowMs` (undefined until enough samples). */
  recentRate(windowMs = 8000): number | undefined {
    const last = this.samples[this.samples.length - 1];
    if (!last) return undefined;
    const first = this.samples.find((sample) => last.wallMs - sample.wallMs <= windowMs);
    if (!first || last.wallMs - first.wallMs < windowMs / 2) return undefined;
    return (last.mediaUs - first.mediaUs) / 1000 / (last.wallMs - first.wallMs);
  }

  stop(): Promise<void> {
    return stopChild(this.child, 1500);
  }
}
