/** The clock drawn by frame-clock.ts decodes back through the browser decoder source, and corruption is caught. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOCK_DECODER_JS, FRAME_HEIGHT, FRAME_WIDTH, drawClock } from '../latency/frame-clock.js';

type Decode = (luma: (x: number, y: number) => number, sx: number, sy: number) => number;
const decodeClock = new Function(`${CLOCK_DECODER_JS}; return decodeClock;`)() as Decode;

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frameWith(ms: number): Buffer {
  const frame = Buffer.alloc(FRAME_WIDTH * FRAME_HEIGHT, 128);
  drawClock(frame, ms);
  return frame;
}

test('round-trips wall-clock times at native size', () => {
  const random = mulberry32(7);
  for (let i = 0; i < 200; i++) {
    const ms = 1_700_000_000_000 + Math.floor(random() * 1e11);
    const frame = frameWith(ms);
    assert.equal(decodeClock((x, y) => frame[y * FRAME_WIDTH + x]!, 1, 1), ms);
  }
});

test('round-trips when the player shows the video scaled (1280x720) with mild noise', () => {
  const random = mulberry32(11);
  const ms = Date.now();
  const frame = frameWith(ms);
  const luma = (x: number, y: number): number => frame[Math.floor(y / 2) * FRAME_WIDTH + Math.floor(x / 2)]! + (random() - 0.5) * 60;
  assert.equal(decodeClock(luma, 2, 2), ms);
});

test('a flipped bit or a blank frame fails the check', () => {
  const random = mulberry32(3);
  let rejected = 0;
  for (let i = 0; i < 500; i++) {
    const frame = frameWith(1_750_000_000_000 + Math.floor(random() * 1e9));
    const bit = Math.floor(random() * 48);
    const x = 20 + (bit % 12) * 20 + 10;
    const y = 20 + Math.floor(bit / 12) * 20 + 10;
    const flipped = frame[y * FRAME_WIDTH + x]! > 128 ? 16 : 235;
    for (let dy = -5; dy <= 5; dy++) frame.fill(flipped, (y + dy) * FRAME_WIDTH + x - 5, (y + dy) * FRAME_WIDTH + x + 6);
    if (decodeClock((px, py) => frame[py * FRAME_WIDTH + px]!, 1, 1) === -1) rejected++;
  }
  // A single flipped bit always changes the 6-bit sum check.
  assert.equal(rejected, 500);
  assert.equal(decodeClock(() => 16, 1, 1), -1);
  assert.equal(decodeClock(() => 235, 1, 1), -1);
});
