/** Open the Kysely database for a `--database` setting: better-sqlite3 (WAL) by default, pg for postgres:// URLs. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { isPostgresUrl } from '../config.js';
import type { Database } from './db-schema.js';
import type { Engine } from './migrations.js';

// Postgres int8 (bigint columns, counts) as JS numbers: every value onair stores fits in 2^53.
pg.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10));

export interface OpenedDatabase {
  db: Kysely<Database>;
  engine: Engine;
}

export function openDatabase(database: string): OpenedDatabase {
  if (isPostgresUrl(database)) {
    const pool = new pg.Pool({ connectionString: database, max: 10 });
    // an idle connection that Postgres drops (a restart) errors here: the pool discards it and opens a new one on the
    // next query; without a listener the 'error' event would end the process
    pool.on('error', () => undefined);
    // the same for a connection in use (its query fails and the pool drops it when it is released)
    pool.on('connect', (client) => { client.on('error', () => undefined); });
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), engine: 'postgres' };
  }
  mkdirSync(dirname(database), { recursive: true });
  const sqlite = new BetterSqlite3(database);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) }), engine: 'sqlite' };
}

/** Prepared statements kept by SQL text (at most this many; the cache starts over beyond). */
const MAX_STATEMENTS = 1000;

/**
 * better-sqlite3 runs on the event loop, and Kysely prepares every query anew: preparing was ~60 % of a simple
 * query's CPU (bench/: 20 -> 8 us per loadStream). Kysely's SQL is parameterised, so its texts repeat and a
 * statement can be reused (onair streams no queries, so a cached statement is never busy iterating).
 */
function cachingStatements(sqlite: BetterSqlite3.Database): { close(): void; prepare(sql: string): BetterSqlite3.Statement } {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement === undefined) {
        if (statements.size >= MAX_STATEMENTS) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
