/**
 * LocalSegmentStore on a real file system: whole-object puts (buffer lists, atomic replace), get/range/head,
 * prefix listing and deletion, key validation (no way out of the root), and a full disk (a 64 KiB tmpfs when
 * the test may mount one, plus an injected ENOSPC that needs no privileges).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { registry } from '../../../src/metrics.js';
import { LocalSegmentStore, type SegmentFs } from '../../../src/store/local-segment-store.js';
import {
  SegmentStoreFullError, SegmentStoreKeyError, SegmentStoreRangeError, segmentKeys,
} from '../../../src/store/segment-store.js';

const base = mkdtempSync(join(tmpdir(), 'onair-segstore-'));
after(() => rmSync(base, { recursive: true, force: true }));

/** onair_segment_store_writes_total{outcome="full"} */
async function fullWrites(): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === 'onair_segment_store_writes_total');
  return (m?.values as { labels: { outcome?: string }; value: number }[] | undefined)?.find((v) => v.labels.outcome === 'full')?.value ?? 0;
}

let n = 0;
const freshStore = (opts: ConstructorParameters<typeof LocalSegmentStore>[1] = {}) => new LocalSegmentStore(join(base, `s${n++}`, 'media'), opts);

/** every file under dir, relative, including hidden ones */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1)).sort();
}

describe('LocalSegmentStore', () => {
  test('put a buffer list, get it back whole; head gives the size; a second put replaces it', async () => {
    const s = freshStore();
    const key = segmentKeys.segment('9f1c2d3e-aaaa-4bbb-8ccc-0123456789ab', 'r0', 7);
    assert.equal(key, 'media/9f1c2d3e-aaaa-4bbb-8ccc-0123456789ab/r0/seg-7.m4s');
    const parts = [Buffer.from('moof-1'), Buffer.alloc(0), Buffer.from('mdat-one'), Buffer.from('|tail')];
    await s.put(key, parts);
    assert.deepEqual(await s.get(key), Buffer.concat(parts));
    assert.equal(await s.head(key), Buffer.concat(parts).length);
    await s.put(key, Buffer.from('v2'));
    assert.deepEqual(await s.get(key), Buffer.from('v2'));
    assert.equal(await s.head(key), 2);
    // no temp files left behind
    assert.deepEqual(filesUnder(s.root), [key]);
  });

  test('a list of more buffers than writev takes at once is written in order', async () => {
    const s = freshStore();
    const parts = Array.from({ length: 2500 }, (_, i) => Buffer.from(`${i},`));
    await s.put('big/obj', parts);
    assert.equal((await s.get('big/obj'))!.toString(), parts.map((p) => p.toString()).join(''));
  });

  test('missing objects: get/head/getRange answer undefined, delete is a no-op', async () => {
    const s = freshStore();
    assert.equal(await s.get('media/x/r0/seg-1.m4s'), undefined);
    assert.equal(await s.head('media/x/r0/seg-1.m4s'), undefined);
    assert.equal(await s.getRange('media/x/r0/seg-1.m4s', 0, 10), undefined);
    await s.delete('media/x/r0/seg-1.m4s');
    assert.deepEqual(await s.list(''), []);
  });

  test('getRange follows HTTP Range semantics', async () => {
    const s = freshStore();
    const data = Buffer.from('0123456789');
    await s.put('a/b', data);
    assert.equal((await s.getRange('a/b', 0, 0))!.toString(), '0');
    assert.equal((await s.getRange('a/b', 2, 5))!.toString(), '2345');
    assert.equal((await s.getRange('a/b', 7, 1_000_000))!.toString(), '789', 'end past the object is clamped');
    assert.equal((await s.getRange('a/b', 9, 9))!.toString(), '9');
    await assert.rejects(s.getRange('a/b', 10, 12), (e: unknown) => e instanceof SegmentStoreRangeError && e.size === 10);
    await assert.rejects(s.getRange('a/b', 5, 4), SegmentStoreRangeError);
    await assert.rejects(s.getRange('a/b', -1, 4), SegmentStoreRangeError);
  });

  test('list is a plain string prefix, sorted; deletePrefix removes exactly those keys', async () => {
    const s = freshStore();
    const keys = [
      'media/m1/r0/init-0.mp4', 'media/m1/r0/seg-0.m4s', 'media/m1/r0/seg-1.m4s', 'media/m1/r1/seg-0.m4s',
      'media/m10/r0/seg-0.m4s', 'media/m2/r0/seg-0.m4s', 'other/thing',
    ];
    for (const k of keys) await s.put(k, Buffer.from(k));
    assert.deepEqual(await s.list(''), [...keys].sort());
    assert.deepEqual(await s.list('media/m1/'), keys.slice(0, 4));
    assert.deepEqual(await s.list('media/m1'), keys.slice(0, 5), 'm1 is a string prefix of m10 too');
    assert.deepEqual(await s.list('media/m1/r0/seg-'), ['media/m1/r0/seg-0.m4s', 'media/m1/r0/seg-1.m4s']);
    assert.deepEqual(await s.list('nothing/here/'), []);

    assert.equal(await s.deletePrefix('media/m1/r0/seg-'), 2);
    assert.deepEqual(await s.list('media/m1/'), ['media/m1/r0/init-0.mp4', 'media/m1/r1/seg-0.m4s']);
    assert.equal(await s.deletePrefix(segmentKeys.mediaPrefix('m1')), 2);
    assert.equal(existsSync(join(s.root, 'media', 'm1')), false, 'the media directory is gone');
    assert.deepEqual(await s.list(''), ['media/m10/r0/seg-0.m4s', 'media/m2/r0/seg-0.m4s', 'other/thing']);
    // writing again under a deleted directory works (the store must not trust its cache of made directories)
    await s.put('media/m1/r0/seg-5.m4s', Buffer.from('again'));
    assert.equal((await s.get('media/m1/r0/seg-5.m4s'))!.toString(), 'again');
    await assert.rejects(s.deletePrefix(''), SegmentStoreKeyError, 'deleting everything by accident is refused');
  });

  test('keys that could escape the root or are not object keys are refused before touching the disk', async () => {
    const s = freshStore();
    writeFileSync(join(base, 'secret'), 'outside');
    const bad = ['', '/abs', '../secret', 'a/../../secret', 'a//b', 'a/./b', 'a/.hidden', '.tmp', 'a\\..\\b', 'a/b/', 'sp ace', 'nul\u0000', 'é', 'x'.repeat(1025)];
    for (const k of bad) {
      await assert.rejects(s.put(k, Buffer.from('x')), SegmentStoreKeyError, `put ${JSON.stringify(k)}`);
      await assert.rejects(s.get(k), SegmentStoreKeyError, `get ${JSON.stringify(k)}`);
      await assert.rejects(s.head(k), SegmentStoreKeyError);
      await assert.rejects(s.delete(k), SegmentStoreKeyError);
    }
    for (const p of ['../', '/', 'a/../', 'a/.', '..']) {
      await assert.rejects(s.list(p), SegmentStoreKeyError, `list ${p}`);
      await assert.rejects(s.deletePrefix(p), SegmentStoreKeyError, `deletePrefix ${p}`);
    }
    assert.throws(() => segmentKeys.segment('../x', 'r0', 1), SegmentStoreKeyError);
    assert.throws(() => segmentKeys.init('m', 'a/b', 0), SegmentStoreKeyError);
    assert.equal((await fsp.readFile(join(base, 'secret'))).toString(), 'outside');
    assert.deepEqual(filesUnder(s.root), []);
  });

  test('temp files of puts in progress (or of a crash) are never listed or read', async () => {
    const s = freshStore();
    await s.put('media/m/r0/seg-0.m4s', Buffer.from('ok'));
    // what a kill -9 between write and rename leaves behind
    writeFileSync(join(s.root, 'media', 'm', 'r0', '.seg-1.m4s.abcdef.tmp'), 'half');
    assert.deepEqual(await s.list('media/m/'), ['media/m/r0/seg-0.m4s']);
    assert.equal(await s.get('media/m/r0/seg-1.m4s'), undefined);
    assert.equal(await s.deletePrefix('media/m/'), 1);
    assert.equal(existsSync(join(s.root, 'media', 'm')), false, 'deletePrefix of a directory takes the stray temp file too');
  });

  test('concurrent puts of one key leave one whole object (last rename wins), never a mix', async () => {
    const s = freshStore({ fsync: true });
    const a = Buffer.alloc(256 * 1024, 0x61);
    const b = Buffer.alloc(256 * 1024, 0x62);
    await Promise.all([s.put('k/v', [a, a]), s.put('k/v', [b, b]), s.put('k/v', [a, a])]);
    const got = (await s.get('k/v'))!;
    assert.equal(got.length, 512 * 1024);
    assert.ok(got.every((x) => x === got[0]), 'one writer\'s bytes only');
    assert.deepEqual(filesUnder(s.root), ['k/v']);
  });

  test('ENOSPC from the file system becomes SegmentStoreFullError and leaves nothing under the key (injected)', async () => {
    let budget = 10;
    const failing: SegmentFs = {
      ...fsp,
      open: (async (...args: Parameters<typeof fsp.open>) => {
        const fh = await fsp.open(...args);
        const writev = fh.writev.bind(fh);
        fh.writev = (async (bufs: NodeJS.ArrayBufferView[]) => {
          const total = bufs.reduce((x, y) => x + y.byteLength, 0);
          if (total > budget) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          budget -= total;
          return writev(bufs);
        }) as typeof fh.writev;
        return fh;
      }) as typeof fsp.open,
    };
    const s = freshStore({ fs: failing });
    const fullBefore = await fullWrites();
    await s.put('m/seg-0', Buffer.from('small'));
    await assert.rejects(s.put('m/seg-1', [Buffer.from('this one'), Buffer.from(' is too big')]), (e: unknown) => {
      assert.ok(e instanceof SegmentStoreFullError);
      assert.equal(e.key, 'm/seg-1');
      assert.match(e.message, /full.*ENOSPC/);
      return true;
    });
    assert.equal(await s.head('m/seg-1'), undefined);
    assert.deepEqual(filesUnder(s.root), ['m/seg-0'], 'the temp file was removed');
    assert.equal(await fullWrites(), fullBefore + 1, 'the operator sees it in /metrics');
  });

  test('a real full disk (64 KiB tmpfs): SegmentStoreFullError, no torn object, earlier objects intact', async (t) => {
    const mnt = join(base, 'tiny');
    await fsp.mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      // not root / no CAP_SYS_ADMIN: the injected ENOSPC test above covers the mapping
      t.diagnostic('cannot mount a tmpfs here; the real-disk full case did not run');
      return;
    }
    try {
      const s = new LocalSegmentStore(join(mnt, 'media'));
      const chunk = Buffer.alloc(16 * 1024, 1);
      const written: string[] = [];
      let full: unknown;
      for (let i = 0; i < 20 && full === undefined; i++) {
        const key = `media/m/r0/seg-${i}.m4s`;
        try {
          await s.put(key, [chunk, chunk]);
          written.push(key);
        } catch (err) {
          full = err;
          assert.equal(await s.head(key), undefined, 'nothing under the failed key');
        }
      }
      assert.ok(full instanceof SegmentStoreFullError, `expected SegmentStoreFullError, got ${String(full)}`);
      assert.ok(written.length >= 1 && written.length < 20);
      assert.deepEqual(await s.list('media/m/'), written.sort());
      for (const k of written) assert.equal(await s.head(k), 32 * 1024);
      assert.equal(filesUnder(join(mnt, 'media')).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left');
      // space freed: writes work again
      await s.deletePrefix('media/m/');
      await s.put('media/m/r0/seg-0.m4s', [chunk]);
      assert.equal(await s.head('media/m/r0/seg-0.m4s'), 16 * 1024);
    } finally {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    }
  });
});
