/**
 * Micro-benchmark: CPU of the LL-HLS packager per stream-minute, and the share of it spent concatenating
 * each part (moof + the frames' payloads) into one buffer — the candidate "keep parts as lists of frame
 * views" would save that copy and that allocation.
 *
 *   node --single-threaded-gc --initial-old-space-size=128 --import tsx bench/packager-parts.ts [streams] [seconds]
 *
 * Frames are synthetic but shaped like the bench clip (720p30 ~3 Mbit/s, 1 s GOP, AAC 48 kHz) and carved
 * out of 256 KiB slabs as the RTMP reader does, so the payloads are views like real ingest ones. Three
 * runs per variant, interleaved:
 *   - packager: the real LivePackager (parts keep the payload views; joined only when a viewer reads one);
 *   - fragments+concat: per-part fragment building with one Buffer.concat per part (the packager before);
 *   - fragments+slab concat: the same, copied into shared 1 MiB slabs (tried: no better than concat);
 *   - fragments as views: fragment building alone, same window retention (the floor).
 * Measured (2 cores, 20 streams x 60 s): packager 0.0124 -> 0.0023-0.0025 CPU s per stream-minute with views;
 * concat 0.0096-0.0123, slab concat 0.0082-0.0146, views alone 0.0018-0.0036.
 */
import { performance } from 'node:perf_hooks';
import { buildFragment, sampleFlags, SYNC_SAMPLE_FLAGS, type FragmentTrack } from '../src/protocols/fmp4/index.js';
import { LivePackager } from '../src/media/packager/index.js';
import type { AudioConfig, MediaFrame, VideoConfig } from '../src/media/frame.js';

const STREAMS = Number(process.argv[2] ?? 40);
const SECONDS = Number(process.argv[3] ?? 60);
const SLAB = 256 * 1024;

const video: VideoConfig = {
  track: 'video', codec: 'h264', width: 1280, height: 720, codecString: 'avc1.64001f',
  // a valid avcC: High profile, level 3.1, one tiny SPS and PPS
  record: Buffer.from('0164001fffe100096764001facd9405005b201000468ebe3cb', 'hex'),
};
const audio: AudioConfig = { track: 'audio', codec: 'aac', asc: Buffer.from([0x11, 0x90]), sampleRate: 48_000, channels: 2, codecString: 'mp4a.40.2' };

/** One stream's frames for `seconds`, payloads carved from slabs like RtmpChunkReader does. */
function frames(seconds: number): MediaFrame[] {
  const out: MediaFrame[] = [];
  let slab = Buffer.allocUnsafeSlow(SLAB);
  let used = 0;
  const carve = (n: number): Buffer => {
    if (used + n > SLAB) { slab = Buffer.allocUnsafeSlow(SLAB); used = 0; }
    const b = slab.subarray(used, used + n);
    used += (n + 7) & ~7;
    b.fill(n & 0xff);
    return b;
  };
  const vCount = seconds * 30;
  let a = 0;
  for (let i = 0; i < vCount; i++) {
    const dts = i * 3000;
    const key = i % 30 === 0;
    out.push({ track: 'video', codec: 'h264', dts, pts: dts, keyframe: key, data: carve(key ? 60_000 : 10_500) });
    while (a * 1920 <= dts + 3000) {
      const adts = a * 1920;
      out.push({ track: 'audio', codec: 'aac', dts: adts, pts: adts, keyframe: true, data: carve(360) });
      a++;
    }
  }
  return out;
}

function cpuMs(fn: () => void): { cpu: number; wall: number } {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() - w0 };
}

/** The real packager for every stream, frames interleaved across streams as a server sees them. */
function runPackager(all: MediaFrame[][]): void {
  const ps = all.map(() => new LivePackager({ partTargetMs: 200, firstMsn: 0 }));
  ps.forEach((p) => { p.onConfig(video); p.onConfig(audio); });
  const n = all[0]!.length;
  for (let i = 0; i < n; i++) for (let s = 0; s < ps.length; s++) ps[s]!.onFrame(all[s]![i]!);
  for (const p of ps) p.end();
}

/**
 * The same fragments (cut every 200 ms, window of 12 segments) without concatenating: what parts as
 * lists of views would do. Retention: the part lists (and so the slabs) for 12 s.
 */
/** Concatenate into a shared 1 MiB slab (one ArrayBuffer per several parts instead of one per part). */
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;
function slabConcat(list: Buffer[]): Buffer {
  let n = 0;
  for (const b of list) n += b.length;
  if (n > 256 * 1024) return Buffer.concat(list, n);
  if (slabUsed + n > slab.length) { slab = Buffer.allocUnsafeSlow(1024 * 1024); slabUsed = 0; }
  const out = slab.subarray(slabUsed, slabUsed + n);
  let o = 0;
  for (const b of list) { b.copy(out, o); o += b.length; }
  slabUsed += (n + 7) & ~7;
  return out;
}

function runViews(all: MediaFrame[][], concat: boolean | 'slab'): void {
  const windows = all.map(() => [] as (Buffer | Buffer[])[]);
  const n = all[0]!.length;
  const pending = all.map(() => ({ v: [] as MediaFrame[], a: [] as MediaFrame[], start: 0 }));
  let seq = 1;
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < all.length; s++) {
      const f = all[s]![i]!;
      const st = pending[s]!;
      if (f.track === 'video' && f.dts - st.start >= 18_000 && st.v.length > 0) {
        const tracks: FragmentTrack[] = [
          { trackId: 1, baseDecodeTime: st.v[0]!.dts, samples: st.v.map((x) => ({ duration: 3000, size: x.data.length, flags: sampleFlags(x.keyframe), cto: 0 })), data: st.v.map((x) => x.data) },
          { trackId: 2, baseDecodeTime: st.a[0]?.dts ?? 0, samples: st.a.map((x) => ({ duration: 1024, size: x.data.length, flags: SYNC_SAMPLE_FLAGS, cto: 0 })), data: st.a.map((x) => x.data) },
        ];
        const parts = buildFragment(seq++, tracks);
        const w = windows[s]!;
        w.push(concat === 'slab' ? slabConcat(parts) : concat ? Buffer.concat(parts) : parts);
        if (w.length > 60) w.shift();
        st.v = [];
        st.a = [];
        st.start = f.dts;
      }
      (f.track === 'video' ? st.v : st.a).push(f);
    }
  }
}

const all = Array.from({ length: STREAMS }, () => frames(SECONDS));
const mediaMinutes = (STREAMS * SECONDS) / 60;
const rows: Record<string, number[]> = { packager: [], 'fragments+concat': [], 'fragments+slab concat': [], 'fragments as views': [] };
runPackager(all.map((f) => f.slice(0, 300))); // warm up
for (let round = 0; round < 3; round++) {
  rows.packager!.push(cpuMs(() => runPackager(all)).cpu);
  rows['fragments+concat']!.push(cpuMs(() => runViews(all, true)).cpu);
  rows['fragments+slab concat']!.push(cpuMs(() => runViews(all, 'slab')).cpu);
  rows['fragments as views']!.push(cpuMs(() => runViews(all, false)).cpu);
}
console.log(`${STREAMS} streams x ${SECONDS} s of 3 Mbit/s media; CPU s per stream-minute (min of 3 runs):`);
for (const [name, v] of Object.entries(rows)) {
  console.log(`  ${name.padEnd(20)} ${(Math.min(...v) / 1000 / mediaMinutes).toFixed(4)}   runs: ${v.map((x) => (x / 1000).toFixed(2)).join(' ')} s`);
}
