/** Access tokens (HTTP Basic: id + secret). Only a hash of each secret is stored; checks run in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newTokenSecret, newUuid } from '../core/streams-ids.js';
import type { Database } from './db-schema.js';

type Db = Kysely<Database>;
export type Permission = 'read' | 'write';

export interface TokenInfo {
  id: string;
  permission: Permission;
  name: string | null;
  createdAt: string;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compared against when the token id is unknown, so both paths do the same work. */
const DUMMY_HASH = hashSecret('onair-no-such-token');

export async function createToken(db: Db, permission: Permission, opts: { id?: string; secret?: string; name?: string } = {}): Promise<{ id: string; secret: string; permission: Permission }> {
  const id = opts.id ?? newUuid();
  const secret = opts.secret ?? newTokenSecret();
  await db.insertInto('access_tokens').values({ id, secret_hash: hashSecret(secret), permission, name: opts.name ?? null, created_at: new Date().toISOString() }).execute();
  return { id, secret, permission };
}

/** Define (or redefine) a token with a known id and secret, e.g. ONAIR_TOKEN_ID / ONAIR_TOKEN_SECRET. */
export async function upsertToken(db: Db, id: string, secret: string, permission: Permission, name: string): Promise<void> {
  const existing = await db.selectFrom('access_tokens').select('id').where('id', '=', id).executeTakeFirst();
  if (existing) {
    await db.updateTable('access_tokens').set({ secret_hash: hashSecret(secret), permission, name }).where('id', '=', id).execute();
  } else {
    await createToken(db, permission, { id, secret, name });
  }
}

/** The token's permission when id and secret match, else undefined. */
export async function verifyToken(db: Db, id: string, secret: string): Promise<Permission | undefined> {
  const row = await db.selectFrom('access_tokens').select(['secret_hash', 'permission']).where('id', '=', id).executeTakeFirst();
  const expected = Buffer.from(row?.secret_hash ?? DUMMY_HASH, 'hex');
  const given = Buffer.from(hashSecret(secret), 'hex');
  const same = timingSafeEqual(expected, given);
  return row && same ? row.permission : undefined;
}

export async function listTokens(db: Db): Promise<TokenInfo[]> {
  const rows = await db.selectFrom('access_tokens').select(['id', 'permission', 'name', 'created_at']).orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, permission: r.permission, name: r.name, createdAt: r.created_at }));
}

export async function countTokens(db: Db): Promise<number> {
  const r = await db.selectFrom('access_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function revokeToken(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('access_tokens').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
