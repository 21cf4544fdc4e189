import { API_PREFIX } from '@chekt-partner/contract';
import { afterEach, expect } from 'vitest';
import { openApiConformance } from './openapi-conformance.js';

/**
 * Vitest setup file (vitest.config.ts): every response a server test fetches from a server on
 * this machine, on a path the document lists or under /partner/v1/, is held to the OpenAPI
 * document, so the whole server suite doubles as the drift check. A test whose responses differ from the
 * document fails with the differences.
 */
const problems: string[] = [];
const originalFetch = globalThis.fetch;

globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const response = await originalFetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (inServerSuite() && isLoopback(url.hostname) && isApiPath(url.pathname)) {
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    // A clone, so the test still reads the body it asked for.
    const body = await response.clone().text();
    problems.push(
      ...openApiConformance().problems({
        method,
        url: url.href,
        status: response.status,
        headers: response.headers,
        body,
      }),
    );
  }
  return response;
};

afterEach(() => {
  if (problems.length === 0) return;
  const found = problems.splice(0);
  throw new Error(`responses differ from the OpenAPI document:\n${found.join('\n')}`);
});

/**
 * Only the server's tests talk to nothing but the real server; other suites (the SDK's) also run
 * scripted servers on 127.0.0.1 that answer off-contract on purpose.
 */
function inServerSuite(): boolean {
  return /[\\/]packages[\\/]server[\\/]test[\\/]/.test(expect.getState().testPath ?? '');
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}

function isApiPath(pathname: string): boolean {
  return pathname.startsWith(`${API_PREFIX}/`) || openApiConformance().covers(pathname);
}
