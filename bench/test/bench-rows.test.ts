/** Parsers and arithmetic of the issue 8/9 rows: next blocking part, last part duration, DVR memory slope. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { lastPartDuration, nextPart } from '../db-stall.js';
import { slope } from '../dvr-memory.js';

const playlist = [
  '#EXTM3U',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-MEDIA-SEQUENCE:100',
  '#EXT-X-PART:DURATION=0.2,URI="p100.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PART:DURATION=0.2,URI="p100.1.m4s"',
  '#EXTINF:1.0,',
  'seg-100.m4s',
  '#EXT-X-PART:DURATION=0.2,URI="p101.0.m4s",INDEPENDENT=YES',
  '#EXTINF:1.0,',
  'seg-101.m4s',
  '#EXT-X-PART:DURATION=0.2,URI="p102.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PART:DURATION=0.16667,URI="p102.1.m4s"',
  '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p102.2.m4s"',
  '',
].join('\n');

test('nextPart: the open segment (sequence + full segments) and the part after the listed ones', () => {
  assert.deepEqual(nextPart(playlist), { msn: 102, part: 2 });
  // right after a segment closed: part 0 of the next msn
  const closed = playlist.split('\n').slice(0, 10).join('\n');
  assert.deepEqual(nextPart(closed), { msn: 102, part: 0 });
  assert.equal(nextPart('#EXTM3U\n'), undefined);
});

test('lastPartDuration: the newest EXT-X-PART DURATION', () => {
  assert.equal(lastPartDuration(playlist), 0.16667);
  assert.equal(lastPartDuration('#EXTM3U\n#EXTINF:1,\ns.ts\n'), undefined);
});

test('slope: least squares, flat and rising series', () => {
  assert.equal(slope([[0, 5], [1, 5], [2, 5]]), 0);
  assert.ok(Math.abs(slope([[0, 1], [1, 3], [2, 5], [3, 7]]) - 2) < 1e-9);
  assert.ok(Number.isNaN(slope([[1, 1]])));
});
