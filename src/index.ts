// The aegis library: compile workflows, inspect and export their graphs, and run them.
//
// The root re-exports its two entry points, which can be imported on their own:
//   aegis-workflows/compiler  parse, check, lower, export and load graphs, report findings
//                             (loads Chevrotain, graphology, Handlebars, YAML; never execa)
//   aegis-workflows/runtime   run compiled graphs durably: engine, stores, providers, events
//                             (loads Ajv, Handlebars, graphology, and execa when a command
//                             first runs; never the parser)
// Importing the root loads both.
export * from "./compiler/index.ts";
export * from "./runtime/index.ts";
