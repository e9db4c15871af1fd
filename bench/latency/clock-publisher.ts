/** Generates 640x360 grey frames stamped with the wall clock at 30 fps and publishes them via ffmpeg (x264 zerolatency): FLV over RTMP, or MPEG-TS over SRT for srt:// URLs. */
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, stopChild } from '../lib/child-registry.js';
import { muxerFor } from '../lib/publisher.js';
import { FRAME_HEIGHT, FRAME_WIDTH, drawClock } from './frame-clock.js';

const FPS = 30;

export class ClockPublisher {
  private readonly child: ChildProcess;
  private timer: NodeJS.Timeout | undefined;
  private frames = 0;
  private dropped = 0;
  private readonly startedAt = Date.now();
  private stderrTail = '';

  /** Stops by itself after `maxSeconds` (frame count bound), whatever happens to the caller. */
  constructor(readonly url: string, readonly maxSeconds: number) {
    this.child = spawnTracked('ffmpeg', [
      '-hide_banner', '-nostats', '-loglevel', 'warning',
      '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${FRAME_WIDTH}x${FRAME_HEIGHT}`, '-r', String(FPS), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-b:v', '1500k',
      ...(muxerFor(url) === 'flv' ? ['-f', 'flv', '-flvflags', 'no_duration_filesize'] : ['-f', 'mpegts']), url,
    ], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.stderrTail = (this.stderrTail + chunk.toString()).slice(-600); });
    this.child.stdin?.on('error', () => { /* ffmpeg went away; exited() tells */ });
    this.tick();
  }

  /** Writes every frame that is due by now (frame k is due at start + k/FPS), each stamped with the time it is written. */
  private tick(): void {
    const maxFrames = this.maxSeconds * FPS;
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || this.frames >= maxFrames) {
      stdin?.end();
      return;
    }
    const due = Math.floor(((Date.now() - this.startedAt) * FPS) / 1000) + 1;
    // Never queue a backlog: if the encoder is behind, skip to the present (stale clocks would inflate latency).
    if (due - this.frames > 2) {
      this.dropped += due - this.frames - 1;
      this.frames = due - 1;
    }
    while (this.frames < due && stdin.writableLength < FRAME_WIDTH * FRAME_HEIGHT * 3) {
      const frame = Buffer.alloc(FRAME_WIDTH * FRAME_HEIGHT, 128);
      // A moving bar under the clock so consecutive frames differ.
      const barX = (this.frames * 8) % (FRAME_WIDTH - 40);
      for (let y = 200; y < 260; y++) frame.fill(60, y * FRAME_WIDTH + barX, y * FRAME_WIDTH + barX + 40);
      drawClock(frame, Date.now());
      stdin.write(frame);
      this.frames++;
    }
    const nextDue = this.startedAt + ((this.frames) * 1000) / FPS;
    this.timer = setTimeout(() => this.tick(), Math.max(1, nextDue - Date.now()));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get stats(): { frames: number; dropped: number; lastError: string } {
    return { frames: this.frames, dropped: this.dropped, lastError: this.stderrTail.trim().split('\n').slice(-2).join(' | ') };
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.child.stdin?.end();
    await stopChild(this.child, 1500);
  }
}
