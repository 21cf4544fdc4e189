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
