// `npm run bench` (BENCH_ONLY=lsp): the language server's latency as an editor sees it —
// `aegis lsp --stdio` in a child process, driven by the protocol's client
// (tests/lsp/helpers.ts): open a document of N states and wait for its diagnostics, then
// type one character at a time (each edit's diagnostics awaited) — beside compile() of the
// same text in this process, the work each edit does.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { compile } from "../../src/compiler/compile.ts";
import { startEditor } from "../../tests/lsp/helpers.ts";
import { chainSource } from "./aegis-sources.ts";
import { type Stat, stat } from "./stats.ts";

export interface LspBench {
  states: number;
  open: number;
  edit: Stat;
  compile: Stat;
  /** The server's resident memory after the document's edits (MiB), from /proc. */
  rssMiB?: number;
}

/** A process's resident memory (MiB), where /proc tells it. */
function rssOf(pid: number | undefined): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export async function benchLsp(sizes: number[], edits: number, dir: string): Promise<LspBench[]> {
  const editor = await startEditor(dir);
  const out: LspBench[] = [];
  try {
    for (const n of sizes) {
      const uri = pathToFileURL(`${dir}/chain-${n}.aegis`).href;
      let text = chainSource(n);
      let t = performance.now();
      await editor.connection.sendNotification("textDocument/didOpen", {
        textDocument: { uri, languageId: "aegis", version: 1, text },
      });
      await editor.diagnostics(uri, 1);
      const open = performance.now() - t;
      // Typing into the first state's prompt: `prompt "x` → `prompt "xy` → `prompt "xyy` …
      const line = 3;
      const column = text.split("\n")[line]!.indexOf('"x') + 2;
      const times: number[] = [];
      for (let v = 2; v < edits + 2; v++) {
        t = performance.now();
        await editor.connection.sendNotification("textDocument/didChange", {
          textDocument: { uri, version: v },
          contentChanges: [
            {
              range: { start: { line, character: column }, end: { line, character: column } },
              text: "y",
            },
          ],
        });
        await editor.diagnostics(uri, v);
        times.push(performance.now() - t);
        const lines = text.split("\n");
        lines[line] = `${lines[line]!.slice(0, column)}y${lines[line]!.slice(column)}`;
        text = lines.join("\n");
      }
      const compiles: number[] = [];
      for (let i = 0; i < Math.min(edits, 10); i++) {
        t = performance.now();
        compile(text, { filename: `${dir}/chain-${n}.aegis` });
        compiles.push(performance.now() - t);
      }
      const rssMiB = rssOf(editor.child.pid);
      out.push({
        states: n,
        open,
        edit: stat(times, "ms"),
        compile: stat(compiles, "ms"),
        ...(rssMiB !== undefined && { rssMiB }),
      });
    }
  } finally {
    await editor.stop();
  }
  return out;
}
