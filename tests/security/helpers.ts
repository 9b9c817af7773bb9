// Runs workflows for the security tests as a user would: the real compiler, engine,
// executors and file store, with hostile agents that are real programs (fixtures/).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "../../src/runtime/engine.ts";
import { FileStore } from "../../src/runtime/store/file.ts";
import type { RunObservation, RunRecord } from "../../src/runtime/types.ts";
import { compileSource, tempDir } from "../runtime/engine/helpers.ts";

export { compileSource, tempDir };

/** The hostile agent program (see its header for the modes). */
export const HOSTILE = fileURLToPath(new URL("./fixtures/hostile-agent.js", import.meta.url));

/** `node hostile-agent.js MODE …` as an aegis string literal's contents. */
export function hostile(...args: string[]): string {
  return JSON.stringify(`node ${HOSTILE} ${args.join(" ")}`);
}

export interface Finished {
  record: RunRecord;
  observations: RunObservation[];
  /** Where the run's files are (journal.jsonl, events.jsonl …). */
  dir: string;
  store: string;
}

/** Runs `source` to its end (or gate) in a fresh file store. */
export async function runWorkflow(
  source: string,
  inputs: Record<string, unknown> = {},
  options: { id?: string } = {},
): Promise<Finished> {
  const store = join(tempDir("aegis-security-"), "runs");
  const observations: RunObservation[] = [];
  const engine = createEngine({
    store: new FileStore(store),
    onObservation: (o) => observations.push(o),
  });
  const id = options.id ?? "hostile";
  const record = await (await engine.start(compileSource(source), inputs, { id })).result();
  await engine.close();
  return { record, observations, dir: join(store, id), store };
}

/** Every line of a JSON-lines file, parsed (throws on a line that is not JSON). */
export function jsonLines(file: string): unknown[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
