/** The store for one CLI command: opened from --data/--database, always closed afterwards. */
import { databaseFromOptions } from '../config.js';
import { Store } from '../store/store.js';

export async function withStore<T>(opts: Record<string, unknown>, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(databaseFromOptions(opts));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
