import { HealthSchema, LIVENESS_PATH, READINESS_PATH } from '@chekt-partner/contract';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { Store } from '../store/store.js';

const NOT_READY = {
  unreachable: 'The database is not reachable',
  read_only: 'The database takes no writes',
  no_tables: "The database has none of the server's tables (created again, or being restored?)",
} as const;

/** Liveness (the process answers) and readiness (its database answers and takes writes). */
export function registerHealth(app: FastifyInstance, store: Store): void {
  const schema = (operationId: string) => ({ schema: { operationId, response: { 200: HealthSchema } } });
  app.get(LIVENESS_PATH, schema('getLiveness'), async () => ({ status: 'ok' as const }));
  app.get(READINESS_PATH, schema('getReadiness'), async () => {
    const readiness = await store.readiness();
    if (readiness === 'ready') return { status: 'ready' as const };
    throw new ApiError('service_unavailable', { message: NOT_READY[readiness] });
  });
}
