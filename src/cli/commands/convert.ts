// aegis convert: an AEGIS manifest or AgentOS workflow (YAML) as aegis source, with the same
// meaning: the converted source compiles to the same graph and the same findings at the same
// severity. What the YAML suppressed (`# aegis-ignore`) is suppressed in the source too; what
// the YAML's checks said of the YAML itself (a field with no counterpart, a step that names
// no agent) is written at the top as a comment, since the source has nothing left to say it
// of; anything else that differs is a bug in the conversion, and said to be one.
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { type CompileResult, compile } from "../../compiler/compile.ts";
import { catalogue, type Diagnostic } from "../../compiler/diagnostics.ts";
import { PrintError, printAegis } from "../../compiler/emit/aegis.ts";
import { printTypeScript } from "../../compiler/emit/typescript.ts";
import { parse } from "../../compiler/parse.ts";
import { formatText } from "../../compiler/report/text.ts";
import { SourceText } from "../../compiler/source.ts";
import { readSuppressions } from "../../compiler/suppressions.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { findingsText, readText } from "../files.ts";
import { type Io, useColor } from "../io.ts";

export async function convertCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("convert", {
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      to: { type: "string", default: "aegis" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("convert takes exactly one file");
  const file = positionals[0]!;
  if (values.to === "ts") return toTypeScript(file, values, io);
  if (values.to !== "aegis")
    throw new UsageError(`convert --to takes aegis or ts, not '${values.to}'`);
  if (/\.aegis$/i.test(file)) {
    io.stderr(`aegis: ${file} is aegis source already: nothing to convert\n`);
    return 2;
  }
  const text = readText(file, io);
  if (text === undefined) return 2;
  // Loaded on demand: only convert needs the YAML front end (and the yaml package).
  const { parseYamlWorkflow } = await import("../../compiler/yaml/index.ts");
  const result = parseYamlWorkflow(text, file);
  const color = useColor(values, io);
  const errors = result.findings.filter(
    (f) => (f.severity ?? catalogue[f.code].severity) === "error",
  );
  if (errors.length > 0) {
    io.stderr(`${findingsText(result.findings, file, text, color)}\n`);
    io.stderr(
      `aegis: not converting ${file}: it has ${errors.length} error${errors.length === 1 ? "" : "s"}\n`,
    );
    return 1;
  }
  let printed: string;
  try {
    printed = printAegis(result.ast);
  } catch (error) {
    if (!(error instanceof PrintError)) throw error;
    io.stderr(`aegis: cannot convert ${file}: ${error.message}\n`);
    return 1;
  }
  // The printer's promise: what it writes parses. Check it rather than write a broken file.
  const check = parse(printed, values.out ?? "<converted>");
  if (check.findings.some((f) => f.code === "AEG100" || f.code === "AEG101")) {
    throw new Error(`the converted text of ${file} does not parse: ${check.findings[0]!.message}`);
  }
  // Compared as if beside the YAML, where its imports are found as the YAML's are (an --out
  // elsewhere may need its import paths adjusted; that is no change of meaning).
  const target = `${file.replace(/\.ya?ml$/i, "")}.aegis`;
  const fromYaml = compile(text, { filename: file });
  const kept = keepMeaning(printed, target, file, text, result.comments, fromYaml);
  const source = kept.source;
  const found = fromYaml.diagnostics;
  if (found.length > 0) io.stderr(`${formatText(found, fromYaml.sources, { color })}\n`);
  if (found.length > 0 || kept.changed.length > 0) io.stderr(`aegis: ${kept.summary}\n`);
  if (kept.changed.length > 0) {
    io.stderr(
      `${formatText(kept.changed, kept.result.sources, { color })}\naegis: these findings of the converted source differ from the YAML's: a bug in aegis convert; please report it with ${basename(file)}\n`,
    );
  }
  if (values.out) {
    try {
      writeFileSync(values.out, source);
    } catch (error) {
      io.stderr(`aegis: cannot write ${values.out}: ${(error as Error).message}\n`);
      return 2;
    }
  } else io.stdout(source);
  return found.some((d) => d.severity === "error") ? 1 : 0;
}

/**
 * Findings about the YAML itself, that the language has no counterpart for: the fields and
 * forms of the YAML formats (AEG7xx), and a YAML suppression that suppresses nothing. An
 * external subworkflow (AEG708) is said of aegis imports too.
 */
function aboutYamlOnly(code: string): boolean {
  return code === "AEG001" || (/^AEG7\d\d$/.test(code) && code !== "AEG708");
}

/**
 * The diagnostics of `a` not matched in `b` (as multisets): by code, severity and message
 * first (a finding says the same of the same thing in both), then by code and severity.
 */
function unmatched(a: Diagnostic[], b: Diagnostic[]): Diagnostic[] {
  let [restA, restB] = [a, b];
  for (const key of [
    (d: Diagnostic) => `${d.code}/${d.severity}/${d.message}`,
    (d: Diagnostic) => `${d.code}/${d.severity}`,
  ]) {
    [restA, restB] = [minus(restA, restB, key), minus(restB, restA, key)];
  }
  return restA;
}

/** `x` without as many of each key as `y` has (one for one). */
function minus(x: Diagnostic[], y: Diagnostic[], key: (d: Diagnostic) => string) {
  const counts = new Map<string, number>();
  for (const d of y) counts.set(key(d), (counts.get(key(d)) ?? 0) + 1);
  return x.filter((d) => {
    const n = counts.get(key(d)) ?? 0;
    if (n === 0) return true;
    counts.set(key(d), n - 1);
    return false;
  });
}

interface Kept {
  source: string;
  result: CompileResult;
  /** Findings that differ from the YAML's (the converted source's, or the YAML's missing). */
  changed: Diagnostic[];
  summary: string;
}

/**
 * The printed source with the YAML's suppressions written as aegis-ignore comments, and
 * the YAML-only findings as a comment at the top; and how its findings compare with the
 * YAML's.
 */
function keepMeaning(
  printed: string,
  target: string,
  file: string,
  text: string,
  comments: Parameters<typeof readSuppressions>[0],
  fromYaml: CompileResult,
): Kept {
  const yamlFindings = fromYaml.diagnostics;
  let source = printed;
  let result = compile(source, { filename: target });
  // What the YAML suppressed shows in the printed source: suppress it there, on the line of
  // each finding (or for the whole file, as the YAML did).
  const suppressions = readSuppressions(comments, new SourceText(file, text), file);
  // Which finding each YAML suppression silenced: the YAML's findings without them (the
  // directives made inert, the offsets kept), less those with them.
  const unsuppressed = compile(text.replaceAll("aegis-ignore", "aegis-ignor_"), {
    filename: file,
  }).diagnostics;
  const silenced = suppressions.length > 0 ? unmatched(unsuppressed, yamlFindings) : [];
  // Each paired with the finding it is in the printed source (same code, the same message
  // if there is one), and the suppression that silenced it.
  const extra = unmatched(result.diagnostics, yamlFindings).filter((d) => d.file === target);
  const toSuppress: { d: Diagnostic; s: (typeof suppressions)[number] }[] = [];
  for (const y of silenced) {
    const s = suppressions.find(
      (s) =>
        (s.codes.has(y.code) || s.codes.has(y.rule)) && (s.line === undefined || s.line === y.line),
    );
    const exact = extra.findIndex((d) => d.code === y.code && d.message === y.message);
    const at =
      exact >= 0 ? exact : extra.findIndex((d) => d.code === y.code && d.severity === y.severity);
    if (!s || at < 0) continue;
    toSuppress.push({ d: extra[at]!, s });
    extra.splice(at, 1);
  }
  if (toSuppress.length > 0) {
    const why = (s: (typeof suppressions)[number]) => {
      const image = comments.find((c) => c.startOffset === s.span.start)?.image ?? "";
      const reason = /\s(?:--|:)\s*(.*)$/.exec(image)?.[1]?.trim();
      return reason ? ` -- ${reason}` : "";
    };
    const lines = source.split("\n");
    const fileWide = new Map<string, string>();
    const byLine = new Map<number, Map<string, string>>();
    for (const { d, s } of toSuppress) {
      if (s.line === undefined) fileWide.set(d.code, why(s));
      else {
        const at = byLine.get(d.line) ?? new Map<string, string>();
        at.set(d.code, why(s));
        byLine.set(d.line, at);
      }
    }
    const directive = (kind: string, codes: Map<string, string>) =>
      `// ${kind} ${[...codes.keys()].join(" ")}${[...codes.values()].find((w) => w) ?? ""}`;
    const withLines = [...lines];
    for (const line of [...byLine.keys()].sort((a, b) => b - a)) {
      const indent = /^\s*/.exec(lines[line - 1] ?? "")?.[0] ?? "";
      withLines.splice(line - 1, 0, `${indent}${directive("aegis-ignore", byLine.get(line)!)}`);
    }
    if (fileWide.size > 0) withLines.unshift(directive("aegis-ignore-file", fileWide));
    let candidate = withLines.join("\n");
    let compiled = compile(candidate, { filename: target });
    // A comment that landed inside a text block would change the text: suppress for the
    // whole file instead.
    if (compiled.document.hash !== result.document.hash) {
      const all = new Map(toSuppress.map(({ d, s }) => [d.code, why(s)]));
      candidate = `${directive("aegis-ignore-file", all)}\n${source}`;
      compiled = compile(candidate, { filename: target });
    }
    source = candidate;
    result = compiled;
  }
  const missing = unmatched(yamlFindings, result.diagnostics);
  const yamlOnly = missing.filter((d) => aboutYamlOnly(d.code));
  const lost = missing.filter((d) => !aboutYamlOnly(d.code));
  const changed = [...unmatched(result.diagnostics, yamlFindings), ...lost];
  if (yamlOnly.length > 0) {
    const header = [
      `// Converted from ${basename(file)} by aegis convert. What its checks said of the YAML itself,`,
      "// which has no counterpart here:",
      ...yamlOnly.map(
        (d) =>
          `//   ${basename(d.file)}:${d.line}:${d.column}: ${d.severity}[${d.code}]: ${d.message.replace(/\s*\n\s*/g, " ")} (${d.rule})`,
      ),
    ];
    source = `${header.join("\n")}\n${source}`;
  }
  return { source, result, changed, summary: summarize(yamlFindings, yamlOnly, lost) };
}

/** "converted with 3 warnings: the same 2 in the .aegis (AEG502 ×2); 1 about the YAML only …" */
function summarize(findings: Diagnostic[], yamlOnly: Diagnostic[], lost: Diagnostic[]): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const count = (s: string) => findings.filter((d) => d.severity === s).length;
  const parts = [
    count("error") && plural(count("error"), "error"),
    count("warning") && plural(count("warning"), "warning"),
    count("info") && `${count("info")} info`,
  ].filter(Boolean);
  if (parts.length === 0) return "converted";
  const codes = (ds: Diagnostic[]) => {
    const by = new Map<string, number>();
    for (const d of ds) by.set(d.code, (by.get(d.code) ?? 0) + 1);
    return [...by].map(([c, n]) => (n === 1 ? c : `${c} ×${n}`)).join(", ");
  };
  const same = unmatched(findings, [...yamlOnly, ...lost]);
  const said = [
    same.length > 0 &&
      `${same.length === findings.length ? "the same" : `the same ${same.length}`} in the .aegis (${codes(same)})`,
    yamlOnly.length > 0 &&
      `${yamlOnly.length} about the YAML only, written as a comment at the top (${codes(yamlOnly)})`,
    lost.length > 0 && `${lost.length} lost (${codes(lost)})`,
  ].filter(Boolean);
  return `converted with ${parts.join(", ")}: ${said.join("; ")}`;
}

/**
 * `aegis convert FILE --to ts`: a workflow (.aegis or workflow YAML) as a TypeScript module
 * that builds it with aegis-workflows/builder, to stdout or --out. A file with errors is
 * not converted.
 */
async function toTypeScript(
  file: string,
  values: { out?: string; color?: boolean; "no-color"?: boolean },
  io: Io,
): Promise<number> {
  const text = readText(file, io);
  if (text === undefined) return 2;
  const yaml = /\.ya?ml$/i.test(file);
  const parsed = yaml
    ? (await import("../../compiler/yaml/index.ts")).parseYamlWorkflow(text, file)
    : parse(text, file);
  const compiled = compile(text, { filename: file });
  const errors = compiled.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    io.stderr(
      `${formatText(compiled.diagnostics, compiled.sources, { color: useColor(values, io) })}\n`,
    );
    io.stderr(
      `aegis: not converting ${file}: it has ${errors.length} error${errors.length === 1 ? "" : "s"}\n`,
    );
    return 1;
  }
  let module: string;
  try {
    module = printTypeScript(parsed.ast, yaml ? {} : { comments: parsed.comments, source: text });
  } catch (error) {
    if (!(error instanceof PrintError)) throw error;
    io.stderr(`aegis: cannot convert ${file}: ${error.message}\n`);
    return 1;
  }
  if (values.out === undefined) {
    io.stdout(module);
    return 0;
  }
  try {
    writeFileSync(values.out, module);
  } catch (error) {
    io.stderr(`aegis: cannot write ${values.out}: ${(error as Error).message}\n`);
    return 2;
  }
  io.stderr(`aegis: wrote ${values.out}\n`);
  return 0;
}
