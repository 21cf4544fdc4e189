import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { type Config, configWarnings, redactUrl } from './config.js';
import { closeGracefully } from './http/graceful-close.js';
import { createLogging, type Logging } from './logging/logger.js';
import { openStore } from './store/store.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the database, builds the app, listens. Installs no signal handler: the server's `close`
 * stops accepting, lets in-flight requests finish (closeGracefully), then closes the database;
 * closeOnSignals calls it on SIGTERM, SIGINT or SIGHUP.
 */
export async function startServer(
  config: Config,
  logging: Logging = createLogging(config.logLevel),
): Promise<RunningServer> {
  const { logger } = logging;
  const store = await openStore(config.databaseUrl, {
    pgPoolSize: config.pgPoolSize,
    pgStatementTimeoutMs: config.pgStatementTimeoutMs,
    sqliteMmapMb: config.sqliteMmapMb,
    backgroundCheckpoints: {
      events: {
        started: () => logger.info('WAL checkpoints run on a thread of their own'),
        stopped: (error) =>
          logger.error(
            { err: error },
            'WAL checkpoint thread stopped: commits checkpoint by themselves again',
          ),
      },
    },
  });
  const app = await buildApp({ config, store, logging });
  app.addHook('onClose', async () => {
    await store.close();
    logger.info('database closed');
  });
  for (const warning of [...configWarnings(config), ...store.warnings]) logger.warn(warning);
  const url = await listen(app, config);
  logger.info({ url, database: redactUrl(config.databaseUrl), dialect: store.dialect }, 'server listening');
  return { url, close: () => closeGracefully(app, config.shutdownTimeoutMs) };
}

/**
 * Listens, or fails naming the address: "getaddrinfo ENOTFOUND" alone does not say it was the host.
 * Named as a host and a port, not as HOST and PORT: they may have come from --host and --port.
 * The listen error is not kept as the cause: its code (ENOTFOUND, EADDRINUSE) would read as an
 * unreachable database to isDatabaseUnavailable, and this is a setting to fix, not to retry.
 */
async function listen(app: FastifyInstance, config: Pick<Config, 'host' | 'port'>): Promise<string> {
  try {
    return await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot listen on host ${config.host}, port ${config.port}: ${reason}`);
  }
}

/**
 * The first SIGTERM, SIGINT or SIGHUP shuts down gracefully. SIGHUP too, because Node's default
 * for it (a closed terminal, or a `kill -HUP` sent out of habit after rotating a log) ends the
 * process at once: requests in flight cut off, and answered requests' gathered log lines lost.
 * There is nothing to reload (the logs go to stdout), so it stops the server like the others.
 * A second signal (Ctrl-C again, or an operator who will not wait for SHUTDOWN_TIMEOUT_MS) exits
 * at once with code 1, after saying so. A request cut off that way was not answered, so no
 * answered PATCH is lost: its transaction never committed.
 */
export function closeOnSignals(server: RunningServer, logger: Logger): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      // The log's exit hook (createLogging) writes this line out before the process ends.
      logger.warn({ signal }, 'second signal: exiting now, cutting off requests in flight');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => {
        logger.info('shutdown complete');
        logger.flush();
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGHUP', shutdown);
}
