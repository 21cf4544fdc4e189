import type { Command } from 'commander';

export interface CommonOptions {
  db?: string;
  json: boolean;
}

/**
 * The options every command takes. What --json prints is the command's to say when it is not one
 * document: serve's stdout carries the JSON log lines whatever the flag.
 */
export function commonOptions(command: Command, json = 'print one JSON document on stdout'): Command {
  return command
    .option(
      '--db <url>',
      'sqlite:<path> or postgres://... (default: DATABASE_URL, else sqlite:./data/chekt-partner.db)',
    )
    .option('--json', json, false);
}
