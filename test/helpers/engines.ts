/**
 * Run one test file on both store engines. `forEachEngine` gives each engine a `database()` factory:
 * undefined for SQLite (the server's default file in its data dir), a fresh Postgres database otherwise.
 * ONAIR_TEST_ENGINES=sqlite (or postgres) narrows the run.
 *
 *   forEachEngine((engine, database) => {
 *     describe(engine, () => { ... startTestServer({ database: await database() }) ... });
 *   });
 */
import { after } from 'node:test';
import { startPostgres, type TestPostgres } from './postgres.js';

export type EngineName = 'sqlite' | 'postgres';

export function engines(): EngineName[] {
  const want = process.env.ONAIR_TEST_ENGINES?.split(',').map((s) => s.trim());
  return (['sqlite', 'postgres'] as const).filter((e) => !want || want.includes(e));
}

let pgPromise: Promise<TestPostgres> | undefined;

/** One Postgres server per test process, started on first use (stopped by the `after` hook of forEachEngine). */
export function sharedPostgres(): Promise<TestPostgres> {
  pgPromise ??= startPostgres();
  return pgPromise;
}

/** Stop the shared Postgres server if it was started. */
export async function stopSharedPostgres(): Promise<void> {
  const p = pgPromise;
  pgPromise = undefined;
  if (p) await (await p).stop();
}

export function forEachEngine(fn: (engine: EngineName, database: () => Promise<string | undefined>) => void): void {
  // Registered at the top level of the test file, so it runs after every suite of the file.
  after(stopSharedPostgres);
  for (const engine of engines()) {
    fn(engine, async () => (engine === 'postgres' ? (await sharedPostgres()).createDatabase() : undefined));
  }
}
