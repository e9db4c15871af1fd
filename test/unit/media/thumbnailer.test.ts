import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  ImageBusyError,
  ImageRequestError,
  ImageTimeoutError,
  Thumbnailer,
  type FitMode,
  type ImageFormat,
  type ThumbnailerOptions,
} from '../../../src/media/images/index.js';
import { ffmpegWrapper, isAlive, makeCmaf, meanAbsDiff, probeImage, rgb, run, wrapperLog, type Cmaf } from './cmaf-fixture.js';

const logger = pino({ level: 'silent' });
let dir: string;
let clip: Cmaf; // 640x360 30 fps, 4 segments of 1 s
let audioOnly: Cmaf;
const open: Thumbnailer[] = [];

function thumbnailer(opts: Partial<ThumbnailerOptions> = {}): Thumbnailer {
  const t = new Thumbnailer({ logger, ...opts });
  open.push(t);
  return t;
}

/** Frame n of the whole clip, decoded by ffmpeg from the playlist (independently of the Thumbnailer), as PNG. */
async function referenceFrame(n: number, size: string): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', clip.playlist, '-vf', `select=eq(n\\,${n}),scale=${size.replace('x', ':')}`, '-frames:v', '1', '-c:v', 'png', '-f', 'image2pipe', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  return stdout;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onair-thumbs-'));
  mkdirSync(join(dir, 'clip'));
  mkdirSync(join(dir, 'audio'));
  [clip, audioOnly] = await Promise.all([makeCmaf(join(dir, 'clip')), makeCmaf(join(dir, 'audio'), { video: false, seconds: 1 })]);
  assert.equal(clip.segments.length, 4);
});

after(() => {
  for (const t of open) t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Thumbnailer.thumbnail', () => {
  it('draws each fit mode at the asked size in each format', async () => {
    const t = thumbnailer();
    const source = { init: clip.init, segment: clip.segments[1]! };
    // 640x360 (16:9) into 300x300 and 301x123 boxes
    const cases: { fitMode: FitMode; width?: number; height?: number; expect: [number, number] }[] = [
      { fitMode: 'preserve', width: 300, height: 300, expect: [300, 169] },
      { fitMode: 'preserve', width: 301, height: 123, expect: [219, 123] },
      { fitMode: 'stretch', width: 300, height: 300, expect: [300, 300] },
      { fitMode: 'crop', width: 300, height: 300, expect: [300, 300] },
      { fitMode: 'pad', width: 301, height: 123, expect: [301, 123] },
      { fitMode: 'preserve', width: 200, expect: [200, 113] },
      { fitMode: 'crop', height: 90, expect: [160, 90] },
      { fitMode: 'pad', expect: [640, 360] },
    ];
    const codecs: Record<ImageFormat, string> = { jpg: 'mjpeg', png: 'png', webp: 'webp' };
    for (const c of cases) {
      for (const format of ['jpg', 'png', 'webp'] as const) {
        const image = await t.thumbnail({ cacheKey: 'clip/1', source, format, width: c.width, height: c.height, fitMode: c.fitMode });
        const got = await probeImage(image);
        assert.deepEqual(got, { codec: codecs[format], width: c.expect[0], height: c.expect[1] }, `${c.fitMode} ${c.width}x${c.height} ${format}`);
      }
    }
  });

  it('pads with black bars, crops the excess and stretches the whole picture', async () => {
    const t = thumbnailer();
    const source = { init: clip.init, segment: clip.segments[0]! };
    const rowMean = (raw: Buffer, w: number, y: number): number => {
      let s = 0;
      for (let i = y * w * 3; i < (y + 1) * w * 3; i++) s += raw[i]!;
      return s / (w * 3);
    };
    const draw = async (fitMode: FitMode): Promise<Buffer> => rgb(await t.thumbnail({ cacheKey: 'clip/0', source, format: 'png', width: 200, height: 200, fitMode }));
    const padded = await draw('pad'); // 200x113 picture centered: bars of 43/44 rows top and bottom
    assert.ok(rowMean(padded, 200, 5) < 2 && rowMean(padded, 200, 195) < 2, 'pad: black rows above and below the picture');
    assert.ok(rowMean(padded, 200, 100) > 20, 'pad: the picture in the middle');
    const cropped = await draw('crop');
    const stretched = await draw('stretch');
    assert.ok(rowMean(cropped, 200, 5) > 20 && rowMean(stretched, 200, 5) > 20, 'crop and stretch fill the whole box');
    // crop keeps the centre of the source at full scale: its middle column equals the source's middle column
    const full = await rgb(await t.thumbnail({ cacheKey: 'clip/0', source, format: 'png', height: 200, fitMode: 'preserve' })); // 356x200
    const column = (raw: Buffer, w: number, h: number, x: number): Buffer => {
      const out = Buffer.alloc(h * 3);
      for (let y = 0; y < h; y++) raw.copy(out, y * 3, (y * w + x) * 3, (y * w + x) * 3 + 3);
      return out;
    };
    assert.ok(meanAbsDiff(column(cropped, 200, 200, 100), column(full, 356, 200, 178)) < 6, 'crop is centred');
    assert.ok(meanAbsDiff(column(cropped, 200, 200, 100), column(stretched, 200, 200, 100)) > 6, 'stretch squeezes the picture');
  });

  it('decodes the frame at offsetS into the segment, counted from its keyframe', async () => {
    const t = thumbnailer();
    const source = { init: clip.init, segment: clip.segments[1]! }; // frames 30..59
    const [atOffset, key, f45, f44, f30] = await Promise.all([
      t.thumbnail({ cacheKey: 'clip/1', source, format: 'png', width: 160, height: 90, fitMode: 'stretch', offsetS: 0.49 }),
      t.thumbnail({ cacheKey: 'clip/1', source, format: 'png', width: 160, height: 90, fitMode: 'stretch' }),
      referenceFrame(45, '160x90'),
      referenceFrame(44, '160x90'),
      referenceFrame(30, '160x90'),
    ]);
    const [a, k, r45, r44, r30] = await Promise.all([rgb(atOffset), rgb(key), rgb(f45), rgb(f44), rgb(f30)]);
    assert.ok(meanAbsDiff(a, r45) < 0.5, `offset 0.49 s is frame 45 (diff ${meanAbsDiff(a, r45)})`);
    assert.ok(meanAbsDiff(a, r44) > 2 * meanAbsDiff(a, r45) + 0.5, 'and not frame 44');
    assert.ok(meanAbsDiff(k, r30) < 0.5, 'offset 0 is the keyframe (frame 30)');
    // an offset that rounds past the last frame still gets the last frame; far past the end is refused
    const last = await t.thumbnail({ cacheKey: 'clip/1', source, format: 'jpg', fitMode: 'preserve', offsetS: 0.999 });
    assert.equal((await probeImage(last)).width, 640);
    await assert.rejects(t.thumbnail({ cacheKey: 'clip/1', source, format: 'jpg', fitMode: 'preserve', offsetS: 5 }), ImageRequestError);
  });

  it('refuses impossible requests with ImageRequestError before running ffmpeg', async () => {
    const w = ffmpegWrapper(dir, 'refuse');
    const t = thumbnailer({ ffmpegPath: w.path });
    const source = { init: clip.init, segment: clip.segments[0]! };
    const base = { cacheKey: 'k', source, format: 'jpg' as const, fitMode: 'preserve' as const };
    await assert.rejects(t.thumbnail({ ...base, width: 4097 }), (e: Error) => e instanceof ImageRequestError && /4096/.test(e.message));
    await assert.rejects(t.thumbnail({ ...base, width: 0 }), ImageRequestError);
    await assert.rejects(t.thumbnail({ ...base, height: 12.5 }), ImageRequestError);
    // 4096 wide keeps 16:9 = 2304 high: fine; 4096 high would make the picture 7282 wide
    await assert.rejects(t.thumbnail({ ...base, height: 4096 }), (e: Error) => e instanceof ImageRequestError && /7282x4096/.test(e.message));
    await assert.rejects(t.thumbnail({ ...base, format: 'gif' as ImageFormat }), ImageRequestError);
    await assert.rejects(t.thumbnail({ ...base, fitMode: 'zoom' as FitMode }), ImageRequestError);
    await assert.rejects(t.thumbnail({ ...base, offsetS: -1 }), ImageRequestError);
    await assert.rejects(t.thumbnail({ ...base, source: { init: audioOnly.init, segment: audioOnly.segments[0]! } }), /no video track/);
    assert.equal(wrapperLog(w.log).length, 0, 'no ffmpeg was started');
    const big = await t.thumbnail({ ...base, width: 4096 });
    assert.deepEqual(await probeImage(big), { codec: 'mjpeg', width: 4096, height: 2304 });
  });

  it('serves a cached request without running ffmpeg again, and shares one ffmpeg between identical requests in flight', async () => {
    const w = ffmpegWrapper(dir, 'cache');
    const t = thumbnailer({ ffmpegPath: w.path });
    const req = { cacheKey: 'clip/2', source: { init: clip.init, segment: clip.segments[2]! }, format: 'webp' as const, width: 128, fitMode: 'preserve' as const };
    const [a, b] = await Promise.all([t.thumbnail(req), t.thumbnail(req)]);
    assert.equal(wrapperLog(w.log).length, 1);
    const c = await t.thumbnail(req);
    assert.equal(wrapperLog(w.log).length, 1, 'the cached image is served without ffmpeg');
    assert.ok(a.equals(b) && a.equals(c));
    await t.thumbnail({ ...req, width: 129 });
    await t.thumbnail({ ...req, cacheKey: 'clip/2b' });
    assert.equal(wrapperLog(w.log).length, 3, 'other parameters or another key are rendered');
  });

  it('evicts the least recently used images beyond cacheBytes', async () => {
    const w = ffmpegWrapper(dir, 'lru');
    const source = { init: clip.init, segment: clip.segments[0]! };
    const probe = thumbnailer({ cacheBytes: 0 });
    const size = (await probe.thumbnail({ cacheKey: 'x', source, format: 'png', width: 64, fitMode: 'preserve' })).length;
    const t = thumbnailer({ ffmpegPath: w.path, cacheBytes: Math.floor(size * 2.5) }); // room for two
    const get = (k: string): Promise<Buffer> => t.thumbnail({ cacheKey: k, source, format: 'png', width: 64, fitMode: 'preserve' });
    await get('a');
    await get('b');
    await get('a'); // a is now the most recent
    assert.equal(wrapperLog(w.log).length, 2);
    await get('c'); // evicts b
    assert.equal(wrapperLog(w.log).length, 3);
    await get('a');
    assert.equal(wrapperLog(w.log).length, 3, 'a stayed');
    await get('b');
    assert.equal(wrapperLog(w.log).length, 4, 'b was evicted');
    assert.ok(t.stats().cacheBytes <= Math.floor(size * 2.5));
  });

  it('never runs more than maxConcurrent ffmpeg at once', async () => {
    const w = ffmpegWrapper(dir, 'bound');
    const t = thumbnailer({ ffmpegPath: w.path, maxConcurrent: 2 });
    const source = { init: clip.init, segment: clip.segments[3]! };
    const images = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.thumbnail({ cacheKey: `n${i}`, source, format: 'jpg', width: 100 + i, fitMode: 'preserve', offsetS: 0.3 })),
    );
    const log = wrapperLog(w.log);
    assert.equal(log.length, 10);
    const peak = Math.max(...log.map((e) => e.aliveBefore + 1));
    assert.equal(peak, 2, `peak concurrency ${peak}`);
    for (const [i, image] of images.entries()) assert.equal((await probeImage(image)).width, 100 + i);
  });

  it('answers ImageBusyError beyond the queue bound', async () => {
    const t = thumbnailer({ maxConcurrent: 1, maxQueue: 2 });
    const source = { init: clip.init, segment: clip.segments[0]! };
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => t.thumbnail({ cacheKey: `q${i}`, source, format: 'jpg', width: 64, fitMode: 'preserve' })),
    );
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    for (const r of results.slice(3)) assert.ok(r.status === 'rejected' && r.reason instanceof ImageBusyError);
    // once the queue drained, new requests are accepted again
    assert.ok((await t.thumbnail({ cacheKey: 'q9', source, format: 'jpg', width: 64, fitMode: 'preserve' })).length > 0);
  });

  it('kills ffmpeg when it runs past timeoutMs', async () => {
    // -re makes the real ffmpeg read its input at real time: reaching 0.9 s into the segment takes ~0.9 s
    const w = ffmpegWrapper(dir, 'slow', ['-re']);
    const t = thumbnailer({ ffmpegPath: w.path, timeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(
      t.thumbnail({ cacheKey: 'slow', source: { init: clip.init, segment: clip.segments[0]! }, format: 'jpg', fitMode: 'preserve', offsetS: 0.9 }),
      ImageTimeoutError,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 850, `gave up after ${elapsed} ms`);
    const log = wrapperLog(w.log);
    assert.equal(log.length, 1);
    assert.equal(isAlive(log[0]!.pid), false, 'the ffmpeg process is gone');
    assert.equal(t.stats().running, 0);
  });
});

describe('Thumbnailer.spritesheet', () => {
  /** the keyframe of each segment at tile size, decoded independently */
  async function keyframes(size: string): Promise<Buffer[]> {
    return Promise.all([0, 30, 60, 90].map(async (n) => rgb(await referenceFrame(n, size))));
  }

  function tileOf(grid: Buffer, gridWidth: number, x: number, y: number, w: number, h: number): Buffer {
    const out = Buffer.alloc(w * h * 3);
    for (let row = 0; row < h; row++) grid.copy(out, row * w * 3, ((y + row) * gridWidth + x) * 3, ((y + row) * gridWidth + x + w) * 3);
    return out;
  }

  it('lays out the tiles where the JSON says (batched: 13 tiles, 10 columns)', async () => {
    const w = ffmpegWrapper(dir, 'storyboard');
    const t = thumbnailer({ ffmpegPath: w.path });
    const tiles = Array.from({ length: 13 }, (_, i) => ({ startS: (i % 4) + (i >= 4 ? 0.5 : 0), source: { init: clip.init, segment: clip.segments[i % 4]! } }));
    const { image, json } = await t.spritesheet({ cacheKey: 'clip/sb', url: 'https://img.test/p/storyboard.jpg', durationS: 4, tiles });
    assert.equal(json.url, 'https://img.test/p/storyboard.jpg');
    assert.equal(json.duration, 4);
    assert.equal(json.tile_width, 256);
    assert.equal(json.tile_height, 144);
    assert.equal(json.tiles.length, 13);
    assert.deepEqual(json.tiles[0], { start: 0, x: 0, y: 0 });
    assert.deepEqual(json.tiles[9], { start: 1.5, x: 9 * 256, y: 0 });
    assert.deepEqual(json.tiles[12], { start: 0.5, x: 2 * 256, y: 144 });
    const got = await probeImage(image);
    assert.deepEqual(got, { codec: 'mjpeg', width: 10 * 256, height: 2 * 144 });
    const grid = await rgb(image);
    const refs = await keyframes('256x144');
    for (const [i, tile] of json.tiles.entries()) {
      const region = tileOf(grid, got.width, tile.x, tile.y, 256, 144);
      const own = meanAbsDiff(region, refs[i % 4]!);
      const other = meanAbsDiff(region, refs[(i + 1) % 4]!);
      assert.ok(own < 4 && other > own + 2, `tile ${i} shows the keyframe of its source (${own.toFixed(2)} vs ${other.toFixed(2)})`);
    }
    const blank = tileOf(grid, got.width, 3 * 256, 144, 256, 144); // the 14th cell is empty
    assert.ok(meanAbsDiff(blank, Buffer.alloc(blank.length)) < 2, 'empty cells are black');
    assert.equal(wrapperLog(w.log).length, 3, 'two decoding batches and one layout');
    await t.spritesheet({ cacheKey: 'clip/sb', url: 'https://img.test/p/storyboard.jpg', durationS: 4, tiles });
    assert.equal(wrapperLog(w.log).length, 3, 'cached');
  });

  it('draws a small storyboard in one ffmpeg, with a given tile width and columns', async () => {
    const w = ffmpegWrapper(dir, 'storyboard-small');
    const t = thumbnailer({ ffmpegPath: w.path });
    const tiles = clip.segments.map((segment, i) => ({ startS: i, source: { init: clip.init, segment } }));
    const { image, json } = await t.spritesheet({ cacheKey: 'clip/sb2', url: 'u', durationS: 4, tiles, tileWidth: 160, columns: 3 });
    assert.deepEqual(
      json.tiles,
      [0, 1, 2, 3].map((i) => ({ start: i, x: (i % 3) * 160, y: Math.floor(i / 3) * 90 })),
    );
    assert.deepEqual(await probeImage(image), { codec: 'mjpeg', width: 480, height: 180 });
    const grid = await rgb(image);
    const refs = await keyframes('160x90');
    for (const [i, tile] of json.tiles.entries()) assert.ok(meanAbsDiff(tileOf(grid, 480, tile.x, tile.y, 160, 90), refs[i]!) < 4, `tile ${i}`);
    assert.equal(wrapperLog(w.log).length, 1);
  });

  it('refuses impossible storyboards', async () => {
    const t = thumbnailer();
    const tile = { startS: 0, source: { init: clip.init, segment: clip.segments[0]! } };
    await assert.rejects(t.spritesheet({ cacheKey: 'k', url: 'u', durationS: 1, tiles: [] }), ImageRequestError);
    await assert.rejects(t.spritesheet({ cacheKey: 'k', url: 'u', durationS: 1, tiles: Array(101).fill(tile) }), ImageRequestError);
    await assert.rejects(t.spritesheet({ cacheKey: 'k', url: 'u', durationS: 1, tiles: [tile], columns: 11 }), ImageRequestError);
    await assert.rejects(
      t.spritesheet({ cacheKey: 'k', url: 'u', durationS: 1, tiles: [tile, { startS: 1, source: { init: audioOnly.init, segment: audioOnly.segments[0]! } }] }),
      /tile 1's source has no video track/,
    );
  });
});
