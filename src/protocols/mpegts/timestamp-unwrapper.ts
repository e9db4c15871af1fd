/** Turns 33-bit wrapping 90 kHz timestamps (PTS/DTS) into one monotonic timeline per stream. */
import { TS_CLOCK_WRAP } from './ts-constants.js';

const HALF_WRAP = TS_CLOCK_WRAP / 2;

/** Signed distance from `from` to `to` on the 33-bit circle, in [-2^32, 2^32). */
export function wrappedDelta(from: number, to: number): number {
  let d = (to - from) % TS_CLOCK_WRAP;
  if (d >= HALF_WRAP) d -= TS_CLOCK_WRAP;
  else if (d < -HALF_WRAP) d += TS_CLOCK_WRAP;
  return d;
}

export class TimestampUnwrapper {
  private last: number | undefined;

  /**
   * Map a raw 33-bit value to the unwrapped value closest to the previous one, so a wrap from
   * 2^33 - 1 to 0 keeps counting up instead of jumping back ~26.5 hours.
   */
  unwrap(raw: number): number {
    const value = this.last === undefined ? raw : this.last + wrappedDelta(this.last, raw);
    this.last = value;
    return value;
  }

  reset(): void {
    this.last = undefined;
  }
}
