import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

/**
 * A request's logger (`request.log`), bound to its trace id like pino's child, but building that
 * child only when the request logs a line of its own. Fastify makes one per request, and pino
 * serializes the bindings when it builds a child (250-370 ns against ~15, `npm run bench:micro`),
 * while nearly every request logs nothing but its access line, which is written apart
 * (access-lines.ts).
 */
export class LazyChildLogger implements FastifyBaseLogger {
  private built: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): LevelWithSilentOrString {
    return this.built?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.childLogger().level = level;
  }

  fatal(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.childLogger().fatal(obj, msg, ...args);
  }

  error(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.childLogger().error(obj, msg, ...args);
  }

  warn(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.childLogger().warn(obj, msg, ...args);
  }

  info(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.childLogger().info(obj, msg, ...args);
  }

  debug(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.childLogger().debug(obj, msg, ...args);
  }

  trace(obj: unknown, msg?: string, ...args: unknown[]): void {
    this.childLogger().trace(obj, msg, ...args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.childLogger().child(bindings, options);
  }

  /** pino's child, built on first use. */
  private childLogger(): FastifyBaseLogger {
    this.built ??= this.parent.child(this.bindings, this.options);
    return this.built;
  }
}

/** Fastify's childLoggerFactory option: every request gets a LazyChildLogger. */
export function lazyChildLoggers(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
