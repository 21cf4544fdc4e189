#!/usr/bin/env node
import { ChektApiError, ChektConnectionError, ChektError, ChektTimeoutError } from '../errors.js';
import type { Command, CommandResult } from './command.js';
import { armingGet } from './commands/arming-get.js';
import { armingSet } from './commands/arming-set.js';
import { printable } from './printable.js';
import { type Environment, parseCommandLine } from './shared-options.js';
import { USAGE, UsageError } from './usage.js';

/**
 * chekt: the integrator's command-line tool. The one place that prints outcomes and chooses the
 * exit code: 0 done, 1 the API refused (or could not be reached), 2 called wrongly.
 */
const COMMANDS: readonly Command[] = [armingGet, armingSet];

interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

async function main(argv: string[], env: Environment, streams: Streams): Promise<number> {
  // Known before parsing, so that a command line that cannot be parsed (`--json=true`, say) still
  // answers in JSON.
  const json = argv.some((arg) => arg === '--json' || arg.startsWith('--json='));
  try {
    const { positionals, options } = parseCommandLine(argv);
    if (options.help) {
      streams.stdout.write(USAGE);
      return 0;
    }
    const command = COMMANDS.find((candidate) =>
      candidate.words.every((word, index) => positionals[index] === word),
    );
    if (!command) throw new UsageError(noSuchCommand(positionals));
    const result = await command.run({ args: positionals.slice(command.words.length), options, env });
    print(result, json, streams);
    return 0;
  } catch (error) {
    return report(error, json, streams);
  }
}

/** Why no command matched: none given, a group without its subcommand (`chekt arming`), or a typo. */
function noSuchCommand(positionals: readonly string[]): string {
  if (positionals.length === 0) return 'no command given';
  const group = COMMANDS.filter((command) => command.words[0] === positionals[0]);
  if (group.length > 0 && positionals.length === 1) {
    return `${positionals[0]} needs a subcommand: ${group.map((command) => command.words.join(' ')).join(', ')}`;
  }
  return `unknown command "${positionals.slice(0, 2).join(' ')}"`;
}

function print(result: CommandResult, json: boolean, { stdout }: Streams): void {
  stdout.write(json ? `${JSON.stringify(result.json)}\n` : `${result.human}\n`);
}

/** Prints what went wrong (stderr always; also one JSON document on stdout under --json) and picks the code. */
function report(error: unknown, json: boolean, { stdout, stderr }: Streams): number {
  if (error instanceof UsageError) {
    stderr.write(`error: ${error.message}\n(run chekt --help for usage)\n`);
    if (json) stdout.write(`${JSON.stringify({ error: { code: 'usage', message: error.message } })}\n`);
    return 2;
  }
  if (error instanceof ChektApiError) {
    stderr.write(
      `error: ${printable(error.message)} (HTTP ${error.status}, code ${printable(error.code)}, trace id ${printable(error.traceId)})\n`,
    );
    if (json) {
      const document = {
        status: error.status,
        code: error.code,
        message: error.message,
        trace_id: error.traceId,
      };
      stdout.write(`${JSON.stringify({ error: document })}\n`);
    }
    return 1;
  }
  if (error instanceof ChektError) {
    stderr.write(`error: ${printable(error.message)} (trace id ${printable(error.traceId)})\n`);
    if (json) {
      const document = { code: failureCode(error), message: error.message, trace_id: error.traceId };
      stdout.write(`${JSON.stringify({ error: document })}\n`);
    }
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`error: ${message}\n`);
  if (json) stdout.write(`${JSON.stringify({ error: { code: 'unexpected_error', message } })}\n`);
  return 1;
}

/** A stable code for failures that are not the API's answer, so scripts can branch on them too. */
function failureCode(error: ChektError): string {
  if (error instanceof ChektTimeoutError) return 'timeout';
  if (error instanceof ChektConnectionError) return 'connection_failed';
  return 'unexpected_response';
}

/**
 * A reader that is gone before the output comes (`| head -1` done reading, a consumer that died)
 * makes the write fail with EPIPE, which Node raises as an 'error' event nobody handles: a stack
 * trace and exit code 1 after an `arming set` that was done. What nobody reads is dropped
 * instead; the exit code stays the command's own.
 */
function dropOutputNobodyReads(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

dropOutputNobodyReads();
process.exitCode = await main(process.argv.slice(2), process.env, process);
