// The command line's help: the overview (`aegis --help`) and each command's own usage
// (`aegis help COMMAND`, `aegis COMMAND --help`). Text only: printing help loads nothing else.

export const VERSION = "0.1.0";

export const DEFAULT_STORE = ".aegis/runs";

const store = `  --store DIR        where runs are kept (default: ${DEFAULT_STORE} under the current directory)`;
const color = `  --color, --no-color
                     colour the text output (default: when stdout is a terminal)`;
const driving = `  --agents FILE      providers for the workflow's agents (the run keeps them)
  --json             print the run's events as JSON lines
  --verbose          print the states' output as it comes (when not on a terminal)
${store}`;

const DEFAULT_PORT = 4680;
const DEFAULT_DATA = ".aegis/server";
const server = `  --server URL       the server (default: $AEGIS_SERVER, else http://127.0.0.1:${DEFAULT_PORT});
                     a token is taken from $AEGIS_TOKEN`;
const onServer = `  --server URL       do it on that aegis server (default: $AEGIS_SERVER when set; a token
                     is taken from $AEGIS_TOKEN); options that name this machine's files
                     or processes (--store, --agents, --agent, --workdir) are refused`;

/** Each command's usage: its synopsis, what it does, its options. */
export const commandUsage: Record<string, string> = {
  compile: `Usage: aegis compile [--check] [--format F] [--out graph.json] [--strict]
                     [--ignore CODE …] FILES…|DIRS…|-

Compiles workflows (.aegis, AEGIS manifests, AgentOS YAML), proves them sound, and prints
the findings. FILES may be globs ('examples/**/*.aegis'); a directory is searched for
.aegis files and YAML files that hold a workflow (top-level steps:, or apiVersion:
100monkeys.ai/… with kind: Workflow), skipping node_modules and dot-directories; \`-\`
reads stdin. \`aegis check FILES…\` is \`aegis compile --check FILES…\`.
A TypeScript or JavaScript module (FILE.ts, .mts, .js, .mjs) that exports a workflow built
with aegis-workflows/builder is imported and its workflow compiled, with the findings at
the module's lines (a module is a program: it runs with your rights, as a config file of a
build tool does; a directory is never searched for modules).

Options:
  --check            only check; write nothing
  --format F         how to print findings: text (default), oneline (file:line:col:
                     severity[CODE]: message (rule), one a line), json, sarif, github
  --out FILE         write the compiled graph (JSON with its content hash); one input only
  --strict           warnings fail too (exit 1)
  --ignore CODE      leave out the findings of CODE (AEG502, or its rule: unused-agent);
                     repeatable, or a comma list. Inline: // aegis-ignore CODE (# in YAML)
  --stdin-filename NAME
                     the name stdin (-) has in findings and where its imports are found
                     (NAME.yaml is read as YAML; default: <stdin>, as .aegis)
${color}

Exit status: 0 no errors, 1 errors (or warnings with --strict), 2 usage or I/O error.`,

  graph: `Usage: aegis graph FILE|MODULE.ts|GRAPH.json [--format mermaid|dot|json]

Prints a workflow's state graph (from source, a module that builds one, or a graph written
by compile --out).

Options:
  --format F         mermaid (default), dot or json

Exit status: 0 printed, 1 the workflow has errors, 2 usage or I/O error.`,

  fmt: `Usage: aegis fmt [--check | --write] FILES…|DIRS…|-

Lays out .aegis files canonically; comments are kept; files with syntax errors are refused.
A directory is searched for .aegis files (skipping node_modules and dot-directories);
\`-\` reads stdin.

Options:
  (none)             print the formatted file (one file)
  --write            rewrite the files that are not formatted, and list them
  --check            list the files that are not formatted; exit 1 if there are any
  --stdin-filename NAME
                     the name stdin (-) has in messages
${color}

Exit status: 0 formatted, 1 not formatted (--check) or not formattable, 2 usage or I/O error.`,

  convert: `Usage: aegis convert FILE.yaml [--out FILE.aegis]
       aegis convert FILE.aegis|FILE.yaml --to ts [--out FILE.ts]

Converts an AEGIS manifest or an AgentOS workflow (YAML) to aegis source, on stdout or to
--out FILE, with the same meaning: the source compiles to the same graph, with the same
findings at the same severity. The YAML's suppressions (# aegis-ignore CODE) are written as
// aegis-ignore comments; what the YAML's checks say of the YAML itself (a field aegis has
no counterpart for, a step that names no agent) is written as a comment at the top. When
there are findings they are printed, and one line says how the source keeps them.
With --to ts, the workflow (aegis source or YAML) becomes a TypeScript module that builds
it with aegis-workflows/builder and compiles to the same graph; a function agent becomes
a function to write, under the same name. A file with errors is not converted.

Options:
  --out FILE         write the result there
  --to aegis|ts      what to convert to (default aegis)
${color}

Exit status: 0 converted, 1 the YAML has errors (converted all the same, unless the YAML
cannot be read as a workflow), 2 usage or I/O error, or the file is aegis source already.`,

  run: `Usage: aegis run FILE|MODULE.ts|GRAPH.json|NAME [--input JSON|@FILE] [--param NAME=VALUE …] [--intent TEXT]
                 [--agents FILE] [--agent NAME=INSTANCE …] [--id ID] [--replace] [--workdir DIR]

Compiles the workflow (refusing it if it has errors), validates the inputs against its
declared inputs, and runs it, showing progress until it finishes or waits for a human. A
human gate holds no process: the run is saved, and \`aegis signal\` answers it later.
A module (MODULE.ts, .js) that exports a workflow built with aegis-workflows/builder runs
with its function agents; the run keeps the module's path, and \`signal\` and \`resume\`
load it again to find them by name.
With a server (--server, $AEGIS_SERVER), NAME is a workflow deployed to it (\`aegis
deploy FILE\`): the server runs it, and this command follows it the same way (Ctrl-C stops
following; the run goes on).

Options:
  --input JSON|@FILE the inputs, as a JSON object (or a file holding one)
  --param NAME=VALUE one input (repeatable; JSON unless the input is a string)
  --intent TEXT      the caller's intent, the "why" of the run: {{intent}} in templates,
                     and the intent agents are given (unless their state gives its own)
  --agent NAME=INSTANCE
                     binds the agent NAME for this run (repeatable; over the agents file):
                     INSTANCE is an entry of the agents file, or a provider — claude,
                     gemini, opencode, codex, command:LINE, openai:URL
  --id ID            the run's id (default: WORKFLOW-DATE-TIME-XXXX)
  --replace          reuse the id of an existing run, replacing it
  --workdir DIR      where the states' commands and agents run (default: the current
                     directory, or the agents file's "workdir")
${driving}
${onServer}
${color}

The agents file: {"agents": {"coder": {"provider": "command", "command": "./coder.sh"}}};
an agent left without a provider, or a name that is not one of the workflow's agents,
refuses the run before it starts (exit 2).

Exit status: 0 succeeded or waiting for a human, 1 failed or cancelled (or the workflow
has errors), 2 usage or I/O error (invalid inputs, an unknown agent), 130 interrupted.`,

  signal: `Usage: aegis signal RUN (--approve | --reject | --response TEXT) [--feedback TEXT]
                    [--approver NAME] [--state STATE]

Answers the human gate a run waits at, and drives the run on in this process until it
finishes or waits again.

Options:
  --approve, --reject
                     the answer
  --response TEXT    a free-text answer (for a gate that asks a question; alone, the text
                     says approve or reject)
  --feedback TEXT    feedback for the states that follow ({{state.feedback}})
  --approver NAME    who answers (default: $AEGIS_APPROVER, else the user's name)
  --state STATE      the gate being answered (refused if the run waits elsewhere)
${driving}
${onServer}
                     (and --approver: the server records its token's user)
${color}

Exit status: as for run; 1 when the run does not wait for a human (not-waiting), 2 an
unknown run.`,

  resume: `Usage: aegis resume RUN | aegis resume --due

Drives a run on after its process stopped (a crash, kill -9, a lost machine): the state
in flight runs again with the same idempotency key; nothing that finished runs twice.
--due instead takes every gate timeout that has passed in the store. A run that has
finished has nothing to resume: one line says so.

Options:
  --due              resume every run whose gate timeout is due (a server takes its own)
${driving}
${onServer}
${color}

Exit status: as for run; 1 when the run has already finished (not-resumable), 2 an
unknown run.`,

  cancel: `Usage: aegis cancel RUN [--reason TEXT]

Cancels a run, for good: a running one stops where it is.

Options:
  --reason TEXT      why (kept in the run's record)
  --json             print the run's record as JSON
${store}
${onServer}

Exit status: 0 cancelled, 1 the run has already finished (not-cancellable), 2 unknown run.`,

  status: `Usage: aegis status RUN [--json]

Shows where a run is, each state's status and time, and its usage.

Options:
  --json             print the run's record as JSON
${store}
${onServer}
${color}

Exit status: 0 shown, 2 unknown or unreadable run.`,

  logs: `Usage: aegis logs RUN [--follow] [--json]

Prints what a run did, from its log: each line begins with the time it happened, and a
gate's line says who answered it.

Options:
  -f, --follow       keep printing while the run goes on, until it ends
  --json             print the events as JSON lines
${store}
${onServer}

Exit status: 0 printed, 2 unknown run.`,

  list: `Usage: aegis list [--workflow NAME] [--status STATUS] [--json]

Lists the runs of the store (or of a server), one line each (\`aegis ls\` too).

Options:
  --workflow NAME    only that workflow's runs
  --status STATUS    only the runs that are queued, running, waiting, succeeded, failed
                     or cancelled
  --json             print them as JSON
${store}
${onServer}

Exit status: 0 listed, 2 unreadable store.`,

  serve: `Usage: aegis serve [--host HOST] [--port PORT] [--data DIR] [--config FILE]
                   [--concurrency N] [--workdir DIR] [--restate INGRESS_URL] [--module FILE …]

Runs the aegis server: an HTTP API (described by GET /v1/openapi.json) that keeps deployed
workflows (\`aegis deploy\`, \`aegis workflows\`) and runs them by name (\`aegis run NAME\`):
it drives their runs, fires their gates' timeouts when nobody answers, and after a restart
goes on with the runs it was driving. Prints the URL it listens on, in one line, and stops
cleanly on Ctrl-C (SIGINT) or SIGTERM (the runs it drives stay where they are, to go on
when it starts again).

Options:
  --host HOST        the address to listen on (default 127.0.0.1); an address that is not
                     loopback is refused unless the config gives tokens
  --port PORT        the port (default ${DEFAULT_PORT}; 0 picks a free one)
  --data DIR         where the server keeps everything (default: ${DEFAULT_DATA} under the
                     current directory)
  --config FILE      the server's config (JSON): bearer tokens ({"tokens": [{"user": "alice",
                     "roles": ["reviewers"], "token": "…"} or "sha256": "<hex of the token>"]),
                     who may answer each workflow's gates ({"gates": {"NAME" or "*":
                     {"users": […], "roles": […]}}}), "maxBodyBytes" (default 4 MiB). Without
                     tokens, a server on loopback accepts local requests without one.
  --concurrency N    how many runs it drives at once (default 8); more wait in a queue
  --workdir DIR      where runs' commands and agents work (default: the current directory)
  --restate URL      run the runs on a Restate cluster (a node's ingress, e.g.
                     http://127.0.0.1:8080) with \`aegis worker\`s, instead of in this process;
                     the API, the web viewer and MCP work the same (docs/scale-out.md)
  --module FILE      a TypeScript or JavaScript module exporting a workflow built with
                     aegis-workflows/builder (repeatable): deployed as the server starts,
                     its function agents run by this server (with --restate, by the workers
                     given the same --module)

Exit status: 0 stopped by a signal, 1 a module's workflow has errors, 2 usage error, a
module cannot be loaded, or the server cannot start (its data cannot be opened, the port
is taken, a public address without tokens).`,

  deploy: `Usage: aegis deploy FILES… [--server URL] [--json]

Compiles workflows here, printing their findings as \`aegis compile\` does, refuses those with
errors, and deploys the others to the server: each becomes the current version of its
name (its version is its content hash, shown with the \`version\` it declares). Deploying
what is current already changes nothing ("unchanged"); deploying an older version makes it
current again ("restored").

Options:
${server}
  --json             print what was deployed as JSON
${color}

Exit status: 0 deployed, 1 a file has errors (the others are deployed), 2 usage or I/O
error, or the server refused (one line with its problem code) or cannot be reached.`,

  workflows: `Usage: aegis workflows [NAME] [--server URL] [--format text|json]

Lists the workflows deployed on the server, each at its current version; with NAME, that
workflow's versions (newest first; * marks the current one, RUNS the runs that use it).

Options:
${server}
  --format F         text (default) or json

Exit status: 0 listed, 2 usage error, an unknown workflow, or the server refused or cannot
be reached.`,

  mcp: `Usage: aegis mcp [--server URL]

An MCP server on stdio, for agents: claude mcp add aegis -- npx aegis mcp. It is a client
of an aegis server (aegis serve), which runs the workflows. Tools: list_workflows,
run_workflow (optionally waiting for the first human gate or the end), get_run,
answer_gate, cancel_run, and run_NAME for each deployed workflow (its inputs as arguments).
A run it starts records the MCP client and this session. stdout carries only the protocol;
with no server running it says so on stderr, and each tool call answers server-unreachable.
The server's own endpoint is streamable HTTP at URL/mcp.

Options:
${server}

Exit status: 0 when the client closes stdin (or on SIGINT/SIGTERM), 2 usage error.`,

  lsp: `Usage: aegis lsp [--stdio]

The language server, for editors: the Language Server Protocol on stdin and stdout, for
.aegis files and workflow YAML. Every edit is compiled as \`aegis compile --check\` does:
its findings as you type, with codes, related places and quick fixes (the misspelt name,
the missing {{quote …}}, an aegis-ignore comment); hover, go to definition, references,
rename, completion, outline, folding and formatting. VS Code: editors/vscode; Neovim and
Helix: docs/editors.md.

Options:
  --stdio            talk on stdin and stdout (the default; editors pass it)

Exit status: 0 when the editor says exit or closes stdin, 2 usage error.`,

  worker: `Usage: aegis worker [--port PORT] [--host HOST] [--agents FILE] [--identity-key KEY]
                    [--register ADMIN_URL [--advertise URL] [--force]] [--module FILE …] [--verbose]

Serves aegis's Restate workflow (aegisRun) so that runs on a Restate server or cluster
execute their states here: agents, commands and containers run on the worker a state was
sent to. Run as many as you need, on any hosts, behind one address the cluster knows
(docs/scale-out.md). Prints its URL in one line; stops on Ctrl-C (SIGINT) or SIGTERM (a
state in flight is run again by another worker).

Options:
  --port PORT        the port (default 9080; 0 picks a free one)
  --host HOST        the address to listen on (default 127.0.0.1)
  --agents FILE      an agents file: the providers this worker's agents use
  --module FILE      a module exporting a workflow built with aegis-workflows/builder
                     (repeatable): its function agents run on this worker, by name
  --register URL     register with this Restate admin API (e.g. http://127.0.0.1:9070)
  --advertise URL    the address the cluster reaches the workers at (default: this
                     worker's own URL; a load balancer's when several serve)
  --force            register again over a deployment of the same address
  --identity-key K   serve only requests the cluster signed with the private key of this
                     public key (publickeyv1_…; repeatable; default
                     $AEGIS_RESTATE_IDENTITY_KEYS, comma-separated). Without one, whoever
                     reaches the port can make the worker run states: keep it private
  --verbose          print the Restate SDK's messages, not only its warnings

Exit status: 0 stopped by a signal, 2 usage error, the port is taken, or Restate refused
the registration or cannot be reached.`,
};

/** Other names of commands. */
export const aliases: Record<string, string> = { check: "compile", ls: "list" };

export const overview = `aegis ${VERSION} — compile, check and run multi-agent workflows

Usage: aegis COMMAND [OPTIONS] [ARGUMENTS]

Workflows:
  compile, check     compile and check workflows; print findings, write graphs
  graph              a workflow's state graph as Mermaid, DOT or JSON
  fmt                lay out .aegis files canonically
  convert            an AEGIS manifest or AgentOS workflow as aegis source

Runs (kept in ${DEFAULT_STORE}, or --store DIR):
  run                run a workflow until it finishes or waits for a human
  signal             answer a run's human gate and drive it on
  resume             drive on a run whose process stopped; take due gate timeouts
  cancel             cancel a run
  status             where a run is and what it has done
  logs               what a run did, as it happened
  list, ls           the runs of the store

Server:
  serve              run the aegis server (HTTP API; keeps deployed workflows)
  deploy             compile workflows and deploy them to the server
  workflows          the workflows deployed on the server
  mcp                an MCP server on stdio for agents (a client of the server)

Scale-out (Restate, docs/scale-out.md):
  worker             serve aegis's Restate workflow: run states for a Restate cluster
  lsp                the language server, for editors (LSP on stdio)

aegis help COMMAND (or aegis COMMAND --help) shows a command's usage; aegis --version
its version.

Exit status: 0 success (a run that succeeded or waits for a human), 1 errors found (a run
that failed or was cancelled), 2 usage or I/O error, 130 interrupted.`;
