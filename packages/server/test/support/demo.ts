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
