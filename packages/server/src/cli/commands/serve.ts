import { armingSettingsPath, TOKEN_PATH } from '@chekt-partner/contract/paths';
import type { Command } from 'commander';
import { type Config, ConfigError, type Environment, loadConfig } from '../../config.js';
import { DOCS_PATH } from '../../docs/page.js';
import { DEMO, type NewClient, Provisioning } from '../../provisioning/provisioning.js';
import { oneInstanceAtATime } from '../../store/one-instance-at-a-time.js';
import { type CommonOptions, commonOptions } from '../common-options.js';
import { UsageError } from '../usage.js';
import { withStore } from '../with-store.js';

interface ServeOptions extends CommonOptions {
  port?: string;
  host?: string;
  demo?: boolean;
}

export function registerServeCommand(program: Command, env: Environment): void {
  commonOptions(
    program
      .command('serve')
      .description('run the API server (flags override PORT, HOST, DATABASE_URL)')
      .option('--port <port>', 'port to listen on; 0 picks a free one (default: PORT, else 8080)')
      .option('--host <host>', 'address to listen on (default: HOST, else 127.0.0.1)')
      .option('--demo', "seed the API reference's example once and print a demo client's credentials"),
    'with --demo, print its credentials as one JSON line on stdout, before the JSON log lines',
  ).action(async (options: ServeOptions) => {
    const config = serveConfig(options, env);
    const demo = options.demo ? await seedDemo(config.databaseUrl) : undefined;
    // The HTTP stack is loaded only by the command that serves, so provisioning commands start fast.
    const { createLogging } = await import('../../logging/logger.js');
    const { closeOnSignals, startServer } = await import('../../server.js');
    const logging = createLogging(config.logLevel);
    const server = await startServer(config, logging).catch((error: unknown) => {
      if (demo) printRenewedDemo(demo);
      throw error;
    });
    const { logger } = logging;
    closeOnSignals(server, logger);
    if (demo) printDemo(server.url, docsPageUrl(server.url, config), demo, options.json);
    // Scripts wait for 'server listening' (and read the demo document, written before it, then):
    // do not leave it in the log buffer.
    logger.flush();
  });
}

function serveConfig(options: ServeOptions, env: Environment): Config {
  try {
    return loadConfig(env, {
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.db === undefined ? {} : { databaseUrl: options.db }),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function seedDemo(databaseUrl: string): Promise<NewClient> {
  return withStore(databaseUrl, (store) =>
    oneInstanceAtATime(store, 'demo seeding', (db) => new Provisioning(db).seedDemo()),
  );
}

/**
 * Seeding renewed the demo client's secret before the server failed to start (its port taken by
 * another server, say): the old secret no longer works anywhere, so the new one is told, on
 * stderr, rather than lost.
 */
function printRenewedDemo(client: NewClient): void {
  process.stderr.write(
    `\nThe demo client's secret was renewed before the server failed to start; for any server on this database:\n` +
      `  client_id:     ${client.clientId}\n  client_secret: ${client.clientSecret}\n\n`,
  );
}

/**
 * Where a person can use /docs: the page sends its requests to the server /openapi.json names,
 * ISSUER_URL when one is set, and its Content-Security-Policy lets it connect to its own origin
 * only, so opened at the address the server listens on its Authorize and Try it out are blocked.
 */
function docsPageUrl(url: string, config: Config): string {
  return `${config.issuerUrl ?? url}${DOCS_PATH}`;
}

/**
 * The demo client's credentials, for a person on stderr (stdout carries the JSON logs), or with
 * --json as one JSON line on stdout before the logs, for scripts.
 */
function printDemo(url: string, docsUrl: string, client: NewClient, json: boolean): void {
  const path = armingSettingsPath(DEMO.dealerId, DEMO.siteId);
  if (json) {
    const document = { demo: { url, client_id: client.clientId, client_secret: client.clientSecret, path } };
    process.stdout.write(`${JSON.stringify(document)}\n`);
    return;
  }
  // The URLs quoted: zsh reads an unquoted `[::1]` (serve --host ::1) as a glob and refuses the line.
  const curl = [
    `TOKEN=$(curl -s -X POST "${url}${TOKEN_PATH}" \\`,
    `  -d grant_type=client_credentials -d client_id=${client.clientId} -d client_secret=${client.clientSecret} \\`,
    `  | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    `curl "${url}${path}" -H "Authorization: Bearer $TOKEN"`,
  ].join('\n');
  process.stderr.write(
    `\nDemo data ready: dealer ${DEMO.dealerId}, site ${DEMO.siteId} "${DEMO.siteName}".\n` +
      `Demo client (secret renewed at every --demo start):\n` +
      `  client_id:     ${client.clientId}\n  client_secret: ${client.clientSecret}\n\n` +
      `Try it:\n${curl}\n\n` +
      `Or in a browser: ${docsUrl} (Authorize with the client above, then Try it out).\n\n`,
  );
}
