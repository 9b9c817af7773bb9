// The wire contract of `aegis serve`, shared by the server (src/server/) and its clients
// (the CLI's src/cli/remote.ts): types, problem documents, and the OpenAPI document.
// Neither side imports the other; both import this.
export * from "./openapi.ts";
export * from "./problem.ts";
export * from "./runs.ts";
export * from "./workflows.ts";
