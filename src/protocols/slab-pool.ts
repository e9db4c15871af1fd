/**
 * Recycled memory for the live window. Every byte a live stream ingests is held for a part target (queued frames)
 * and then for the window (parts); as fresh ArrayBuffers those bytes all survive the young generation, and V8
 * starts a full mark-compact of the whole heap each time 64 MB more external memory has been promoted: at a few
 * hundred streams per process that was a mark-compact every second, 30-40 % of the process's CPU, and its cost
 * grows with the heap, i.e. with the number of streams (measured with bench/profile.ts --fanout --trace-gc).
 *
 * Here the packager copies each frame into a slab when it arrives and each part into a slab when it closes; slabs
 * are 512 KiB, allocated once and reused. A slab counts references (one per queued frame or part carved from it,
 * one per reader that pinned a part, one while a cursor writes into it) and returns to the process-wide free list
 * only when the count reaches zero through explicit releases. That makes the failure mode of a missed release
 * benign: the slab is never reused and the garbage collector frees it like any Buffer. Releasing too early would
 * be the bug (a viewer sent bytes of another stream): readers pin what they write asynchronously (the playback
 * server until the response closes, the recorder until the store has the segment), and with
 * ONAIR_DEBUG_POISON_SLABS=1 (the test suite sets it) a slab is filled with 0xEE when it is freed, so a reader that
 * did not pin sends garbage that the decoding tests catch.
 */
export const SLAB_BYTES = 512 * 1024;
/**
 * Larger pieces get a Buffer of their own (garbage collected as usual). A 200 ms part of a 3 Mbit/s stream is about
 * 75 KB, the part holding its keyframe two or three times that: both fit.
 */
export const SLAB_MAX_PIECE = 256 * 1024;
/** Free slabs kept for reuse at most, 32 MiB (beyond this a freed slab is left to the garbage collector). */
const MAX_FREE = 64;

export class Slab {
  readonly buf = Buffer.allocUnsafeSlow(SLAB_BYTES);
  refs = 0;
}

class SlabPool {
  private readonly free: Slab[] = [];
  /** slabs created (in use or free), for /metrics */
  created = 0;
  recycled = 0;
  /** fill a freed slab with 0xEE (ONAIR_DEBUG_POISON_SLABS=1; the tests turn it on) */
  poison = process.env.ONAIR_DEBUG_POISON_SLABS === '1';

  take(): Slab {
    const s = this.free.pop();
    if (s !== undefined) {
      this.recycled++;
      return s;
    }
    this.created++;
    return new Slab();
  }

  give(s: Slab): void {
    if (this.poison) s.buf.fill(0xee);
    if (this.free.length < MAX_FREE) this.free.push(s);
    else this.created--;
  }

  get freeCount(): number {
    return this.free.length;
  }

  /** slabs taken from the pool and not given back (held by cursors, pieces and readers) */
  get inUse(): number {
    return this.created - this.free.length;
  }
}

export const slabPool = new SlabPool();

/** Adds a reference to `s` (a reader pins a piece carved from it). */
export function retainSlab(s: Slab): void {
  s.refs++;
}

/** Drops a reference; the last one returns the slab to the pool. */
export function releaseSlab(s: Slab): void {
  if (--s.refs === 0) slabPool.give(s);
  else if (s.refs < 0) throw new Error('slab released more often than retained');
}

/**
 * Carves pieces one after the other out of the current slab (one writer: a packager). `carve(n)` returns the
 * piece and leaves its slab in `slab` (null when the piece got a Buffer of its own); the piece holds one
 * reference, released with `releaseSlab(slab)` when the piece is no longer needed.
 */
export class SlabCursor {
  private current: Slab | null = null;
  private used = 0;
  /** the slab of the piece the last `carve` returned (null: a Buffer of its own) */
  slab: Slab | null = null;

  carve(n: number): Buffer {
    if (n > SLAB_MAX_PIECE) {
      this.slab = null;
      return Buffer.allocUnsafeSlow(n);
    }
    let s = this.current;
    if (s === null || this.used + n > SLAB_BYTES) {
      if (s !== null) releaseSlab(s);
      s = slabPool.take();
      s.refs = 1; // the cursor's own reference
      this.current = s;
      this.used = 0;
    }
    const out = s.buf.subarray(this.used, this.used + n);
    this.used += (n + 7) & ~7;
    s.refs++;
    this.slab = s;
    return out;
  }

  /** The writer is done (the stream ended): the current slab goes once its pieces are released. */
  close(): void {
    if (this.current !== null) releaseSlab(this.current);
    this.current = null;
    this.slab = null;
  }
}
