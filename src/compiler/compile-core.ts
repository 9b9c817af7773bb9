// The compiler's entry points, given the front ends to read YAML with (compile.ts gives
// them all; the command line's `compile` loads the YAML front end only when a file may need
// it, so that checking an .aegis file in a pre-commit hook does not load a YAML parser).
// compile() never throws: whatever the input, it returns a graph (possibly partial) and
// diagnostics.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, relative as relativePath, resolve as resolvePath } from "node:path";
import type { SourceFileAst } from "./ast.ts";
import { withoutCascades } from "./cascades.ts";
import { checkAgents } from "./checks/agents.ts";
import { checkBounds, type WorstCase, worstCase } from "./checks/bounds.ts";
import { checkConditions } from "./checks/conditions.ts";
import { type Check, GraphFacts } from "./checks/context.ts";
import { checkScopes } from "./checks/scopes.ts";
import { checkSecurity } from "./checks/security.ts";
import { checkSessions } from "./checks/sessions.ts";
import { checkStructure } from "./checks/structure.ts";
import { checkSubworkflows } from "./checks/subworkflows.ts";
import {
  type Code,
  compareDiagnostics,
  type Diagnostic,
  type Finding,
  toDiagnostic,
} from "./diagnostics.ts";
import { exportGraph, type GraphDocument, type WorkflowGraph } from "./graph.ts";
import { type ImportedWorkflow, Lowering } from "./lower.ts";
import { type ParseResult, parse } from "./parse.ts";
import { SourceText } from "./source.ts";
import { applySuppressions, readSuppressions } from "./suppressions.ts";
import { isYamlFile } from "./yaml/files.ts";

/** The checks, in the order they run. Each lives in its own file under checks/. */
export const checks: readonly Check[] = [
  checkStructure,
  checkConditions,
  checkAgents,
  checkSessions,
  checkBounds,
  checkScopes,
  checkSecurity,
  checkSubworkflows,
];

export interface CompileOptions {
  /** Name of the source, used in diagnostics and to resolve relative imports. */
  filename?: string;
  /** Reads an imported file; defaults to the file system. Return undefined if missing. */
  readFile?: (path: string) => string | undefined;
  /** Files being compiled further up the import chain (to detect recursion). */
  importStack?: string[];
  /** Cache of compiled imports shared between the files of one run. */
  cache?: Map<string, CompileResult>;
  /**
   * The YAML front end (yaml/index.ts parseYamlWorkflow), for YAML files and the YAML
   * files aegis files import. compile.ts always gives it; without it a YAML file is an
   * internal error (AEG000): a caller that leaves it out must know no YAML is involved
   * (see mayImport).
   */
  yaml?: YamlFrontEnd;
}

/** Reads a YAML workflow (yaml/index.ts parseYamlWorkflow). */
export type YamlFrontEnd = (text: string, file: string) => ParseResult;

/**
 * Whether an aegis source may import other files: a line that starts with `import` (the
 * grammar's imports come first, each on a line of its own). Conservative: a line of a
 * string that starts with the word counts too; a file it says no of imports nothing.
 */
export function mayImport(source: string): boolean {
  return /(^|\n)[ \t]*import\b/.test(source);
}

/**
 * The YAML front end for compiling `file` (its text, if it could be read): loaded only when
 * the file is YAML or may import one, so that a process compiling `.aegis` never loads the
 * YAML parser.
 */
export async function yamlFrontEndFor(
  file: string,
  source: string | undefined,
): Promise<YamlFrontEnd | undefined> {
  if (!isYamlFile(file) && !(source !== undefined && mayImport(source))) return undefined;
  return (await import("./yaml/index.ts")).parseYamlWorkflow;
}

export interface CompileResult {
  file: string;
  graph: WorkflowGraph;
  ast: SourceFileAst;
  /** The exported graph with its content hash (and its imported workflows). */
  document: GraphDocument;
  diagnostics: Diagnostic[];
  /** True when no diagnostic is an error. */
  ok: boolean;
  worstCase: WorstCase;
  /** Source texts by file name (this file and its imports), for rendering snippets. */
  sources: Map<string, SourceText>;
  /** Imported workflows by alias. */
  imports: Map<string, CompileResult>;
  /** What the checks learnt of the graph (paths, dominators, template uses), if they ran. */
  facts?: GraphFacts;
}

/** Imports followed this many files deep; deeper chains are refused (each level recurses). */
const MAX_IMPORT_DEPTH = 32;

/**
 * Findings after which a YAML front end's tree has holes that it does not map: semantic
 * checks would only echo them. (An aegis file says what did not parse: see cascades.ts.)
 */
const unreadable = new Set<Code>(["AEG100", "AEG101", "AEG701", "AEG702", "AEG703", "AEG706"]);

/**
 * The file an import names: a path (relative to the importing file), or a bare workflow
 * name looked up as NAME.aegis, NAME.yaml or NAME.yml beside it. Undefined when a bare
 * name matches no file.
 */
function locateImport(
  name: string,
  from: string,
  exists: (path: string) => boolean,
): string | undefined {
  const base = dirname(resolvePath(from));
  const bare = !/[\\/]/.test(name) && !/\.(aegis|ya?ml)$/i.test(name);
  if (!bare) return resolvePath(base, name);
  return [".aegis", ".yaml", ".yml"].map((ext) => resolvePath(base, name + ext)).find(exists);
}

/** A path as the user would type it: from the working directory if below it. */
function shownPath(path: string): string {
  const fromHere = relativePath(process.cwd(), path);
  return fromHere && !fromHere.startsWith("..") && !isAbsolute(fromHere) ? fromHere : path;
}

function defaultRead(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export function compile(source: string, options: CompileOptions = {}): CompileResult {
  return guardedCompile(source, options);
}

/**
 * Compiles a tree another front end built (the TypeScript builder, src/builder/): the same
 * lowering, checks and suppressions as for text. `source` is the text its spans point into
 * (for snippets and suppression comments); never throws.
 */
export function compileTree(
  parsed: ParseResult,
  source: string,
  options: CompileOptions = {},
): CompileResult {
  return guardedCompile(source, options, parsed);
}

function guardedCompile(
  source: string,
  options: CompileOptions,
  parsed?: ParseResult,
): CompileResult {
  try {
    return compileUnguarded(source, options, parsed);
  } catch (error) {
    // A bug in aegis, not in the workflow: report it as a finding rather than crash.
    const file = options.filename ?? "<input>";
    const sources = new Map([[file, new SourceText(file, source)]]);
    const graph = new Lowering(file).lower({ imports: [], span: { start: 0, end: 0 } });
    const finding: Finding = {
      code: "AEG000",
      message: `internal compiler error: ${(error as Error).message}`,
      file,
      span: { start: 0, end: 0 },
      hint: "please report this with the file that caused it",
    };
    return {
      file,
      graph,
      ast: { imports: [], span: { start: 0, end: 0 } },
      document: exportGraph(graph),
      diagnostics: [toDiagnostic(finding, sources)],
      ok: false,
      worstCase: { reasons: [] },
      sources,
      imports: new Map(),
    };
  }
}

function compileUnguarded(
  source: string,
  options: CompileOptions,
  tree: ParseResult | undefined,
): CompileResult {
  const file = options.filename ?? "<input>";
  const sources = new Map<string, SourceText>([[file, new SourceText(file, source)]]);
  const findings: Finding[] = [];
  const imports = new Map<string, CompileResult>();
  const yaml = !tree && isYamlFile(file);
  if (yaml && !options.yaml) throw new Error(`no YAML front end was given to read ${file}`);
  const parsed = tree ?? (yaml ? options.yaml!(source, file) : parse(source, file));
  const { ast, findings: parseFindings, comments } = parsed;
  // What did not parse (the aegis language): the checks run on the rest.
  const broken = "broken" in parsed ? parsed.broken : undefined;
  findings.push(...parseFindings);
  const semantic: Finding[] = [];
  const resolved = resolveImports(ast, file, options, imports, semantic, sources);
  const lowering = new Lowering(file, resolved);
  const graph = lowering.lower(ast);
  const text = sources.get(file)!;
  // A YAML file that could not be read has holes the front end does not map: keep only the
  // lowering's findings on lines before its first error, and run no checks.
  const firstUnreadable = !yaml
    ? Number.POSITIVE_INFINITY
    : Math.min(...parseFindings.filter((f) => unreadable.has(f.code)).map((f) => f.span.start));
  const cutoff = Number.isFinite(firstUnreadable)
    ? text.offsetOf({ line: text.position(firstUnreadable).line, column: 1 })
    : Number.POSITIVE_INFINITY;
  semantic.push(...lowering.findings.filter((f) => f.span.start < cutoff));
  let worst: WorstCase = { reasons: [] };
  let facts: GraphFacts | undefined;
  if (ast.workflow && !Number.isFinite(firstUnreadable)) {
    facts = new GraphFacts(graph);
    const context = {
      file,
      graph,
      ast,
      imports: new Map(
        [...imports].map(([alias, r]) => [alias, { graph: r.graph, worstCase: r.worstCase }]),
      ),
      facts,
      report: (f: Omit<Finding, "file"> & { file?: string }) =>
        semantic.push({ ...f, file: f.file ?? file }),
    };
    // On a tree with holes, a check that fails is still a bug (AEG000), but the syntax
    // errors, and what the other checks found, are reported with it.
    const guarded = (name: string, run: () => void) => {
      if (!broken) return run();
      try {
        run();
      } catch (error) {
        semantic.push({
          code: "AEG000",
          message: `internal compiler error in ${name}: ${(error as Error)?.message ?? String(error)}`,
          file,
          span: { start: 0, end: 0 },
          hint: "please report this with the file that caused it",
        });
      }
    };
    for (const check of checks) guarded(check.name || "a check", () => check(context));
    const imported = new Map([...context.imports].map(([a, i]) => [a, i.worstCase]));
    guarded("the worst case", () => {
      worst = worstCase(facts!, imported);
    });
  }
  // Findings that follow from what did not parse are left out (see cascades.ts).
  findings.push(
    ...(broken ? withoutCascades(semantic, broken, { file, text, ast, facts }) : semantic),
  );
  const suppressions = readSuppressions(comments, sources.get(file)!, file);
  let kept = applySuppressions(findings, suppressions, file, sources.get(file));
  // What a suppression was for may be a finding left out because of a syntax error.
  if (broken) kept = kept.filter((f) => f.code !== "AEG001");
  const diagnostics = dedupe(kept.map((f) => toDiagnostic(f, sources))).sort(compareDiagnostics);
  // The document (a copy of the graph, and its content hash) is built when first asked for:
  // a linter run never needs it.
  let document: GraphDocument | undefined;
  return {
    file,
    graph,
    ast,
    get document() {
      document ??= exportGraph(
        graph,
        Object.fromEntries([...imports].map(([alias, r]) => [alias, r.document])),
      );
      return document;
    },
    set document(value) {
      document = value;
    },
    diagnostics,
    ok: !diagnostics.some((d) => d.severity === "error"),
    worstCase: worst,
    sources,
    imports,
    ...(facts && { facts }),
  };
}

/** One finding per place: a template read at two moments is one mistake, reported once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}:${d.offset}:${d.endOffset}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function resolveImports(
  ast: SourceFileAst,
  file: string,
  options: CompileOptions,
  imports: Map<string, CompileResult>,
  findings: Finding[],
  sources: Map<string, SourceText>,
): Map<string, ImportedWorkflow> {
  const resolved = new Map<string, ImportedWorkflow>();
  const read = options.readFile ?? defaultRead;
  const stack = options.importStack ?? [resolvePath(file)];
  const cache = options.cache ?? new Map<string, CompileResult>();
  const aliases = new Set<string>();
  for (const imp of ast.imports) {
    if (aliases.has(imp.alias.name)) {
      findings.push({
        code: "AEG106",
        message: `import alias '${imp.alias.name}' is used twice`,
        file,
        span: imp.alias.span,
      });
      continue;
    }
    aliases.add(imp.alias.name);
    const path = locateImport(
      imp.path,
      file,
      (p) => stack.includes(p) || cache.has(p) || read(p) !== undefined,
    );
    if (path === undefined) {
      // A bare name that is no file next to this one: a workflow the engine resolves by
      // name when the run gets there (AEGIS `workflow_id`).
      findings.push({
        code: "AEG708",
        message: `subworkflow '${imp.path}' is not a file here; it will be looked up by name at run time`,
        file,
        span: imp.pathSpan,
        hint: `put ${imp.path}.aegis or ${imp.path}.yaml next to this file to have it checked`,
      });
      resolved.set(imp.alias.name, {
        path: imp.path,
        workflow: imp.path,
        hash: "",
        external: true,
      });
      continue;
    }
    if (stack.includes(path)) {
      const chain = [...stack.slice(stack.indexOf(path)), path]
        .map((p) => p.split("/").pop())
        .join(" → ");
      // The whole chain, by the paths of the files (from the folder of the file compiled
      // first): the names alone may be ambiguous.
      const cycle = [...stack.slice(stack.indexOf(path)), path];
      const from = dirname(stack[0]!);
      const paths = cycle.map((p) => relativePath(from, p) || p).join(" imports ");
      findings.push({
        code: "AEG506",
        message: `recursive subworkflow: ${chain}`,
        file,
        span: imp.pathSpan,
        hint: `${paths}: a workflow may not call itself, directly or through others`,
      });
      continue;
    }
    let result = cache.get(path);
    if (!result && stack.length >= MAX_IMPORT_DEPTH) {
      findings.push({
        code: "AEG509",
        message: `imports nested more than ${MAX_IMPORT_DEPTH} levels deep`,
        file,
        span: imp.pathSpan,
        hint: "flatten the chain of imports: each level is a workflow compiled inside the one above",
      });
      continue;
    }
    if (!result) {
      const text = read(path);
      if (text === undefined) {
        findings.push({
          code: "AEG507",
          message: `cannot read imported file '${imp.path}'`,
          file,
          span: imp.pathSpan,
          hint: `looked for ${shownPath(path)} (a path is taken from the importing file's folder)`,
        });
        continue;
      }
      result = compile(text, {
        filename: path,
        readFile: read,
        importStack: [...stack, path],
        cache,
        ...(options.yaml && { yaml: options.yaml }),
      });
      cache.set(path, result);
    }
    for (const [name, text] of result.sources) sources.set(name, text);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      const code =
        (["AEG506", "AEG509"] as const).find((c) => errors.some((d) => d.code === c)) ?? "AEG507";
      const hint = errors.find((d) => d.code === code)?.hint;
      findings.push({
        code,
        ...(hint && { hint }),
        message: `imported workflow '${imp.alias.name}' has ${errors.length} error${errors.length === 1 ? "" : "s"}: ${errors[0]!.message}`,
        file,
        span: imp.pathSpan,
        related: errors.slice(0, 5).map((d) => ({
          file: d.file,
          span: { start: d.offset, end: d.endOffset },
          message: d.message,
        })),
      });
    }
    imports.set(imp.alias.name, result);
    resolved.set(imp.alias.name, {
      path: imp.path,
      workflow: result.graph.getAttribute("name") ?? "",
      hash: result.document.hash,
    });
  }
  return resolved;
}

/** Compiles a file from disk; a missing or unreadable file is a diagnostic, not a throw. */
export function compileFile(
  path: string,
  options: Omit<CompileOptions, "filename"> = {},
): CompileResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const result = compile("", { ...options, filename: path });
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (error as Error).message;
    result.diagnostics = [
      toDiagnostic(
        {
          code: "AEG002",
          message: `cannot read ${path}: ${reason}`,
          file: path,
          span: { start: 0, end: 0 },
        },
        result.sources,
      ),
    ];
    result.ok = false;
    return result;
  }
  return compile(text, { ...options, filename: path });
}

/** Compiles several files, sharing the compilation of common imports. */
export function compileFiles(
  paths: string[],
  options: Omit<CompileOptions, "filename"> = {},
): CompileResult[] {
  const cache = options.cache ?? new Map<string, CompileResult>();
  return paths.map((p) => compileFile(p, { ...options, cache }));
}
