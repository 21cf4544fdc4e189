import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { buildOpenApiDocument } from '@chekt-partner/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer } from './support/in-process-server.js';

describe('GET /openapi.json and /docs', () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startInProcessServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('serves the contract-built document, naming the server the caller reached', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-partner-trace-id')).toBeTruthy();
    // Another Host gets another document: a shared cache must keep them apart.
    expect(response.headers.get('vary')).toBe('Host');
    expect(await response.json()).toEqual(buildOpenApiDocument({ serverUrl: server.url }));
  });

  it("shows the metadata's real issuer in its example, whatever Host the document was asked with", async () => {
    const { port } = new URL(server.url);
    const document = JSON.parse(await getWithHost(`${server.url}/openapi.json`, `localhost:${port}`));
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string;
      token_endpoint: string;
    };
    const operation = document.paths['/.well-known/oauth-authorization-server'].get;
    const example = operation.responses['200'].content['application/json'].example;
    expect(document.servers[0].url).toBe(`http://localhost:${port}`);
    expect(example.issuer).toBe(metadata.issuer);
    expect(example.token_endpoint).toBe(metadata.token_endpoint);
  });

  it('names the server itself to an HTTP/1.0 request, which may come without a Host', async () => {
    const { port } = new URL(server.url);
    const raw = await exchange(Number(port), 'GET /openapi.json HTTP/1.0\r\n\r\n');
    const document = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as {
      servers: { url: string }[];
      components: { securitySchemes: { oauth2: { flows: { clientCredentials: { tokenUrl: string } } } } };
    };
    expect(document.servers[0]?.url).toBe(server.url);
    expect(document.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toBe(
      `${server.url}/oauth/token`,
    );
  });

  it('names ISSUER_URL as the server when the operator sets one', async () => {
    const behindProxy = await startInProcessServer({ issuerUrl: 'https://partner.example.com' });
    try {
      const response = await fetch(`${behindProxy.url}/openapi.json`);
      const document = (await response.json()) as { servers: { url: string }[] };
      expect(document.servers[0]?.url).toBe('https://partner.example.com');
      expect(response.headers.get('vary')).toBeNull();
    } finally {
      await behindProxy.close();
    }
  });

  it('serves the reference page with only same-origin resources', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      expect(await statusOf(new URL(asset[1] ?? '', `${server.url}/docs`).href), asset[1]).toBe(200);
    }
  });

  it("names its resources relative to itself, so it works under a proxy's path prefix (ISSUER_URL's path)", async () => {
    // A proxy that serves this server as https://gateway.example.com/chekt/ strips the prefix:
    // whatever the page loads must resolve under it, not at the gateway's root.
    const page = 'https://gateway.example.com/chekt/docs';
    const html = await (await fetch(`${server.url}/docs`)).text();
    const init = await (await fetch(`${server.url}/docs/init.js`)).text();
    const named = [
      ...[...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? ''),
      ...[...init.matchAll(/url: "([^"]+)"/g)].map((match) => match[1] ?? ''),
    ];
    expect(named).toContain('openapi.json');
    for (const resource of named)
      expect(new URL(resource, page).href, resource).toMatch(/^https:\/\/gateway\.example\.com\/chekt\//);
    const slash = await fetch(`${server.url}/docs/`, { redirect: 'manual' });
    expect(new URL(slash.headers.get('location') ?? '', `${page}/`).href).toBe(page);
  });

  it("serves only the page's assets from swagger-ui-dist, not its internet-bound demo page", async () => {
    expect(await statusOf(`${server.url}/docs/static/swagger-ui-bundle.js`)).toBe(200);
    for (const file of ['index.html', 'swagger-initializer.js', 'package.json']) {
      expect(await statusOf(`${server.url}/docs/static/${file}`), file).toBe(404);
    }
    // Out of the folder: with the slashes encoded, so that fetch's own URL parsing cannot resolve
    // the dots before they reach the server (a plain '../../package.json' never would).
    for (const file of [
      '..%2F..%2Fpackage.json',
      '..%2F..%2F..%2F..%2Fpackage.json',
      '%2E%2E%2Fpackage.json',
    ]) {
      const status = await statusOf(`${server.url}/docs/static/${file}`);
      expect(status, file).toBeGreaterThanOrEqual(400);
      expect(status, file).toBeLessThan(500);
    }
  });

  it("answers an asset's failed precondition with a 412 and ignores its ranges, rather than a 400", async () => {
    const asset = `${server.url}/docs/static/swagger-ui.css`;
    for (const [name, value] of [
      ['if-match', '"not-its-tag"'],
      ['if-unmodified-since', 'Sat, 01 Jan 2000 00:00:00 GMT'],
    ] as const) {
      const response = await fetch(asset, { headers: { [name]: value } });
      expect(response.status).toBe(412);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('precondition_failed');
    }
    // A range past the end would be a 416, which the contract has no code for: ranges are ignored
    // (RFC 9110 §14.2 allows it), and the asset, a few hundred KB at most, is sent whole.
    for (const range of ['bytes=999999999-', 'bytes=0-9']) {
      const response = await fetch(asset, { headers: { range } });
      await response.arrayBuffer();
      expect(response.status, range).toBe(200);
    }
  });
});

/** The status, with the body read to the end so the connection is free when the server closes. */
async function statusOf(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

/** A GET with a Host header of our choosing (fetch sets its own). */
function getWithHost(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
}

/** Bytes sent as they are (an HTTP/1.0 request, which fetch cannot make), and all that comes back. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(bytes);
  });
}
