/** Signing keys for private playback JWTs: only the public PEM is stored (the private half is returned once). */
import type { Kysely } from 'kysely';
import type { Database } from './db-schema.js';

type Db = Kysely<Database>;

export interface SigningKeyRow {
  id: string;
  publicKey: string;
  createdAt: string;
}

export async function insertSigningKey(db: Db, k: SigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values({ id: k.id, public_key: k.publicKey, created_at: k.createdAt }).execute();
}

export async function findSigningKey(db: Db, id: string): Promise<SigningKeyRow | undefined> {
  const r = await db.selectFrom('signing_keys').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? { id: r.id, publicKey: r.public_key, createdAt: r.created_at } : undefined;
}

export async function listSigningKeyPage(db: Db, limit: number, page: number): Promise<{ items: { id: string; createdAt: string }[]; total: number }> {
  const c = await db.selectFrom('signing_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('signing_keys').select(['id', 'created_at']).orderBy('created_at', 'desc').orderBy('id', 'desc')
    .limit(limit).offset((page - 1) * limit).execute();
  return { items: rows.map((r) => ({ id: r.id, createdAt: r.created_at })), total: Number(c.n) };
}

export async function listAllSigningKeys(db: Db): Promise<SigningKeyRow[]> {
  const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, publicKey: r.public_key, createdAt: r.created_at }));
}

export async function deleteSigningKey(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('signing_keys').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
