#!/usr/bin/env node
// The `onair` command: runs the compiled CLI (npm run build writes dist/).
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
