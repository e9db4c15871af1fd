/**
 * A private build of onair for the run: `tsc --outDir bench/out/dist` (dist/ stays the operator's), with
 * bench/out/native and bench/out/web linked to the repo's, so the compiled code finds the SRT addon and the
 * dashboard at the same relative paths. Measuring the build rather than tsx keeps esbuild's process and the
 * loader's memory out of onair's CPU and memory figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, outDir } from './test-clip.js';

const repoDir = join(benchDir, '..');
export const benchDistEntry = join(outDir, 'dist', 'cli', 'main.js');

let built: string | undefined;

/** The entry the run's onair servers use (set by buildOnair), undefined before/without a build. */
export function builtEntry(): string | undefined {
  return built;
}

/** Reuses an earlier bench/out/dist build (scripts that must not rebuild under a running server). */
export function useExistingBuild(): boolean {
  if (!existsSync(benchDistEntry)) return false;
  built = benchDistEntry;
  return true;
}

export function buildOnair(log: (line: string) => void): void {
  const started = Date.now();
  rmSync(join(outDir, 'dist'), { recursive: true, force: true });
  const tsc = join(repoDir, 'node_modules', 'typescript', 'bin', 'tsc');
  // type errors (someone's half-edited file) do not stop the emit; a missing entry does
  const result = spawnSync(process.execPath, [tsc, '-p', join(repoDir, 'tsconfig.json'), '--outDir', join(outDir, 'dist'), '--sourceMap', 'false', '--declaration', 'false', '--incremental', 'false'], { cwd: repoDir, encoding: 'utf8', timeout: 300_000 });
  if (!existsSync(benchDistEntry)) throw new Error(`tsc built no ${benchDistEntry}: ${(result.stdout + result.stderr).slice(0, 400)}`);
  for (const name of ['native', 'web']) {
    const link = join(outDir, name);
    rmSync(link, { force: true, recursive: false });
    if (existsSync(join(repoDir, name))) symlinkSync(join(repoDir, name), link);
  }
  built = benchDistEntry;
  const errors = (result.stdout.match(/error TS/g) ?? []).length;
  log(`built onair into bench/out/dist in ${((Date.now() - started) / 1000).toFixed(0)} s${errors > 0 ? ` (${errors} type errors, emitted anyway)` : ''}`);
}
