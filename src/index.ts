// The aegis library: compile workflows, inspect and export their graphs, and run them.
export type * from "./compiler/ast.ts";
export {
  type CompileOptions,
  type CompileResult,
  checks,
  compile,
  compileFile,
  compileFiles,
} from "./compiler/compile.ts";
export {
  type CatalogueEntry,
  type Code,
  catalogue,
  type Diagnostic,
  type Severity,
} from "./compiler/diagnostics.ts";
export { toDot } from "./compiler/emit/dot.ts";
export { type MermaidOptions, toMermaid } from "./compiler/emit/mermaid.ts";
export {
  type AgentSpec,
  exportGraph,
  type GraphDocument,
  GraphLoadError,
  graphHash,
  type InputSpec,
  type Limits,
  loadGraph,
  type StateNode,
  type TransitionEdge,
  transitionsOf,
  type WorkflowAttributes,
  type WorkflowGraph,
} from "./compiler/graph.ts";
export { type ParseResult, parse } from "./compiler/parse.ts";
export { providers } from "./compiler/providers.ts";
export { formatGithub } from "./compiler/report/github.ts";
export { formatJson } from "./compiler/report/json.ts";
export { formatSarif } from "./compiler/report/sarif.ts";
export { formatText } from "./compiler/report/text.ts";
export * from "./runtime/index.ts";
