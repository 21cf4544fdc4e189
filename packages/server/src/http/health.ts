import { HealthSchema, LIVENESS_PATH, READINESS_PATH } from '@chekt-partner/contract';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { Store } from '../store/store.js';

/** Liveness (the process answers) and readiness (it can reach its database). */
export function registerHealth(app: FastifyInstance, store: Store): void {
  const schema = (operationId: string) => ({ schema: { operationId, response: { 200: HealthSchema } } });
  app.get(LIVENESS_PATH, schema('getLiveness'), async () => ({ status: 'ok' as const }));
  app.get(READINESS_PATH, schema('getReadiness'), async () => {
    if (await store.isReachable()) return { status: 'ready' as const };
    throw new ApiError('service_unavailable', { message: 'The database is not reachable' });
  });
}
