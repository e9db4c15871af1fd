// Builds the onair_srt addon with node-gyp, against the local Node headers when they match (no download).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The install prefix whose include/node/node_version.h matches the running Node, if any. */
function localNodeDir() {
  const candidates = [dirname(dirname(process.execPath)), '/usr', '/usr/local'];
  const [major, minor, patch] = process.versions.node.split('.');
  for (const dir of candidates) {
    const header = join(dir, 'include', 'node', 'node_version.h');
    if (!existsSync(header)) continue;
    const text = readFileSync(header, 'utf8');
    const field = (name) => text.match(new RegExp(`#define ${name} (\\d+)`))?.[1];
    if (field('NODE_MAJOR_VERSION') === major && field('NODE_MINOR_VERSION') === minor && field('NODE_PATCH_VERSION') === patch) {
      return dir;
    }
  }
  return undefined;
}

/** The addon is newer than every source file and binding.gyp: nothing to do (pass --force to rebuild). */
function upToDate() {
  const out = join(here, 'build', 'Release', 'onair_srt.node');
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  const sources = [join(here, 'binding.gyp'), ...readdirSync(join(here, 'src')).map((f) => join(here, 'src', f))];
  return sources.every((f) => statSync(f).mtimeMs <= built);
}

if (!process.argv.includes('--force') && upToDate()) {
  console.log('native/srt: onair_srt.node is up to date');
  process.exit(0);
}

const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const nodedir = localNodeDir();
const args = [gyp, 'rebuild', '-C', here, ...(nodedir ? [`--nodedir=${nodedir}`] : []), ...process.argv.slice(2).filter((a) => a !== '--force')];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
