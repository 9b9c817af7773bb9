/** A mistake in how a command was called: one line, and a pointer to the command's help. */
export class UsageError extends Error {
  /** The command whose help the message points to (the overview's when unknown). */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** `--help` (or `-h`) given to a command: its usage is printed, and the command not run. */
export class HelpRequested extends Error {
  readonly command: string;
  constructor(command: string) {
    super(`help for ${command}`);
    this.command = command;
  }
}
