/** The pre-encoded publisher clip (720p30 H.264/AAC ~3 Mbit/s, 1 s GOP), made once into bench/out/clip.flv. */
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked } from './child-registry.js';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const outDir = join(benchDir, 'out');
export const clipPath = join(outDir, 'clip.flv');

const CLIP_SECONDS = 24;

export async function ensureClip(log: (line: string) => void): Promise<string> {
  if (existsSync(clipPath) && statSync(clipPath).size > 1_000_000) return clipPath;
  mkdirSync(outDir, { recursive: true });
  const partial = `${clipPath}.part.flv`;
  log(`making ${clipPath} (${CLIP_SECONDS} s, once)`);
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    // Noise keeps the encoder busy enough to reach ~3 Mbit/s on synthetic content.
    '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t+u`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(CLIP_SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p',
    '-b:v', '3M', '-maxrate', '3M', '-bufsize', '6M',
    '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
    '-f', 'flv', partial,
  ];
  const child = spawnTracked('ffmpeg', args);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`ffmpeg could not make the clip (exit ${code}): ${stderr.slice(-500)}`);
  renameSync(partial, clipPath);
  return clipPath;
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
