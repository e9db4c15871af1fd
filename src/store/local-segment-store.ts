/**
 * The segment store on local disk (the default, under `<data>/media`): one file per object, the key as its
 * relative path. A put writes a temp file in the object's directory and renames it over the key, so a crash
 * (even `kill -9`) leaves either the old object, the new one or none, never a torn one; temp names start with a
 * dot, which no key part may, so they are never listed or read. Keys are validated (segment-store.ts) before
 * they become paths: nothing can resolve outside the root.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { Counter } from 'prom-client';
import { registry } from '../metrics.js';
import {
  assertValidKey, assertValidPrefix, SegmentStoreFullError, SegmentStoreRangeError, type SegmentStore,
} from './segment-store.js';

/** The file-system calls the store makes; tests inject failures (a full disk) through it. */
export interface SegmentFs {
  open: typeof fsp.open;
  rename: typeof fsp.rename;
  unlink: typeof fsp.unlink;
  mkdir: typeof fsp.mkdir;
  stat: typeof fsp.stat;
  readdir: typeof fsp.readdir;
  rm: typeof fsp.rm;
}

export interface LocalSegmentStoreOptions {
  /** fsync each object before the rename (survives power loss, costs a disk flush per put). Default false. */
  fsync?: boolean;
  /** file-system layer (tests) */
  fs?: SegmentFs;
}

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

const writes = new Counter({
  name: 'onair_segment_store_writes_total',
  help: 'Segment store object writes by outcome (ok, full = no space left, error)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const writtenBytes = new Counter({
  name: 'onair_segment_store_written_bytes_total',
  help: 'Bytes written to the segment store',
  registers: [registry],
});

const isMissing = (err: unknown): boolean => {
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export class LocalSegmentStore implements SegmentStore {
  readonly root: string;
  private readonly fs: SegmentFs;
  private readonly fsync: boolean;
  /** directories known to exist (saves a mkdir per put); cleared by deletes */
  private readonly madeDirs = new Set<string>();

  constructor(root: string, opts: LocalSegmentStoreOptions = {}) {
    this.root = resolve(root);
    this.fs = opts.fs ?? fsp;
    this.fsync = opts.fsync ?? false;
  }

  /** The file of a key (validated). */
  pathOf(key: string): string {
    assertValidKey(key);
    const p = join(this.root, ...key.split('/'));
    // Defence in depth: validation already rules out `..`, absolute parts and separators.
    if (!p.startsWith(this.root + sep)) throw new Error(`segment store key escapes the root: ${key}`);
    return p;
  }

  async put(key: string, data: Buffer | readonly Buffer[]): Promise<void> {
    const file = this.pathOf(key);
    const slash = key.lastIndexOf('/');
    const dir = slash < 0 ? this.root : join(this.root, ...key.slice(0, slash).split('/'));
    const name = slash < 0 ? key : key.slice(slash + 1);
    const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const buffers = Buffer.isBuffer(data) ? [data] : data;
    try {
      if (!this.madeDirs.has(dir)) {
        await this.fs.mkdir(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      const fh = await this.fs.open(tmp, 'w', 0o644);
      try {
        await writeAll(fh, buffers);
        if (this.fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      await this.fs.rename(tmp, file);
      writes.inc({ outcome: 'ok' });
      writtenBytes.inc(buffers.reduce((n, b) => n + b.length, 0));
    } catch (err) {
      await this.fs.unlink(tmp).catch(() => undefined);
      // a concurrent deletePrefix may have removed the directory we thought existed: retry once from scratch
      if (isMissing(err) && this.madeDirs.delete(dir)) return this.put(key, data);
      const full = FULL_CODES.has((err as { code?: string }).code ?? '');
      writes.inc({ outcome: full ? 'full' : 'error' });
      if (full) throw new SegmentStoreFullError(key, err);
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const file = this.pathOf(key);
    try {
      const fh = await this.fs.open(file, 'r');
      try {
        return await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async getRange(key: string, start: number, endInclusive: number): Promise<Buffer | undefined> {
    const file = this.pathOf(key);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0) {
      throw new SegmentStoreRangeError(key, -1, start, endInclusive);
    }
    let fh: Awaited<ReturnType<typeof fsp.open>>;
    try {
      fh = await this.fs.open(file, 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const { size } = await fh.stat();
      if (start >= size || endInclusive < start) throw new SegmentStoreRangeError(key, size, start, endInclusive);
      const length = Math.min(endInclusive, size - 1) - start + 1;
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, start + got);
        if (bytesRead === 0) break; // truncated under us: cannot happen with rename-only writes
        got += bytesRead;
      }
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<number | undefined> {
    const file = this.pathOf(key);
    try {
      const st = await this.fs.stat(file);
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix, true);
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
    const out: string[] = [];
    await this.walk(dirKey, prefix, out);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await this.fs.unlink(file);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix, false);
    const keys = await this.list(prefix);
    if (prefix.endsWith('/')) {
      // a whole "directory": one recursive remove (also takes empty sub-directories and stray temp files)
      const dir = join(this.root, ...prefix.slice(0, -1).split('/'));
      await this.fs.rm(dir, { recursive: true, force: true });
      for (const d of this.madeDirs) if (d === dir || d.startsWith(dir + sep)) this.madeDirs.delete(d);
      return keys.length;
    }
    for (const k of keys) await this.delete(k);
    return keys.length;
  }

  /** Collect keys under directory `dirKey` ('' = root) that start with `prefix`. */
  private async walk(dirKey: string, prefix: string, out: string[]): Promise<void> {
    const dir = dirKey === '' ? this.root : join(this.root, ...dirKey.split('/'));
    let entries: import('node:fs').Dirent[];
    try {
      entries = await this.fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue; // temp files of puts in progress
      const key = dirKey === '' ? e.name : `${dirKey}/${e.name}`;
      if (e.isDirectory()) {
        // descend only where keys with the prefix can be
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix) || key.startsWith(prefix)) await this.walk(key, prefix, out);
      } else if (e.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }
}

/** Write every buffer at the file's current position, handling short writes. No concatenation. */
async function writeAll(fh: Awaited<ReturnType<typeof fsp.open>>, buffers: readonly Buffer[]): Promise<void> {
  let pending = buffers.filter((b) => b.length > 0);
  while (pending.length > 0) {
    // writev takes at most IOV_MAX (1024) buffers per call
    const batch = pending.slice(0, 1024);
    const total = batch.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(batch);
    if (bytesWritten === total) {
      pending = pending.slice(batch.length);
      continue;
    }
    // short write: drop what went out and continue with the remainder (views, not copies)
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) { skip -= b.length; continue; }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    pending = rest;
  }
}
