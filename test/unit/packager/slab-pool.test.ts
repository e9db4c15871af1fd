/** Recycled window memory (src/protocols/slab-pool.ts): references, reuse, and that nothing pinned is reused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LivePackager, type ClosedSegment, type LivePart } from '../../../src/media/packager/index.js';
import { SLAB_BYTES, SLAB_MAX_PIECE, SlabCursor, releaseSlab, retainSlab, slabPool } from '../../../src/protocols/slab-pool.js';
import { registry } from '../../../src/metrics.js';
import { makeClip, type Clip } from './media-fixture.js';

slabPool.poison = true;
/** slabs taken from the pool and not given back */
const held = (): number => slabPool.inUse;

function feed(p: LivePackager, clip: Clip, shift = 0): void {
  for (const c of clip.configs) p.onConfig(c);
  for (const f of clip.frames) p.onFrame({ ...f, dts: f.dts + shift, pts: f.pts + shift });
}

test('a cursor carves pieces from one slab; the slab goes back to the pool with its last reference, poisoned', () => {
  const before = held();
  const c = new SlabCursor();
  const a = c.carve(1000);
  const sa = c.slab!;
  const b = c.carve(2000);
  assert.equal(c.slab, sa, 'same slab');
  assert.equal(a.buffer, b.buffer);
  assert.ok(b.byteOffset >= a.byteOffset + 1000, 'pieces do not overlap');
  assert.equal(sa.refs, 3, 'the cursor and two pieces');
  const big = c.carve(SLAB_MAX_PIECE + 1);
  assert.equal(c.slab, null, 'a large piece gets a buffer of its own');
  assert.equal(big.length, SLAB_MAX_PIECE + 1);
  a.fill(1);
  releaseSlab(sa);
  c.close();
  assert.equal(sa.refs, 1);
  assert.equal(held(), before + 1, 'still held by piece b');
  retainSlab(sa); // a reader pins b
  releaseSlab(sa); // b leaves the window
  assert.equal(held(), before + 1, 'the reader still holds it');
  assert.equal(a[0], 1, 'not poisoned while held');
  releaseSlab(sa);
  assert.equal(held(), before, 'returned to the pool');
  assert.equal(a[0], 0xee, 'poisoned when freed');
  assert.throws(() => releaseSlab(sa), /released more often than retained/);
  sa.refs = 0;
  // the next slab comes from the free list
  const c2 = new SlabCursor();
  c2.carve(10);
  const s2 = c2.slab!;
  assert.equal(s2.buf.length, SLAB_BYTES);
  c2.close();
  releaseSlab(s2);
});

test('a packager recycles its window: pinned parts keep their bytes, everything returns after dispose', async () => {
  const before = held();
  const recycledBefore = slabPool.recycled;
  const closed: ClosedSegment[] = [];
  const p = new LivePackager({ firstMsn: 0, windowSegments: 3, retainSegments: 1, onSegment: (s) => closed.push(s) });
  const parts: LivePart[] = [];
  p.on('part', (x: LivePart) => parts.push(x));
  const clip = makeClip({ seconds: 6 }); // parts of ~20 KB: carved from slabs
  feed(p, clip);
  // a viewer pins the first part (its response is still being written)
  const pinned = parts[0]!;
  pinned.retain();
  const copy = Buffer.from(pinned.data);
  // the recorder is done with the first segments at once, keeps the last one's parts
  for (const s of closed) s.release();
  closed.length = 0;
  for (let i = 1; i <= 8; i++) feed(p, clip, i * 6 * 90_000);
  for (const s of closed.slice(0, -1)) s.release();
  assert.equal(p.getPart(0, 0), undefined, 'the first part left the window');
  assert.deepEqual(pinned.data, copy, 'a pinned part is never reused, however much media came after it');
  assert.ok(slabPool.recycled > recycledBefore, 'slabs were reused by the packager itself');
  const last = closed[closed.length - 1]!;
  const lastBytes = Buffer.concat(last.parts);
  p.dispose(); // (ends the packager: its last segment goes to the recorder too)
  for (const s of closed) if (s !== last) s.release();
  assert.equal(p.getSegment(last.msn), undefined, 'a disposed packager serves nothing');
  assert.deepEqual(Buffer.concat(last.parts), lastBytes, 'the recorder\'s segment survives dispose until it releases it');
  assert.ok(held() > before, 'the pinned part and the recorder\'s segment hold slabs');
  last.release();
  last.release(); // a second call is a no-op
  pinned.release();
  assert.equal(held(), before, 'every slab went back: nothing leaks across a session');
  assert.equal(pinned.data[0], 0xee, 'freed memory is poisoned (a reader that did not pin would send garbage)');
  const metrics = await registry.metrics();
  assert.match(metrics, /^onair_packager_slab_bytes\{state="free"\} [1-9]\d*$/m);
  assert.match(metrics, /^onair_packager_slabs_recycled_total [1-9]\d*$/m);
});

test('frames that ingest assembled in recycled slabs are kept by reference, and survive ingest reusing its slab', () => {
  const before = held();
  const clip = makeClip({ seconds: 6 });
  const reference = new LivePackager({ firstMsn: 0, windowSegments: 10 });
  feed(reference, clip);
  reference.end();
  const p = new LivePackager({ firstMsn: 0, windowSegments: 10 });
  const ingest = new SlabCursor();
  for (const c of clip.configs) p.onConfig(c);
  let kept = 0;
  for (const f of clip.frames) {
    // as the RTMP connection does: the message's piece, handed over with its slab, released after the call
    const data = ingest.carve(f.data.length);
    f.data.copy(data);
    const slab = ingest.slab!;
    const refs = slab.refs;
    p.onFrame({ ...f, data, slab });
    if (slab.refs === refs + 1) kept++;
    releaseSlab(slab);
  }
  ingest.close();
  assert.ok(kept > clip.frames.length * 0.9, `the packager retained the slab of (almost) every frame instead of copying: ${kept}/${clip.frames.length}`);
  p.end();
  // every part is byte-identical to the one built from frames in their own buffers (none was overwritten by reuse)
  const reader = (x: LivePackager) => {
    const out: Buffer[] = [];
    for (let msn = 0; ; msn++) {
      const seg = x.getSegment(msn);
      if (!seg) return out;
      out.push(Buffer.concat(seg));
    }
  };
  const got = reader(p);
  const want = reader(reference);
  assert.ok(want.length >= 2);
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    // (fragment sequence numbers and dates match: same input, same options)
    assert.ok(g.equals(want[i]!), `segment ${i} differs`);
  });
  p.dispose();
  reference.dispose();
  assert.equal(held(), before, 'the ingest slabs went back once their parts were built');
});
