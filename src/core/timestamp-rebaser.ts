/**
 * Keeps one session's output timeline monotonic across encoder reconnects and restarts:
 * out = in + offset, with the offset re-chosen whenever the input timeline starts over.
 */
import type { MediaFrame } from '../media/frame.js';

/** The first session starts its timeline here (1 s), leaving headroom for B-frame reordering. */
const START = 90_000;
/** Gap left between the old and the new timeline on a rebase (about one frame). */
const GAP = 3_000;
/** An input jump backwards beyond this, or forwards beyond FORWARD_JUMP, is an encoder restart. */
const BACKWARD_JUMP = 90_000;
const FORWARD_JUMP = 10 * 90_000;

export class TimestampRebaser {
  private offset = 0;
  private pending = true;
  private lastOut = -Infinity;
  private readonly lastIn = { video: NaN, audio: NaN };

  /** The newest output dts so far (-Infinity before the first frame). */
  get timeline(): number {
    return this.lastOut;
  }

  /** The session continues one that another node held up to `dts`: the next frame starts after it. */
  continueFrom(dts: number): void {
    if (dts > this.lastOut) this.lastOut = dts;
    this.reconnect();
  }

  /** A new connection continues the session: the next frame opens a new input timeline. */
  reconnect(): void {
    this.pending = true;
    this.lastIn.video = NaN;
    this.lastIn.audio = NaN;
  }

  /**
   * Rewrites frame.dts/pts in place (no allocation). Returns true when the input timeline
   * started over inside a connection (an encoder restart), so outputs mark a discontinuity.
   */
  apply(frame: MediaFrame): boolean {
    let restarted = false;
    const prev = this.lastIn[frame.track];
    if (this.pending) {
      this.offset = (this.lastOut === -Infinity ? START : this.lastOut + GAP) - frame.dts;
      this.pending = false;
    } else if (prev === prev && (frame.dts < prev - BACKWARD_JUMP || frame.dts > prev + FORWARD_JUMP)) {
      this.offset = this.lastOut + GAP - frame.dts;
      restarted = true;
    }
    this.lastIn[frame.track] = frame.dts;
    frame.dts += this.offset;
    frame.pts += this.offset;
    if (frame.dts > this.lastOut) this.lastOut = frame.dts;
    return restarted;
  }
}
