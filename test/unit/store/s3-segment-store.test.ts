/**
 * S3SegmentStore (AWS SDK v3) against s3rver on loopback: whole objects from buffer lists, Range reads with HTTP
 * semantics, prefix listing past one page, deletePrefix, key validation, the `--storage` URL, and the retrying
 * wrapper riding out an outage (s3rver stopped and started again) without losing or reordering writes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseS3Url, S3SegmentStore, StorageUrlError } from '../../../src/store/s3-segment-store.js';
import { RetryingSegmentStore, SegmentStoreClosedError, isTransientStoreError } from '../../../src/store/retrying-segment-store.js';
import { SegmentStoreKeyError, SegmentStoreRangeError, segmentKeys } from '../../../src/store/segment-store.js';
import { registry } from '../../../src/metrics.js';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../../helpers/s3rver.js';
import { waitFor } from '../../helpers/ports.js';

let s3: TestS3;
before(async () => { s3 = await startS3rver(); });
after(async () => { await s3.stop(); });

let n = 0;
/** a store on its own prefix of the shared bucket; SDK retries kept short so outages show quickly */
const freshStore = (maxAttempts = 2): S3SegmentStore =>
  S3SegmentStore.fromUrl(s3.storageUrl(`t${process.pid}-${n++}`), { credentials: S3RVER_CREDENTIALS, maxAttempts, connectTimeoutMs: 1000, requestTimeoutMs: 5000 });

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const vals = (m?.values ?? []) as { labels: Record<string, string | number>; value: number }[];
  return vals.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((a, v) => a + v.value, 0);
}

describe('parseS3Url', () => {
  test('bucket, prefix, endpoint (path-style), region', () => {
    assert.deepEqual(parseS3Url('s3://my-bucket/rec/site-1?endpoint=http://10.0.0.5:9000&region=eu-west-1'), {
      bucket: 'my-bucket', prefix: 'rec/site-1/', region: 'eu-west-1', forcePathStyle: true, endpoint: 'http://10.0.0.5:9000',
    });
    assert.deepEqual(parseS3Url('s3://my-bucket?region=us-east-2'), { bucket: 'my-bucket', prefix: '', region: 'us-east-2', forcePathStyle: false });
    assert.equal(parseS3Url('s3://my-bucket/p/?endpoint=https://s3.example.com/&pathStyle=false').forcePathStyle, false);
  });

  test('bad URLs get a clear error', () => {
    for (const bad of [
      'http://bucket/prefix', 's3://Bad_Bucket/x', 's3://b/x', 's3://bucket/a b', 's3://bucket/.hidden',
      's3://bucket/p?endpoint=ftp://x', 's3://bucket/p?foo=1', 's3://bucket/p?pathStyle=yes', 'not a url',
    ]) {
      assert.throws(() => parseS3Url(bad), (e: unknown) => e instanceof StorageUrlError && /invalid --storage/.test((e as Error).message), bad);
    }
  });
});

describe('S3SegmentStore on s3rver', () => {
  test('the bucket is reachable; put a buffer list, get it whole; head; a second put replaces it', async () => {
    const s = freshStore();
    await s.check();
    const key = segmentKeys.segment('9f1c2d3e-aaaa-4bbb-8ccc-0123456789ab', 'source', 7);
    const parts = [Buffer.from('moof-1'), Buffer.alloc(0), Buffer.from('mdat-one'), Buffer.from('|tail')];
    await s.put(key, parts);
    assert.deepEqual(await s.get(key), Buffer.concat(parts));
    assert.equal(await s.head(key), Buffer.concat(parts).length);
    await s.put(key, Buffer.from('v2'));
    assert.deepEqual(await s.get(key), Buffer.from('v2'));
    assert.equal(await s.head(key), 2);
    // a larger object (a 1 MiB segment of 100 parts) arrives byte-identical
    const big = Array.from({ length: 100 }, (_, i) => Buffer.alloc(10_486, i));
    await s.put('big/seg.m4s', big);
    assert.ok((await s.get('big/seg.m4s'))!.equals(Buffer.concat(big)));
    s.close();
  });

  test('missing objects: get/head/getRange answer undefined, delete is a no-op', async () => {
    const s = freshStore();
    assert.equal(await s.get('media/x/r0/seg-1.m4s'), undefined);
    assert.equal(await s.head('media/x/r0/seg-1.m4s'), undefined);
    assert.equal(await s.getRange('media/x/r0/seg-1.m4s', 0, 10), undefined);
    assert.equal(await s.getRange('media/x/r0/seg-1.m4s', 5, 1), undefined);
    await s.delete('media/x/r0/seg-1.m4s');
    assert.deepEqual(await s.list(''), []);
    s.close();
  });

  test('getRange follows HTTP Range semantics', async () => {
    const s = freshStore();
    await s.put('a/b', Buffer.from('0123456789'));
    assert.equal((await s.getRange('a/b', 0, 0))!.toString(), '0');
    assert.equal((await s.getRange('a/b', 2, 5))!.toString(), '2345');
    assert.equal((await s.getRange('a/b', 7, 1_000_000))!.toString(), '789', 'end past the object is clamped');
    assert.equal((await s.getRange('a/b', 9, 9))!.toString(), '9');
    await assert.rejects(s.getRange('a/b', 10, 12), (e: unknown) => e instanceof SegmentStoreRangeError && e.size === 10);
    await assert.rejects(s.getRange('a/b', 5, 4), (e: unknown) => e instanceof SegmentStoreRangeError && e.size === 10);
    await assert.rejects(s.getRange('a/b', -1, 4), SegmentStoreRangeError);
    s.close();
  });

  test('list and deletePrefix take a plain prefix (not a directory), across more than one page of 1000', async () => {
    const s = freshStore();
    const keys = ['media/m1/source/init-0.mp4', 'media/m1/source/seg-0.m4s', 'media/m1/source/seg-1.m4s', 'media/m10/source/seg-0.m4s', 'media/m2/x', 'dvr/s/a'];
    for (const k of keys) await s.put(k, Buffer.from(k));
    assert.deepEqual(await s.list(''), [...keys].sort());
    assert.deepEqual(await s.list('media/m1'), ['media/m1/source/init-0.mp4', 'media/m1/source/seg-0.m4s', 'media/m1/source/seg-1.m4s', 'media/m10/source/seg-0.m4s']);
    assert.deepEqual(await s.list('media/m1/'), ['media/m1/source/init-0.mp4', 'media/m1/source/seg-0.m4s', 'media/m1/source/seg-1.m4s']);
    assert.deepEqual(await s.list('media/m1/source/seg-'), ['media/m1/source/seg-0.m4s', 'media/m1/source/seg-1.m4s']);
    assert.equal(await s.deletePrefix('media/m1/'), 3);
    assert.deepEqual(await s.list('media/'), ['media/m10/source/seg-0.m4s', 'media/m2/x']);
    assert.equal(await s.deletePrefix('media/m1'), 1, 'plain prefix: m10 goes too');
    assert.deepEqual(await s.list(''), ['dvr/s/a', 'media/m2/x']);

    // 1100 objects: listing pages through ListObjectsV2, deletePrefix batches DeleteObjects by 1000
    const many = Array.from({ length: 1100 }, (_, i) => `many/k-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < many.length; i += 50) await Promise.all(many.slice(i, i + 50).map((k) => s.put(k, Buffer.from('x'))));
    assert.deepEqual(await s.list('many/'), many);
    assert.equal(await s.deletePrefix('many/'), 1100);
    assert.deepEqual(await s.list('many/'), []);
    s.close();
  });

  test('keys are validated before any request', async () => {
    const s = freshStore();
    for (const bad of ['', '../x', 'a//b', '/abs', 'a/./b', 'a/.hidden', 'a/b c', 'x'.repeat(1025)]) {
      await assert.rejects(s.put(bad, Buffer.from('x')), SegmentStoreKeyError, bad);
      await assert.rejects(s.get(bad), SegmentStoreKeyError, bad);
    }
    await assert.rejects(s.deletePrefix(''), SegmentStoreKeyError);
    await assert.rejects(s.list('../'), SegmentStoreKeyError);
    s.close();
  });

  test('stores under different URL prefixes of one bucket do not see each other', async () => {
    const a = freshStore();
    const b = freshStore();
    await a.put('media/m/source/seg-0.m4s', Buffer.from('a'));
    assert.deepEqual(await b.list(''), []);
    assert.equal(await b.get('media/m/source/seg-0.m4s'), undefined);
    assert.deepEqual(await a.list(''), ['media/m/source/seg-0.m4s']);
    a.close();
    b.close();
  });

  test('wrong credentials fail at once (permanent, not retried)', async () => {
    const s = S3SegmentStore.fromUrl(s3.storageUrl('denied'), { credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong' }, maxAttempts: 1 });
    const r = new RetryingSegmentStore(s, { baseMs: 10 });
    const err = await r.put('a/b', Buffer.from('x')).then(() => undefined, (e: unknown) => e);
    assert.ok(err, 'put with bad credentials must fail');
    assert.equal(isTransientStoreError(err), false, `a 403 is permanent: ${String(err)}`);
    s.close();
  });
});

describe('RetryingSegmentStore over S3 during an outage', () => {
  test('writes made while s3rver is down land, in order, once it is back; nothing is lost', async () => {
    const inner = freshStore(1);
    const store = new RetryingSegmentStore(inner, { baseMs: 50, capMs: 400 });
    await store.put('rec/seg-0', Buffer.from('seg-0'));
    const retriesBefore = await metric('onair_segment_store_retries_total', { op: 'put' });

    await s3.down();
    // a recorder writes its segments one after the other: the chain waits while the store is down
    const landed: number[] = [];
    let chain: Promise<void> = Promise.resolve();
    for (let i = 1; i <= 5; i++) {
      chain = chain.then(async () => {
        await store.put(`rec/seg-${i}`, [Buffer.from(`seg-`), Buffer.from(String(i))]);
        landed.push(i);
      });
    }
    await waitFor('retries while down', async () => ((await metric('onair_segment_store_retries_total', { op: 'put' })) >= retriesBefore + 2 ? true : undefined));
    assert.equal(store.inOutage, true);
    assert.deepEqual(landed, [], 'nothing can land while the store is down');
    assert.equal(await metric('onair_segment_store_outage'), 1);

    await s3.up();
    await chain;
    assert.deepEqual(landed, [1, 2, 3, 4, 5]);
    assert.equal(store.inOutage, false);
    assert.equal(await metric('onair_segment_store_outage'), 0);
    assert.deepEqual(await store.list('rec/'), ['rec/seg-0', 'rec/seg-1', 'rec/seg-2', 'rec/seg-3', 'rec/seg-4', 'rec/seg-5']);
    for (let i = 0; i <= 5; i++) assert.equal((await store.get(`rec/seg-${i}`))!.toString(), `seg-${i}`);
    inner.close();
  });

  test('close() ends a put that is waiting for the store', async () => {
    const inner = freshStore(1);
    const store = new RetryingSegmentStore(inner, { baseMs: 50, capMs: 200 });
    await s3.down();
    try {
      const p = store.put('rec/never', Buffer.from('x'));
      await waitFor('in outage', () => (store.inOutage ? true : undefined));
      store.close();
      await assert.rejects(p, SegmentStoreClosedError);
    } finally {
      await s3.up();
    }
    // what did not land is not there: the put said so
    assert.equal(await inner.head('rec/never'), undefined);
    inner.close();
  });

  test('deletes are retried a bounded number of times', async () => {
    const inner = freshStore(1);
    const store = new RetryingSegmentStore(inner, { baseMs: 20, capMs: 40, deleteAttempts: 3 });
    await store.put('d/a', Buffer.from('x'));
    await s3.down();
    try {
      const started = Date.now();
      await assert.rejects(store.deletePrefix('d/'));
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await s3.up();
    }
    assert.equal(await store.deletePrefix('d/'), 1);
    inner.close();
  });
});
