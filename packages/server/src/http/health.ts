import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { Store } from '../store/store.js';

/** Liveness (the process answers) and readiness (it can reach its database). */
export function registerHealth(app: FastifyInstance, store: Store): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    if (await store.isReachable()) return { status: 'ready' };
    throw new ApiError('service_unavailable', { message: 'The database is not reachable' });
  });
}
