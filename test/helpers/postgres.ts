/**
 * A throwaway Postgres server for tests (Debian's postgresql 15): initdb into a temp dir, start it on a free
 * loopback port with its socket in that dir, hand out fresh databases, stop and delete everything.
 * Postgres refuses to run as root, so as root every command runs as the `postgres` user (runuser).
 *
 *   const pg = await startPostgres();
 *   const url = await pg.createDatabase();   // postgres://postgres@127.0.0.1:PORT/t_1
 *   ...
 *   await pg.stop();
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);
export const PG_BIN = process.env.ONAIR_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  port: number;
  /** URL of an existing database (default `postgres`) */
  url(database?: string): string;
  /** Create an empty database and return its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

async function asPostgres(cmd: string, args: string[]): Promise<void> {
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  await run(file, argv, { timeout: 60_000 });
}

let dbCounter = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'onair-pg-'));
  const dataDir = join(dir, 'data');
  if (isRoot()) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  await asPostgres(join(PG_BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--locale=C', '-E', 'UTF8', '--no-sync']);
  const serverOpts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-l', join(dir, 'postgres.log'), '-o', serverOpts, '-w', '-t', '30', 'start']);

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped = false;
  return {
    port,
    url,
    async createDatabase(name = `t_${process.pid}_${++dbCounter}`) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
