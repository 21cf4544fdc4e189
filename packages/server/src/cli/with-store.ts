import { openStore, type Store } from '../store/store.js';

/** Runs a command against the database and always closes it, so the process can exit. */
export async function withStore<T>(url: string, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(url);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
