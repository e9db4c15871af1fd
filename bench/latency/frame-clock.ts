/**
 * The wall clock drawn into video frames: 42 bits of Date.now() plus a 6-bit check, as a 12x4 grid of
 * 20x20 black/white blocks in the top-left of a 640x360 grey frame. The decoder is JavaScript source
 * (run in the browser page, and by the unit test through `new Function`), so both sides share one layout.
 */

export const FRAME_WIDTH = 640;
export const FRAME_HEIGHT = 360;
export const CLOCK = { x: 20, y: 20, block: 20, cols: 12, rows: 4, timeBits: 42, checkBits: 6 } as const;

/** The 6-bit check: sum of the seven 6-bit groups of the 42-bit time, xor 0b101010 (all-black or all-white fails). */
export function clockCheck(ms: number): number {
  let sum = 0;
  let rest = ms;
  for (let i = 0; i < 7; i++) {
    sum += rest % 64;
    rest = Math.floor(rest / 64);
  }
  return (sum % 64) ^ 0b101010;
}

/** The 48 bits, most significant first: time (42) then check (6). */
export function clockBits(ms: number): number[] {
  const bits: number[] = [];
  for (let i = CLOCK.timeBits - 1; i >= 0; i--) bits.push(Math.floor(ms / 2 ** i) % 2);
  const check = clockCheck(ms);
  for (let i = CLOCK.checkBits - 1; i >= 0; i--) bits.push((check >> i) & 1);
  return bits;
}

/** Draws `ms` into a grey (one byte per pixel) frame of FRAME_WIDTH x FRAME_HEIGHT. */
export function drawClock(frame: Buffer, ms: number): void {
  const bits = clockBits(ms);
  for (let b = 0; b < bits.length; b++) {
    const x0 = CLOCK.x + (b % CLOCK.cols) * CLOCK.block;
    const y0 = CLOCK.y + Math.floor(b / CLOCK.cols) * CLOCK.block;
    const value = bits[b] ? 235 : 16;
    for (let y = y0; y < y0 + CLOCK.block; y++) frame.fill(value, y * FRAME_WIDTH + x0, y * FRAME_WIDTH + x0 + CLOCK.block);
  }
}

/**
 * Browser-side decoder source. Defines `decodeClock(luma, scaleX, scaleY)` where `luma(x, y)` returns
 * 0-255 at displayed pixel (x, y) and scale maps the 640x360 layout onto the displayed size.
 * Returns the time in ms, or -1 when the check fails.
 */
export const CLOCK_DECODER_JS = `
function decodeClock(luma, scaleX, scaleY) {
  var L = ${JSON.stringify(CLOCK)};
  var bits = [];
  for (var b = 0; b < L.cols * L.rows; b++) {
    var cx = L.x + (b % L.cols) * L.block + L.block / 2;
    var cy = L.y + Math.floor(b / L.cols) * L.block + L.block / 2;
    var sum = 0, n = 0;
    for (var dy = -3; dy <= 3; dy += 3) for (var dx = -3; dx <= 3; dx += 3) {
      sum += luma(Math.round((cx + dx) * scaleX), Math.round((cy + dy) * scaleY)); n++;
    }
    bits.push(sum / n > 126 ? 1 : 0);
  }
  var ms = 0;
  for (var i = 0; i < L.timeBits; i++) ms = ms * 2 + bits[i];
  var check = 0;
  for (var j = L.timeBits; j < L.timeBits + L.checkBits; j++) check = check * 2 + bits[j];
  var s = 0, rest = ms;
  for (var k = 0; k < 7; k++) { s += rest % 64; rest = Math.floor(rest / 64); }
  return ((s % 64) ^ 42) === check ? ms : -1;
}
`;
