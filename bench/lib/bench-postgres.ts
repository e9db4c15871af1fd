/**
 * A throwaway Postgres for the cluster rows (test/helpers/postgres.ts: Debian's postgresql 15, initdb into a temp
 * dir, a free loopback port, `runuser -u postgres` as root). pg_ctl daemonizes it, so the bench's process groups do
 * not reach it: if the run ends without stop() (Ctrl-C, a crash), an exit hook stops the postmaster it started
 * (found by its port in /proc) with SIGQUIT, Postgres's immediate shutdown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';

/** The postmaster listening on `port`: a `postgres` process whose command line has `-p <port>`. */
export function postmasterPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('/postgres')) continue;
    const p = argv.indexOf('-p');
    if (p >= 0 && argv[p + 1] === String(port)) return Number(entry);
  }
  return undefined;
}

export async function startBenchPostgres(): Promise<TestPostgres> {
  const pg = await startPostgres();
  const pid = postmasterPid(pg.port);
  let stopped = false;
  const onExit = (): void => {
    if (stopped || pid === undefined) return;
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', onExit);
  return {
    ...pg,
    async stop() {
      stopped = true;
      process.removeListener('exit', onExit);
      await pg.stop();
    },
  };
}
