import type { Store } from '../../src/store/store.js';

/**
 * Counts the statements sent through `store.queryAll` and `store.queryFirst` from now on (the
 * store itself stays real).
 */
export function countQueries(store: Store): () => number {
  let queries = 0;
  const queryAll = store.queryAll.bind(store);
  const queryFirst = store.queryFirst.bind(store);
  store.queryAll = (query) => {
    queries += 1;
    return queryAll(query);
  };
  store.queryFirst = (query) => {
    queries += 1;
    return queryFirst(query);
  };
  return () => queries;
}
