/**
 * Errors that end a CLI command with a chosen exit code (spec E): 1 for an API or
 * validation error, 2 for a usage error. main.ts prints the message and exits with it.
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** Bad usage: an unknown command or flag, a missing argument, a malformed value. Exit 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}
