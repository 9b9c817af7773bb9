// Everything the action writes — log lines, annotations, outputs, comments, the job summary
// — goes through one redactor holding every secret the action knows: its token, the state
// secret, the runner's credentials, the workflow's declared secrets and the values of the
// variables passed to states by name. The runner masks values in the log (core.setSecret);
// a comment or a summary is not the log, and a state may print its environment.
import * as core from "@actions/core";
import { Redactor } from "./redact.ts";

export const redactor = new Redactor();

export function redact(text: string): string {
  return redactor.text(text);
}

/**
 * A value with every secret cut from its text, before it is cut short or quoted for display
 * (a secret straddling a cut, or split by quoting, would not be recognised afterwards).
 */
export function redactValue<T>(value: T): T {
  return JSON.parse(redact(JSON.stringify(value))) as T;
}

export function info(text: string): void {
  core.info(redact(text));
}

export function warning(text: string): void {
  core.warning(redact(text));
}

export function notice(text: string): void {
  core.notice(redact(text));
}

export function fail(text: string): void {
  core.setFailed(redact(text));
}

export function output(name: string, value: string): void {
  core.setOutput(name, redact(value));
}

/** Text written to the process's standard output (annotations), redacted. */
export function write(text: string): void {
  process.stdout.write(redact(text));
}

export async function summary(markdown: string): Promise<void> {
  await core.summary.addRaw(redact(markdown)).write();
}
