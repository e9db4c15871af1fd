import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RemuxError, remuxToMp4 } from '../../../src/media/vod/mp4-remux.js';
import { ffmpegWrapper, isAlive, makeCmaf, run, wrapperLog, type Cmaf } from './cmaf-fixture.js';

let dir: string;
let a: Cmaf; // 640x360 30 fps High profile, 4 s: 120 frames
let b: Cmaf; // 320x240 25 fps Baseline, 3 s: 75 frames (another SPS/PPS, as after a reconnect with other settings)
let videoOnly: Cmaf;

interface Probe {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string }[];
  format: { duration: string };
}

async function probe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames:format=duration', '-of', 'json', file,
  ]);
  return JSON.parse(stdout) as Probe;
}

/** Decodes every frame; returns ffmpeg's errors (empty = clean) and the size of each decoded video frame. */
async function decode(file: string): Promise<{ errors: string; sizes: Map<string, number> }> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { maxBuffer: 16 << 20 });
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=width,height', '-of', 'csv=p=0', file], { maxBuffer: 16 << 20 });
  const sizes = new Map<string, number>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const key = line.split(',').slice(0, 2).join(','); // (frames with side data get extra csv fields)
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return { errors: stderr.trim(), sizes };
}

/** Top-level box types of a file, in order (faststart: moov before mdat). */
function topBoxes(file: string): string[] {
  const fd = openSync(file, 'r');
  const types: string[] = [];
  try {
    const head = Buffer.alloc(16);
    let pos = 0;
    for (;;) {
      if (readSync(fd, head, 0, 16, pos) < 8) break;
      let size = head.readUInt32BE(0);
      if (size === 1) size = Number(head.readBigUInt64BE(8));
      types.push(head.toString('latin1', 4, 8));
      if (size < 8) break;
      pos += size;
    }
  } finally {
    closeSync(fd);
  }
  return types;
}

function outDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onair-remux-test-'));
  for (const d of ['a', 'b', 'v']) mkdirSync(join(dir, d));
  [a, b, videoOnly] = await Promise.all([
    makeCmaf(join(dir, 'a')),
    makeCmaf(join(dir, 'b'), { size: '320x240', rate: 25, seconds: 3, x264: ['-profile:v', 'baseline'] }),
    makeCmaf(join(dir, 'v'), { audio: false, seconds: 2 }),
  ]);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('remuxToMp4', () => {
  it('makes a progressive, faststart MP4 with the same frames and duration', async () => {
    const out = join(outDir('single'), 'capped-4k.mp4');
    const result = await remuxToMp4({ init: a.init, segments: a.segments }, out);
    const p = await probe(out);
    const video = p.streams.find((s) => s.codec_type === 'video')!;
    const audio = p.streams.find((s) => s.codec_type === 'audio')!;
    assert.equal(video.codec_name, 'h264');
    assert.equal(video.nb_read_frames, '120');
    assert.equal(audio.codec_name, 'aac');
    assert.ok(Math.abs(Number(p.format.duration) - 4) <= 0.1, `duration ${p.format.duration}`);
    assert.ok(Math.abs(result.durationS - Number(p.format.duration)) < 0.01);
    assert.equal(result.bytes, (await import('node:fs')).statSync(out).size);
    const boxes = topBoxes(out);
    assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), `faststart: ${boxes.join(',')}`);
    assert.ok(!boxes.includes('moof'), 'not fragmented');
    assert.equal((await decode(out)).errors, '');
    assert.deepEqual(readdirSync(join(dir, 'single')), ['capped-4k.mp4'], 'no temporary file left');
  });

  it('reads the segments from an async iterable (the segment store)', async () => {
    const out = join(outDir('iterable'), 'x.mp4');
    async function* segments(): AsyncGenerator<Buffer> {
      for (const s of a.segments) {
        await new Promise((r) => setImmediate(r));
        yield s;
      }
    }
    await remuxToMp4({ init: a.init, segments: segments() }, out);
    const p = await probe(out);
    assert.equal(p.streams.find((s) => s.codec_type === 'video')!.nb_read_frames, '120');
  });

  it('writes only the audio track with audioOnly', async () => {
    const out = join(outDir('audio'), 'audio.m4a');
    const result = await remuxToMp4({ init: a.init, segments: a.segments }, out, { audioOnly: true });
    const p = await probe(out);
    assert.deepEqual(p.streams.map((s) => [s.codec_type, s.codec_name]), [['audio', 'aac']]);
    assert.ok(Math.abs(result.durationS - 4) <= 0.1, `duration ${result.durationS}`);
    // 4 s of 48 kHz AAC: 4 * 48000 / 1024 = 187.5 frames, the encoder's priming and flush round it up
    const frames = Number(p.streams[0]!.nb_read_frames);
    assert.ok(frames >= 187 && frames <= 190, `${frames} audio frames`);
  });

  it('fails audioOnly on a recording without audio, leaving nothing', async () => {
    const d = outDir('no-audio');
    await assert.rejects(remuxToMp4({ init: videoOnly.init, segments: videoOnly.segments }, join(d, 'audio.m4a'), { audioOnly: true }), (e: Error) => e instanceof RemuxError && /no audio track/.test(e.message));
    assert.deepEqual(readdirSync(d), []);
  });

  it('joins two inits (a discontinuity with another codec configuration) into one decodable MP4', async () => {
    const out = join(outDir('two-inits'), 'x.mp4');
    const tmp = outDir('two-inits-tmp');
    const result = await remuxToMp4({ runs: [{ init: a.init, segments: a.segments }, { init: b.init, segments: b.segments }] }, out, { tmpDir: tmp });
    const p = await probe(out);
    assert.equal(p.streams.find((s) => s.codec_type === 'video')!.nb_read_frames, '195');
    assert.ok(Math.abs(result.durationS - 7) <= 0.1, `duration ${result.durationS}`);
    const { errors, sizes } = await decode(out);
    assert.equal(errors, '', 'decodes without errors');
    assert.deepEqual(Object.fromEntries(sizes), { '640,360': 120, '320,240': 75 }, 'each part decodes at its own size');
    assert.deepEqual(readdirSync(tmp), [], 'intermediate files removed');
  });

  it('reads a local HLS playlist with EXT-X-MAP changes and a discontinuity', async () => {
    const d = outDir('playlist');
    const rel = (c: Cmaf, f: string): string => join('..', c === a ? 'a' : 'b', f);
    const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:1', '#EXT-X-PLAYLIST-TYPE:VOD', `#EXT-X-MAP:URI="${rel(a, 'init.mp4')}"`];
    a.segments.forEach((_, i) => lines.push('#EXTINF:1.0,', rel(a, `seg-${i}.m4s`)));
    lines.push('#EXT-X-DISCONTINUITY', `#EXT-X-MAP:URI="${rel(b, 'init.mp4')}"`);
    b.segments.forEach((_, i) => lines.push('#EXTINF:1.0,', rel(b, `seg-${i}.m4s`)));
    lines.push('#EXT-X-ENDLIST');
    writeFileSync(join(d, 'rec.m3u8'), lines.join('\n') + '\n');
    const out = join(d, 'rec.mp4');
    const result = await remuxToMp4({ playlist: join(d, 'rec.m3u8') }, out);
    assert.ok(Math.abs(result.durationS - 7) <= 0.1);
    const { errors, sizes } = await decode(out);
    assert.equal(errors, '');
    assert.deepEqual(Object.fromEntries(sizes), { '640,360': 120, '320,240': 75 });
    // one init: the plain playlist ffmpeg wrote
    const single = join(d, 'single.mp4');
    await remuxToMp4(a.playlist, single);
    assert.equal((await probe(single)).streams.find((s) => s.codec_type === 'video')!.nb_read_frames, '120');
  });

  it('fails on corrupt input with a clear error and leaves no file', async () => {
    const d = outDir('corrupt');
    const out = join(d, 'x.mp4');
    await assert.rejects(remuxToMp4({ init: Buffer.from('this is not an init segment'), segments: a.segments }, out), (e: Error) => e instanceof RemuxError && /not valid CMAF/.test(e.message));
    await assert.rejects(remuxToMp4({ init: a.init, segments: [Buffer.alloc(50_000, 0x5a)] }, out), (e: Error) => e instanceof RemuxError && /no decodable media/.test(e.message));
    const missing = join(d, 'missing.m3u8');
    writeFileSync(missing, '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:1.0,\nseg-0.m4s\n');
    await assert.rejects(remuxToMp4(missing, out), (e: Error) => e instanceof RemuxError && /init segment/.test(e.message));
    writeFileSync(missing, '#EXTM3U\n#EXTINF:1.0,\nhttp://example.com/seg-0.ts\n');
    await assert.rejects(remuxToMp4(missing, out), RemuxError);
    assert.deepEqual(readdirSync(d), ['missing.m3u8']);
  });

  it('kills ffmpeg on timeout and leaves no file', async () => {
    const d = outDir('timeout');
    const w = ffmpegWrapper(d, 'slow', ['-re']); // reads the 4 s input at real time
    const out = join(d, 'x.mp4');
    const started = Date.now();
    await assert.rejects(remuxToMp4({ init: a.init, segments: a.segments }, out, { ffmpegPath: w.path, timeoutMs: 400 }), (e: Error) => e instanceof RemuxError && /timed out/.test(e.message));
    assert.ok(Date.now() - started < 3000);
    const log = wrapperLog(w.log);
    assert.equal(log.length, 1);
    assert.equal(isAlive(log[0]!.pid), false);
    assert.deepEqual(readdirSync(d).filter((f) => f.startsWith('x.mp4')), []);
  });
});
