#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import type { Environment } from '../config.js';
import { ProvisioningError, type ProvisioningErrorCode } from '../provisioning/provisioning.js';
import { isDatabaseUnavailable } from '../store/availability.js';
import { registerClientCommands } from './commands/client.js';
import { registerDealerCommands } from './commands/dealer.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSiteCommands } from './commands/site.js';
import { dropOutputNobodyReads } from './output.js';
import { UsageError } from './usage.js';

/**
 * chekt-partner: the operator CLI. The one place that chooses the exit code:
 * 0 done, 1 refused or failed, 2 called wrongly.
 */
function buildProgram(env: Environment): Command {
  const program = new Command('chekt-partner')
    .description('Run and provision the CHeKT Partner API (Arming Settings) server')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerServeCommand(program, env);
  registerDealerCommands(program, env);
  registerSiteCommands(program, env);
  registerClientCommands(program, env);
  for (const command of allCommands(program)) {
    command.exitOverride();
    checkOptionValuesAsRead(command);
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}

async function main(argv: string[]): Promise<number> {
  // The one read of the environment: configuration comes from here and the flags, nowhere else.
  const program = buildProgram(process.env);
  // Whether --json was given, as commander read it.
  let json: boolean | undefined;
  program.hook('preAction', (_program, command) => {
    json = command.opts().json === true;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // A call refused while it was read never reached an action: then the word itself is all
    // there is (a --json taken as another option's value included).
    return report(
      failureOf(error),
      json ?? argv.some((arg) => arg === '--json' || arg.startsWith('--json=')),
    );
  }
}

/**
 * Each value commander reads for an option, checked as it reads it, before its own checks:
 *
 * - Commander gives an option that needs a value whatever word comes next, a flag included: with
 *   an empty `$NAME`, `dealer add 5 --name $NAME --json` would add a dealer named "--json" and
 *   print text to a script that asked for JSON. No value here starts with `--`: such a word is a
 *   flag, and the option it follows was given no value. (Checked later, `site add --dealer
 *   --external-id x` would be reported as "required option '--external-id <id>' not specified",
 *   of a command line that has it.)
 * - Commander keeps the last of two values for one option: `site add --dealer 1 ... --dealer 2`
 *   would add the site to dealer 2, and `--db sqlite:a --db sqlite:b` write to b, with nothing
 *   said. Which one was meant cannot be told (as with a JSON field sent twice, which the API
 *   refuses), so neither is taken. A list (`client add --dealer 1 --dealer 2`) takes any number.
 */
function checkOptionValuesAsRead(command: Command): void {
  const given = new Set<string>();
  for (const option of command.options) {
    if (!option.required && !option.optional) continue; // a flag: no value to check
    command.on(`option:${option.name()}`, (value: unknown) => {
      if (typeof value === 'string' && value.startsWith('--'))
        throw new UsageError(`${option.long} needs a value, but the next word is the flag ${value}`);
      if (option.variadic) return;
      if (given.has(option.name())) throw new UsageError(`${option.long} was given twice: give it once`);
      given.add(option.name());
    });
  }
}

interface Failure {
  exitCode: 1 | 2;
  /** Stable, for scripts that read `--json` output. */
  code: 'usage' | ProvisioningErrorCode | 'database_unavailable' | 'failed';
  message: string;
  /** Commander prints its own message (or the help text) before it throws. */
  printed: boolean;
}

function failureOf(error: unknown): Failure | undefined {
  if (error instanceof CommanderError) {
    // Help asked for (--help) is no failure; shown because no subcommand was given, it is a wrong call.
    if (error.exitCode === 0) return undefined;
    return { exitCode: 2, code: 'usage', message: error.message.replace(/^error: /, ''), printed: true };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) return { exitCode: 2, code: 'usage', message, printed: false };
  if (error instanceof ProvisioningError) return { exitCode: 1, code: error.code, message, printed: false };
  if (isDatabaseUnavailable(error))
    return { exitCode: 1, code: 'database_unavailable', message, printed: false };
  return { exitCode: 1, code: 'failed', message, printed: false };
}

/**
 * The message goes to stderr; with --json, stdout carries the failure too, as the one JSON
 * document a script reads: `{"error": {"code", "message"}}`, as the chekt CLI prints.
 */
function report(failure: Failure | undefined, json: boolean): number {
  if (!failure) return 0;
  if (!failure.printed) process.stderr.write(`error: ${failure.message}\n`);
  if (json)
    process.stdout.write(`${JSON.stringify({ error: { code: failure.code, message: failure.message } })}\n`);
  return failure.exitCode;
}

dropOutputNobodyReads();
main(process.argv).then((code) => {
  // serve keeps running; every other command ends here.
  if (code !== 0) process.exit(code);
});
