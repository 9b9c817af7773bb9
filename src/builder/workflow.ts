// `workflow(name, spec)`: a workflow written in TypeScript. It compiles as text does (the
// same lowering and checks, src/compiler/compile-core.ts compileTree) to `{ graph,
// diagnostics }`, with the findings at the lines of the program that built the offending
// part; it prints as .aegis source; its function agents run in the engine by name.
import { dirname, resolve } from "node:path";
import { type CompileResult, compileTree } from "../compiler/compile.ts";
import { printAegis } from "../compiler/emit/aegis.ts";
import type { ParseResult } from "../compiler/parse.ts";
import type { AgentFunction } from "../runtime/types.ts";
import { hasWorkflowBrand, workflowBrand } from "./brand.ts";
import { type CallSite, callerSite } from "./call-site.ts";
import type { AgentDeclaration, InputLike, OptionValue } from "./parts.ts";
import type { State } from "./states.ts";
import { type BuiltTree, brokenTree, buildTree, type WorkflowParts } from "./to-ast.ts";
import type { CheckedOutput, CheckedStates } from "./typing.ts";

/** What a workflow declares, checked by TypeScript as it is written (typing.ts). */
export interface WorkflowSpec<
  I extends Record<string, InputLike>,
  A extends Record<string, AgentDeclaration>,
  S extends Record<string, State>,
  Open extends boolean,
  O extends string = string,
> {
  title?: string;
  version?: string;
  description?: string;
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, OptionValue>>;
  /** Subworkflows by alias: a file (.aegis or YAML, from this file's folder) or a built workflow. */
  imports?: Readonly<Record<string, string | Workflow>>;
  inputs?: I;
  /** `input *`: inputs the workflow does not declare are taken too. */
  otherInputs?: Open;
  context?: Readonly<Record<string, OptionValue>>;
  /** Secrets the run is given, by name (with a description) or as a list of names. */
  secrets?: Readonly<Record<string, string>> | readonly string[];
  agents?: A;
  limits?: {
    transitions?: number;
    visits?: number;
    agent_calls?: number;
    wall_time?: `${number}${"ms" | "s" | "m" | "h" | "d"}${string}`;
    cost?: number;
  };
  start: NoInfer<keyof S & string>;
  states: S &
    CheckedStates<
      S,
      keyof S & string,
      keyof A & string,
      true extends Open ? string : keyof I & string
    >;
  /** The run's result: a template, or named templates. */
  output?: CheckedOutput<O, keyof S & string> | Readonly<Record<string, string>>;
  /** JSON Schema of the run's result. */
  outputSchema?: Readonly<Record<string, OptionValue>>;
  /** Volumes the run's containers share. */
  storage?: Readonly<Record<string, OptionValue>>;
}

/** A workflow built in TypeScript. */
export class Workflow {
  readonly [workflowBrand] = true;
  readonly name: string;
  /** Where `workflow(…)` was called: the file its findings point into. */
  readonly site: CallSite | undefined;
  readonly parts: Readonly<WorkflowParts>;
  #tree: BuiltTree | undefined;
  #compiled: CompileResult | undefined;

  constructor(name: string, parts: WorkflowParts, site: CallSite | undefined) {
    this.name = name;
    this.parts = parts;
    this.site = site;
  }

  /** The file the workflow was built in (findings point into it). */
  get file(): string {
    return this.tree().file;
  }

  /** The syntax tree the workflow's parts make, with the builder's own findings. */
  tree(): BuiltTree {
    if (!this.#tree) {
      try {
        this.#tree = buildTree(this.name, this.parts, this.site);
      } catch (error) {
        this.#tree = brokenTree(this.site, error);
      }
    }
    return this.#tree;
  }

  /** The workflows it imports that are built too, by alias. */
  private builtImports(): [string, Workflow][] {
    return Object.entries(this.parts.imports ?? {}).flatMap(([alias, target]) =>
      isWorkflow(target) ? [[alias, target] as [string, Workflow]] : [],
    );
  }

  /**
   * Function agents by the name a run looks them up by: this workflow's and those of the
   * built workflows it imports (their runs are driven by the same engine).
   */
  get functions(): Readonly<Record<string, AgentFunction>> {
    const out: Record<string, AgentFunction> = {};
    for (const [, child] of this.builtImports()) Object.assign(out, child.functions);
    return Object.assign(out, this.tree().functions);
  }

  /**
   * Compiles it: the graph and the findings of every check, as for text. Never throws;
   * the result is kept (a workflow does not change once built).
   */
  compile(
    options: {
      /** Compiled imports shared with other compilations. */
      cache?: Map<string, CompileResult>;
      /** The name findings give the file (default: its absolute path). */
      filename?: string;
    } = {},
  ): CompileResult {
    const shared = options.cache !== undefined || options.filename !== undefined;
    if (this.#compiled && !shared) return this.#compiled;
    const tree = this.tree();
    const cache = options.cache ?? new Map<string, CompileResult>();
    for (const [, child] of this.builtImports()) {
      const path = resolve(dirname(tree.file), `${child.name}.aegis`);
      if (!cache.has(path)) cache.set(path, child.compile({ cache }));
    }
    const parsed: ParseResult = {
      ast: tree.ast,
      findings: tree.findings,
      comments: tree.comments as ParseResult["comments"],
    };
    const filename = options.filename ?? tree.file;
    const named =
      filename === tree.file
        ? parsed
        : { ...parsed, findings: parsed.findings.map((f) => ({ ...f, file: filename })) };
    const result = compileTree(named, tree.text, { filename, cache });
    if (!shared) this.#compiled = result;
    return result;
  }

  /** The workflow as formatted .aegis source (its imports of built workflows as NAME.aegis). */
  toSource(): string {
    return printAegis(this.tree().ast);
  }

  /** The .aegis sources of it and of every built workflow it imports, by file name. */
  toSources(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [, child] of this.builtImports()) Object.assign(out, child.toSources());
    out[`${this.name}.aegis`] = this.toSource();
    return out;
  }
}

/** Whether `value` is a workflow built with `workflow(…)` (by any copy of this library). */
export function isWorkflow(value: unknown): value is Workflow {
  return hasWorkflowBrand(value);
}

/**
 * A workflow: its name (a name of the language) and what it declares. TypeScript checks
 * the names it uses (states, agents, inputs in templates); compiling it checks the rest.
 */
export function workflow<
  const I extends Record<string, InputLike> = Record<never, InputLike>,
  const A extends Record<string, AgentDeclaration> = Record<never, AgentDeclaration>,
  const S extends Record<string, State> = Record<string, State>,
  const Open extends boolean = false,
  const O extends string = never,
>(name: string, spec: WorkflowSpec<I, A, S, Open, O>): Workflow {
  return new Workflow(name, { ...(spec as unknown as WorkflowParts) }, callerSite());
}
