/** Playback URL parsing: the known forms, and seeded random/mutated paths never throw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlaybackPath } from '../../../src/playback/playback-path.js';
import { mulberry32 } from '../../helpers/prng.js';


test('known URL forms', () => {
  assert.deepEqual(parsePlaybackPath('/abc-1.m3u8'), { playbackId: 'abc-1', file: { kind: 'multivariant' } });
  assert.deepEqual(parsePlaybackPath('/abc/media.m3u8'), { playbackId: 'abc', file: { kind: 'playlist' } });
  assert.deepEqual(parsePlaybackPath('/abc/init-1795569389.mp4'), { playbackId: 'abc', file: { kind: 'init', id: 1795569389 } });
  assert.deepEqual(parsePlaybackPath('/abc/seg-12.m4s'), { playbackId: 'abc', file: { kind: 'segment', msn: 12 } });
  assert.deepEqual(parsePlaybackPath('/abc/part-12.3.m4s'), { playbackId: 'abc', file: { kind: 'part', msn: 12, part: 3 } });
  for (const bad of ['/', '/abc', '/abc/', '/abc/seg-.m4s', '/abc/part-1.m4s', '/../etc/passwd', '/abc/seg-1.m4s/x', '/a b.m3u8', '/abc/media.m3u8x']) {
    assert.equal(parsePlaybackPath(bad), undefined, bad);
  }
});

test('seeded random and mutated paths: a value or undefined, never a throw', () => {
  const rnd = mulberry32(42);
  const seeds = ['/abc.m3u8', '/abc/media.m3u8', '/abc/init-3.mp4', '/abc/seg-12.m4s', '/abc/part-12.3.m4s'];
  const alphabet = '/.-_abcdefgm0123456789%?#\u0000\u00ff';
  for (let i = 0; i < 5000; i++) {
    let s = seeds[Math.floor(rnd() * seeds.length)]!;
    const ops = Math.floor(rnd() * 4);
    for (let k = 0; k < ops; k++) {
      const at = Math.floor(rnd() * (s.length + 1));
      const r = rnd();
      if (r < 0.33) s = s.slice(0, at) + s.slice(at + 1);
      else if (r < 0.66) s = s.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + s.slice(at);
      else s = s.slice(0, at);
    }
    const p = parsePlaybackPath(s);
    if (p) {
      assert.match(p.playbackId, /^[A-Za-z0-9_-]+$/);
      if ('msn' in p.file) assert.ok(Number.isSafeInteger(p.file.msn));
    }
  }
});
