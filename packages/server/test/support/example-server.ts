import { type InProcessServer, startInProcessServer } from './in-process-server.js';
import { addClient, seedExample, type TestClient } from './provision.js';

/**
 * The API reference's example, served: a fresh in-process server holding dealer 12345 with site 1
 * "Gangnam Headquarters", and a client granted that dealer.
 */
export async function startExampleServer(): Promise<{ server: InProcessServer; client: TestClient }> {
  const server = await startInProcessServer();
  await seedExample(server.store);
  const client = await addClient(server.store, [12345]);
  return { server, client };
}
