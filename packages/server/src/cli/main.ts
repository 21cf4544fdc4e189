#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ProvisioningError } from '../provisioning/provisioning.js';
import { registerClientCommands } from './commands/client.js';
import { registerDealerCommands } from './commands/dealer.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSiteCommands } from './commands/site.js';
import { UsageError } from './usage.js';

/**
 * chekt-partner: the operator CLI. The one place that chooses the exit code:
 * 0 done, 1 refused or failed, 2 called wrongly.
 */
function buildProgram(): Command {
  const program = new Command('chekt-partner')
    .description('Run and provision the CHeKT Partner API (Arming Settings) server')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerServeCommand(program);
  registerDealerCommands(program);
  registerSiteCommands(program);
  registerClientCommands(program);
  for (const command of allCommands(program)) command.exitOverride();
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)]);
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message, or the help text: asked for (--help, exit code 0),
    // or shown because no subcommand was given, which is a wrong call like any other.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  if (error instanceof ProvisioningError) {
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

main(process.argv).then((code) => {
  // serve keeps running; every other command ends here.
  if (code !== 0) process.exit(code);
});
