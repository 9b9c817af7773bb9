// Which module of src/cli/commands/ each command is in (main.ts loads it when the command
// runs). The packaged command line is built as one script per module (scripts/build-cli.ts),
// and bin/aegis.js picks the script by the command's word, aliases included.
export const commandModules = {
  compile: "compile",
  graph: "graph",
  fmt: "fmt",
  convert: "convert",
  run: "drive",
  signal: "drive",
  resume: "drive",
  cancel: "cancel",
  status: "status",
  logs: "logs",
  list: "list",
  serve: "serve",
  deploy: "deploy",
  workflows: "workflows",
  mcp: "mcp",
  worker: "worker",
  lsp: "lsp",
} as const satisfies Record<string, string>;
