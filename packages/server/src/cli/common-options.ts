import type { Command } from 'commander';

export interface CommonOptions {
  db?: string;
  json: boolean;
}

/** The options every command takes. */
export function commonOptions(command: Command): Command {
  return command
    .option(
      '--db <url>',
      'sqlite:<path> or postgres://... (default: DATABASE_URL, else sqlite:./data/chekt-partner.db)',
    )
    .option('--json', 'print one JSON document on stdout', false);
}
