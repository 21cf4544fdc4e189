import { type ApiResponse, call } from './http.js';
import { fetchToken } from './provision.js';
import { parseJson, type ServerProcess } from './server-process.js';

export interface DemoDocument {
  url: string;
  client_id: string;
  client_secret: string;
  path: string;
}

/** `serve --demo --json` prints its demo client as one JSON line on stdout, just after listening. */
export async function waitForDemo(server: ServerProcess, timeoutMs = 10000): Promise<DemoDocument> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of server.stdout) {
      const demo = parseJson(line)?.demo;
      if (demo && typeof demo === 'object') return demo as DemoDocument;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no demo document on stdout: ${server.stdout.join('\n')}`);
}

/** What the demo client `serve --demo --json` printed gets for the path it printed, as a script would. */
export async function demoSiteAnswer(server: ServerProcess): Promise<ApiResponse> {
  const demo = await waitForDemo(server);
  const token = await fetchToken(server.url, { clientId: demo.client_id, clientSecret: demo.client_secret });
  return call(server.url, demo.path, { token });
}
