/** LivePackager under hostile timing: seeded random jitter, backward jumps, reordering, config flips. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../../src/media/frame.js';
import { LivePackager, type LivePart } from '../../../src/media/packager/index.js';
import { findBox, makeClip, readBoxes } from './media-fixture.js';
import { mulberry32 } from '../../helpers/prng.js';


test('random timestamp damage never throws, never hangs, and tfdt stays monotonic per track', () => {
  const clip = makeClip({ seconds: 3 });
  const rnd = mulberry32(7);
  for (let run = 0; run < 40; run++) {
    const p = new LivePackager({ firstMsn: 0 });
    const last = new Map<number, number>();
    p.on('part', (part: LivePart) => {
      for (const traf of findBox(readBoxes(part.data), 'moof')!.children.filter((b) => b.type === 'traf')) {
        const id = findBox(traf.children, 'tfhd')!.payload.readUInt32BE(4);
        const t = Number(findBox(traf.children, 'tfdt')!.payload.readBigUInt64BE(4));
        assert.ok(t >= (last.get(id) ?? 0), `run ${run}: track ${id} tfdt went back ${last.get(id)} -> ${t}`);
        last.set(id, t);
      }
    });
    for (const c of clip.configs) p.onConfig(c);
    let shift = 0;
    for (const f of clip.frames) {
      const r = rnd();
      if (r < 0.01) shift -= Math.floor(rnd() * 5 * 90_000); // backward jump
      else if (r < 0.015) shift += Math.floor(rnd() * 20 * 90_000); // huge forward jump
      else if (r < 0.02) p.discontinuity();
      else if (r < 0.022) p.onConfig({ ...clip.configs[0]!, width: 100 + Math.floor(rnd() * 3) } as typeof clip.configs[0]);
      const jitter = Math.floor(rnd() * 180) - 90;
      const frame: MediaFrame = { ...f, dts: f.dts + shift + jitter, pts: f.pts + shift + jitter, keyframe: f.keyframe || rnd() < 0.02 };
      p.onFrame(frame);
    }
    p.end();
    assert.ok(p.isEnded);
    assert.match(p.mediaPlaylist(), /#EXT-X-ENDLIST/);
  }
});
