// The compiler (`aegis-workflows/compiler`): parse workflows (.aegis and workflow YAML),
// check them, lower them to graphs, export and load those graphs, and report findings.
// It loads Chevrotain, graphology, Handlebars and YAML; never the runtime or execa.
export type * from "./ast.ts";
export {
  type CompileOptions,
  type CompileResult,
  checks,
  compile,
  compileFile,
  compileFiles,
} from "./compile.ts";
export {
  type CatalogueEntry,
  type Code,
  catalogue,
  type Diagnostic,
  type Severity,
} from "./diagnostics.ts";
export { toDot } from "./emit/dot.ts";
export { type MermaidOptions, toMermaid } from "./emit/mermaid.ts";
export { type Figures, figuresOf } from "./figures.ts";
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
} from "./graph.ts";
export { type ParseResult, parse } from "./parse.ts";
export { providers } from "./providers.ts";
export { formatGithub } from "./report/github.ts";
export { formatJson } from "./report/json.ts";
export { formatSarif } from "./report/sarif.ts";
export { formatText } from "./report/text.ts";
