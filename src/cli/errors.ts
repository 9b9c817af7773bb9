// Errors of the command line that are the user's to fix: printed with the usage, exit 2.
export class UsageError extends Error {}
