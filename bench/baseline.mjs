// The ceiling the API is measured against: Node's HTTP stack and Fastify's router, nothing else.
// Same route, the seed document's GET body as a constant, no auth, no database, no logging.
import { ARMING_SETTINGS_ROUTE } from '@chekt-partner/contract';
import Fastify from 'fastify';

const BODY = JSON.stringify({
  site_id: 1,
  external_site_id: '1234567890',
  name: 'Gangnam Headquarters',
  security_type: 1,
});

const app = Fastify({ logger: false });
app.get(ARMING_SETTINGS_ROUTE, (_request, reply) => {
  reply.type('application/json; charset=utf-8').send(BODY);
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
// The same start-up line as the real server, so the bench waits for both the same way.
process.stdout.write(`${JSON.stringify({ msg: 'server listening', url })}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close());
