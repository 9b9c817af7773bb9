// The aegis library: compile workflows, inspect and export their graphs, and run them.
//
// Importing it is cheap: the compiler, the runtime and what they depend on (Chevrotain,
// graphology, Handlebars, YAML, Ajv, execa…) are loaded on first use, synchronously, with
// require() of ES modules (Node ≥ 22.12), so compile() and the rest stay synchronous. A
// program that only compiles never loads the runtime, and one that runs stored graphs never
// loads the parser. Types, and the small modules below, are imported as usual.
import { createRequire } from "node:module";
import type * as CompileModule from "./compiler/compile.ts";
import type * as DotModule from "./compiler/emit/dot.ts";
import type * as MermaidModule from "./compiler/emit/mermaid.ts";
import type * as GraphModule from "./compiler/graph.ts";
import type * as ParseModule from "./compiler/parse.ts";
import type * as EngineModule from "./runtime/engine.ts";
import type * as ExecuteModule from "./runtime/execute.ts";
import type * as InputsModule from "./runtime/inputs.ts";
import type * as ProvidersModule from "./runtime/providers/index.ts";
import type * as StepModule from "./runtime/step.ts";
import type * as StoreModule from "./runtime/store/index.ts";

export type * from "./compiler/ast.ts";
export type { CompileOptions, CompileResult } from "./compiler/compile.ts";
export {
  type CatalogueEntry,
  type Code,
  catalogue,
  type Diagnostic,
  type Severity,
} from "./compiler/diagnostics.ts";
export type { MermaidOptions } from "./compiler/emit/mermaid.ts";
export type {
  AgentSpec,
  GraphDocument,
  InputSpec,
  Limits,
  StateNode,
  TransitionEdge,
  WorkflowAttributes,
  WorkflowGraph,
} from "./compiler/graph.ts";
export type { ParseResult } from "./compiler/parse.ts";
export { providers } from "./compiler/providers.ts";
export { formatGithub } from "./compiler/report/github.ts";
export { formatJson } from "./compiler/report/json.ts";
export { formatSarif } from "./compiler/report/sarif.ts";
export { formatText } from "./compiler/report/text.ts";
export { followLog, ObservationStream, RunLog } from "./runtime/events.ts";
// The runtime's types (its values are defined below, loaded on first use: a local export
// takes precedence over a star export of the same name).
export type * from "./runtime/index.ts";
export { RUN_ID } from "./runtime/store/types.ts";
export { RuntimeError } from "./runtime/types.ts";

const requireModule = createRequire(import.meta.url);
// This file runs as src/index.ts (types stripped) or as the built lib/index.js.
const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** A module of the library, loaded (with its dependencies) when first asked for. */
function part<M>(path: string): () => M {
  let loaded: M | undefined;
  return () => {
    loaded ??= requireModule(`${path}${extension}`) as M;
    return loaded;
  };
}

type AnyFunction = (...args: never[]) => unknown;

/** A function of a lazily loaded module: loads it on the first call. */
function lazyFunction<M, K extends keyof M>(module: () => M, name: K & string): M[K] {
  const call = (...args: never[]) => (module()[name] as AnyFunction)(...args);
  Object.defineProperty(call, "name", { value: name });
  return call as M[K];
}

/**
 * A stand-in for a value of a lazily loaded module (a class, an object, an array) that
 * loads it when first used: `new`, `instanceof`, `extends`, reading its properties and
 * iterating it all reach the real value. `shape` is what it stands in for ([] for an array,
 * a function for a class) so that Array.isArray and `new` behave as on the real value.
 */
function lazyValue<M, K extends keyof M>(module: () => M, name: K, shape: object): M[K] {
  type Constructor = new (...args: unknown[]) => object;
  const real = () => module()[name] as object;
  const standIn: object = new Proxy(shape, {
    construct: (_shape, args, newTarget) =>
      Reflect.construct(
        real() as Constructor,
        args,
        newTarget === standIn ? (real() as Constructor) : newTarget,
      ),
    apply: (_shape, self, args) => Reflect.apply(real() as AnyFunction, self, args),
    get: (_shape, key) => Reflect.get(real(), key),
    has: (_shape, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (shape, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      // A proxy may report a property as non-configurable only if its target has it so.
      if (descriptor && !descriptor.configurable && !Reflect.getOwnPropertyDescriptor(shape, key))
        Object.defineProperty(shape, key, descriptor);
      return descriptor;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
  return standIn as M[K];
}

/**
 * What a class stands in for: a constructor with no own `prototype` (a bound function), so
 * that the real class's `prototype` can be reported in its place.
 */
const classShape = () => function LazyClass() {}.bind(null);

const compiler = part<typeof CompileModule>("./compiler/compile");
const graphs = part<typeof GraphModule>("./compiler/graph");
const parser = part<typeof ParseModule>("./compiler/parse");
const dot = part<typeof DotModule>("./compiler/emit/dot");
const mermaid = part<typeof MermaidModule>("./compiler/emit/mermaid");
const engine = part<typeof EngineModule>("./runtime/engine");
const execute = part<typeof ExecuteModule>("./runtime/execute");
const inputs = part<typeof InputsModule>("./runtime/inputs");
const agents = part<typeof ProvidersModule>("./runtime/providers/index");
const steps = part<typeof StepModule>("./runtime/step");
const stores = part<typeof StoreModule>("./runtime/store/index");

// ---------------------------------------------------------------- compiler
export const compile = lazyFunction(compiler, "compile");
export const compileFile = lazyFunction(compiler, "compileFile");
export const compileFiles = lazyFunction(compiler, "compileFiles");
export const checks = lazyValue(compiler, "checks", []);
export const parse = lazyFunction(parser, "parse");
export const toDot = lazyFunction(dot, "toDot");
export const toMermaid = lazyFunction(mermaid, "toMermaid");
export const exportGraph = lazyFunction(graphs, "exportGraph");
export const graphHash = lazyFunction(graphs, "graphHash");
export const loadGraph = lazyFunction(graphs, "loadGraph");
export const transitionsOf = lazyFunction(graphs, "transitionsOf");
export const GraphLoadError = lazyValue(graphs, "GraphLoadError", classShape());

// ---------------------------------------------------------------- runtime
export const createEngine = lazyFunction(engine, "createEngine");
export const mergeAgent = lazyFunction(engine, "mergeAgent");
export const normalizeAgentOverrides = lazyFunction(engine, "normalizeAgentOverrides");
export const systemClock = lazyValue(engine, "systemClock", {});
export const executeState = lazyFunction(execute, "executeState");
export const InputError = lazyValue(inputs, "InputError", classShape());
export const parseParam = lazyFunction(inputs, "parseParam");
export const validateInputs = lazyFunction(inputs, "validateInputs");
export const createAgentResolver = lazyFunction(agents, "createAgentResolver");
export const createProvider = lazyFunction(agents, "createProvider");
export const attemptKey = lazyFunction(steps, "attemptKey");
export const createRun = lazyFunction(steps, "createRun");
export const step = lazyFunction(steps, "step");
export const FileStore = lazyValue(stores, "FileStore", classShape());
export const MemoryStore = lazyValue(stores, "MemoryStore", classShape());
export const parseJournal = lazyFunction(stores, "parseJournal");
export const replay = lazyFunction(stores, "replay");
