#!/usr/bin/env -S node --single-threaded-gc
// The `onair` command: runs the compiled CLI (npm run build writes dist/).
// --single-threaded-gc: onair's heap is small and its garbage is media buffers; doing the collection on
// the main thread costs about 15-20 % less CPU per stream than V8's concurrent helper threads (bench/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error('onair: dist/ is missing. Run `npm run build` (or scripts/install.sh) first.');
  process.exit(1);
}
await import(entry);
