/**
 * How a command reports its result: with --json exactly one JSON document on stdout (for
 * scripts); otherwise human lines on stdout.
 */
export interface CommandOutput {
  result(json: object, human: string): void;
}

export function outputFor(json: boolean): CommandOutput {
  return {
    result(document, human) {
      process.stdout.write(json ? `${JSON.stringify(document)}\n` : `${human}\n`);
    },
  };
}

/**
 * A reader that is gone before the output comes (`| head -1` done reading, a consumer that died)
 * makes the write fail with EPIPE, which Node raises as an 'error' event nobody handles: a stack
 * trace and exit code 1 for a command whose work is done (a script would retry a `dealer add`
 * that succeeded), and `serve --demo --json` killed as it starts. What nobody reads is dropped
 * instead, as the server's log lines are; the exit code stays the command's own.
 */
export function dropOutputNobodyReads(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}
