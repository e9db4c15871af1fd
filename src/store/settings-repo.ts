/** Small key/value settings kept in the database (the workspace id, ...). */
import type { Kysely } from 'kysely';
import type { Database } from './db-schema.js';

export async function getSetting(db: Kysely<Database>, key: string): Promise<string | undefined> {
  const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value;
}

/** Read a setting, creating it with `make()` on first use. */
export async function ensureSetting(db: Kysely<Database>, key: string, make: () => string): Promise<string> {
  const existing = await getSetting(db, key);
  if (existing !== undefined) return existing;
  await db.insertInto('settings').values({ key, value: make() }).onConflict((oc) => oc.column('key').doNothing()).execute();
  return (await getSetting(db, key))!;
}
