// Loading a module that exports a workflow built with `aegis-workflows/builder`, for the
// hosts (the command line's compile, graph, run, serve and worker; the Action): imported
// (it is a program: it runs with the user's rights, as a build tool's config file does),
// then its workflow compiled. Types only from the compiler and runtime: the hosts load this
// without the builder, which the module itself imports.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CompileResult } from "../compiler/compile-core.ts";
import type { AgentFunction } from "../runtime/types.ts";
import { hasWorkflowBrand } from "./brand.ts";

/**
 * Where a module's `import "aegis-workflows/SUBPATH"` goes when Node cannot resolve it:
 * by subpath ("" for the root), this host's own copy. Default: beside this file, as in the
 * package (lib/builder/ → lib/SUBPATH/index.js) or a checkout (src/…/index.ts).
 */
export type OwnEntries = Record<string, string>;

/** What the command line needs of a built workflow (src/builder/workflow.ts Workflow). */
export interface ModuleWorkflow {
  readonly name: string;
  readonly functions: Readonly<Record<string, AgentFunction>>;
  compile(options?: { cache?: Map<string, CompileResult>; filename?: string }): CompileResult;
}

const moduleExtension = /\.(?:[mc]?ts|[mc]?js)$/i;

/** Whether a path names a workflow module (TypeScript or JavaScript) rather than a source file. */
export function isWorkflowModule(path: string): boolean {
  return moduleExtension.test(path);
}

function isBuilt(value: unknown): value is ModuleWorkflow {
  return hasWorkflowBrand(value);
}

let hooked = false;
let ownEntries: OwnEntries | undefined;

/** This host's own entry for `aegis-workflows/SUBPATH`, if it has one. */
function ownEntry(subpath: string): string | undefined {
  if (ownEntries) return ownEntries[subpath];
  const here = import.meta.url;
  const extension = here.endsWith(".ts") ? "ts" : "js";
  return new URL(subpath ? `../${subpath}/index.${extension}` : `../index.${extension}`, here).href;
}

/**
 * Lets a module import `aegis-workflows/…` where the package does not resolve (a checkout
 * of aegis itself, a script outside any project, the Action's checkout): it gets this
 * host's own copy. Where it resolves (a project that installs aegis-workflows), Node's
 * answer stands.
 */
function resolveOwnPackage(entries: OwnEntries | undefined): void {
  if (entries) ownEntries = entries;
  // Node 22.15 and later (earlier, a module imports what Node resolves, or fails to).
  const { registerHooks } = process.getBuiltinModule("node:module");
  if (hooked || typeof registerHooks !== "function") return;
  hooked = true;
  registerHooks({
    resolve(specifier, context, next) {
      try {
        return next(specifier, context);
      } catch (error) {
        const m = /^aegis-workflows(?:\/([a-z-]+))?$/.exec(specifier);
        const entry = m ? ownEntry(m[1] ?? "") : undefined;
        if (!entry) throw error;
        return next(entry, context);
      }
    },
  });
}

/** Why Node could not import a module, in one line. */
function loadError(path: string, error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e?.code) {
    case "ERR_UNKNOWN_FILE_EXTENSION":
      return `cannot load ${path}: this Node (${process.version}) does not run TypeScript; Node 22.18 or later does`;
    case "ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING":
      return `cannot load ${path}: Node does not run TypeScript files under node_modules`;
    case "ERR_MODULE_NOT_FOUND":
      return `cannot load ${path}: ${e.message.split("\n")[0]}`;
  }
  // Where it happened: a syntax error's file:line heads the stack, a throw's is a frame.
  const where = /(?:file:\/\/)?((?:\/|[A-Za-z]:[\\/])[^\s():]+:\d+(?::\d+)?)/.exec(
    String(e?.stack ?? ""),
  )?.[1];
  const message = `${e?.name ?? "Error"}: ${e?.message ?? String(error)}`.split("\n")[0] ?? "";
  return `cannot load ${path}: ${message}${where && !message.includes(where) ? ` (${where})` : ""}`;
}

/**
 * The workflow a module exports: its default export, else its only exported workflow.
 * An error (one line) when it cannot be imported or exports none, or several and no default.
 */
export async function loadWorkflowModule(
  path: string,
  entries?: OwnEntries,
): Promise<{ workflow: ModuleWorkflow } | { error: string }> {
  if (!existsSync(path)) return { error: `cannot read ${path}: no such file` };
  resolveOwnPackage(entries);
  let exports: Record<string, unknown>;
  // Loaded here: a host that compiles .aegis files only (a pre-commit hook) never needs it.
  const { withoutWarning } = await import("../runtime/without-warning.ts");
  try {
    // The packaged command line is a script run by vm (bin/bundle-loader.js), where
    // import() still warns that it is experimental.
    exports = await withoutWarning(
      (text) => text.includes("USE_MAIN_CONTEXT_DEFAULT_LOADER"),
      () => import(pathToFileURL(resolve(path)).href),
    );
  } catch (error) {
    return { error: loadError(path, error) };
  }
  if (isBuilt(exports.default)) return { workflow: exports.default };
  const named = Object.entries(exports).filter(([, v]) => isBuilt(v));
  if (named.length === 1) return { workflow: named[0]![1] as ModuleWorkflow };
  if (named.length === 0)
    return {
      error: `${path} exports no workflow: export one made with workflow(…) from aegis-workflows/builder`,
    };
  return {
    error: `${path} exports ${named.length} workflows (${named.map(([k]) => k).join(", ")}); export the one to use as default`,
  };
}

/** A module's workflow compiled, named as the user gave its path; or why it cannot be. */
export async function compileWorkflowModule(
  path: string,
  cache?: Map<string, CompileResult>,
  entries?: OwnEntries,
): Promise<
  { result: CompileResult; functions: Record<string, AgentFunction> } | { error: string }
> {
  const loaded = await loadWorkflowModule(path, entries);
  if ("error" in loaded) return loaded;
  const result = loaded.workflow.compile({ filename: path, ...(cache && { cache }) });
  return { result, functions: { ...loaded.workflow.functions } };
}
