/**
 * An S3-compatible server on loopback for tests: s3rver (npm), because Debian packages no S3 server (no MinIO,
 * Garage or Ceph RGW in its archive). It runs in a child process, stores objects under a temp dir, and can be
 * taken down (connections refused, open keep-alive connections cut) and brought back on the same port with the
 * same objects, to show that onair rides out an object store outage.
 *
 *   const s3 = await startS3rver();
 *   s3.storageUrl('run1')   // s3://onair/run1?endpoint=http://127.0.0.1:PORT&region=us-east-1
 *   s3.env                  // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for the server process
 *   await s3.down(); await s3.up();
 *   await s3.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// s3rver makes its ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider:
// the server runs in a child node with that provider on (a list longer than one page fails without it).
const CHILD = `
const S3rver = require('s3rver');
const [port, dir, bucket, parent] = process.argv.slice(1);
// end with the test process, however it ends
setInterval(() => { try { process.kill(Number(parent), 0); } catch { process.exit(0); } }, 1000).unref();
new S3rver({ address: '127.0.0.1', port: Number(port), directory: dir, silent: true, configureBuckets: [{ name: bucket, configs: [] }] })
  .run().then(() => process.stdout.write('listening\\n'), (err) => { console.error(err); process.exit(1); });
`;

export interface TestS3 {
  port: number;
  bucket: string;
  endpoint: string;
  /** the directory s3rver keeps the objects in */
  dir: string;
  /** an `--storage` URL for this server, objects under `prefix` */
  storageUrl(prefix?: string): string;
  /** environment for a server process using it */
  env: Record<string, string>;
  /** is it accepting connections? */
  readonly running: boolean;
  /** stop the server (connections refused, open ones cut) until up(); the objects stay */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'onair'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'onair-s3-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const endpoint = `http://127.0.0.1:${port}`;
  const up = async (): Promise<void> => {
    if (child) return;
    const c = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, String(port), dir, bucket, String(process.pid)], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => { c.kill('SIGKILL'); fail(new Error(`s3rver did not start in 15 s: ${stderr}`)); }, 15_000);
      c.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) { clearTimeout(timer); ok(); }
      });
      c.once('exit', (code) => { clearTimeout(timer); fail(new Error(`s3rver exited (${code}): ${stderr}`)); });
    });
    c.removeAllListeners('exit');
    child = c;
  };
  const down = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((ok) => c.once('exit', () => ok()));
    c.kill('SIGKILL');
    await exited;
  };
  await up();
  return {
    port, bucket, endpoint, dir,
    storageUrl: (prefix = 'onair') => `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`,
    env: { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey },
    get running() { return child !== undefined; },
    down,
    up,
    async stop() {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
