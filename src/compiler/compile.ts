// The compiler with all of its front ends: the aegis language and the YAML dialects (AEGIS
// manifests, AgentOS workflows). compile() never throws: whatever the input, it returns a
// graph (possibly partial) and diagnostics. See compile-core.ts.

import type { CompileOptions, CompileResult } from "./compile-core.ts";
import * as core from "./compile-core.ts";
import type { ParseResult } from "./parse.ts";
import { parseYamlWorkflow } from "./yaml/index.ts";

export {
  type CompileOptions,
  type CompileResult,
  checks,
  mayImport,
  type YamlFrontEnd,
} from "./compile-core.ts";

export function compile(source: string, options: CompileOptions = {}): CompileResult {
  return core.compile(source, { yaml: parseYamlWorkflow, ...options });
}

/** Compiles a file from disk; a missing or unreadable file is a diagnostic, not a throw. */
export function compileFile(
  path: string,
  options: Omit<CompileOptions, "filename"> = {},
): CompileResult {
  return core.compileFile(path, { yaml: parseYamlWorkflow, ...options });
}

/** Compiles several files, sharing the compilation of common imports. */
export function compileFiles(
  paths: string[],
  options: Omit<CompileOptions, "filename"> = {},
): CompileResult[] {
  return core.compileFiles(paths, { yaml: parseYamlWorkflow, ...options });
}

/** Compiles a tree another front end built (the TypeScript builder); see compile-core.ts. */
export function compileTree(
  parsed: ParseResult,
  source: string,
  options: CompileOptions = {},
): CompileResult {
  return core.compileTree(parsed, source, { yaml: parseYamlWorkflow, ...options });
}
