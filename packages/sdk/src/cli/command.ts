import type { Environment, ParsedCommandLine } from './shared-options.js';

/** What a command produced: one JSON document for --json, lines for people otherwise. */
export interface CommandResult {
  json: unknown;
  human: string;
}

export interface CommandInput {
  /** The positionals after the command's own words (`arming get`). */
  args: string[];
  options: ParsedCommandLine['options'];
  env: Environment;
}

/** A command neither prints nor exits: it returns a result or throws, and main.ts decides the rest. */
export interface Command {
  readonly words: readonly [string, string];
  run(input: CommandInput): Promise<CommandResult>;
}
