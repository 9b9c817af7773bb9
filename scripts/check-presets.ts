// Checks the coding-agent presets (src/runtime/providers/cli.ts) against the real CLIs:
//   node scripts/check-presets.ts [--clis DIR] [--cli NAME …] [--keep]
// Not part of the test suite: it downloads the CLIs (about 1 GB) and takes minutes.
//
// 1. Installs @anthropic-ai/claude-code, @google/gemini-cli, @openai/codex and opencode-ai
//    from the npm registry into a temporary directory (or uses DIR/node_modules/.bin when
//    they are installed there already). --cli limits the rows of step 3 to those CLIs.
// 2. Starts a model server on 127.0.0.1 that speaks what the CLIs call — the Anthropic
//    Messages API (claude; opencode through its anthropic provider), Gemini's
//    generateContent (gemini) and the OpenAI Responses API (codex) — and answers every
//    request with prose followed by a JSON verdict and fixed token counts (cache reads and
//    writes included), recording each request. Each CLI is pointed at it by its own
//    configuration, never by the arguments under test: a temporary HOME with its config
//    file, and its base-URL and key variables. No request leaves the machine; no real model
//    is called.
// 3. Runs each CLI through aegis's own provider — the argv that cliArgv builds, the prompt on
//    standard input, exactly as a workflow runs it — once per value of every preset option
//    (model; each effort; each permission; an intent) and once with all of them, in a fresh
//    directory that is neither trusted nor a git repository, with a 128 KiB prompt that
//    starts with "-" and holds quotes, $HOME, backquotes and blank lines. The CLIs' real
//    argument parsers are the check: each refuses an unknown flag or value (exit 1 or 2,
//    shown by the control rows), so a row that answers had every flag accepted. A row
//    passes when the CLI exits 0, the model server received the prompt byte for byte, the
//    effort reached the request where the CLI sends one, and aegis read the answer, the
//    score from the JSON after the prose, and the tokens the server reported (summed over
//    the CLI's requests, cache tokens counted) — and the cost, where the CLI prices them.
// 4. Control rows: each CLI with an unknown flag added (its parser must refuse it), and the
//    argument shapes aegis used before (the prompt as an argument, no --skip-trust, no
//    --skip-git-repo-check, no --auto), run against the same CLIs to show what they did.
// 5. Session rows: each CLI through aegis's provider as a state in a session calls it — a
//    conversation begun, then continued twice (each request must carry the earlier turns'
//    prompts and answers: the CLI really resumed it), then the recoveries aegis relies on:
//    a call after a crash mid-call (the conversation may not exist: the CLI's refusal to
//    continue it is recognised and it is begun), an id the CLI already has (claude, gemini:
//    continued instead), and a conversation with answered turns that is gone (an error,
//    `agent-session`, never a silent new start).
// Claude Code refuses --dangerously-skip-permissions as root unless IS_SANDBOX=1: when this
// runs as root, the claude rows set it (a note says so). Exit status: 0 when every row
// passes.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, stripVTControlCharacters } from "node:util";
import type { AgentSpec } from "../src/compiler/graph.ts";
import { cliArgv, cliPresets, createProvider, firstTurn } from "../src/runtime/providers/index.ts";
import type { AgentReply, AgentSession } from "../src/runtime/types.ts";

const { values } = parseArgs({
  options: {
    clis: { type: "string" },
    keep: { type: "boolean" },
    cli: { type: "string", multiple: true },
  },
});

type Cli = "claude" | "gemini" | "codex" | "opencode";
const packages: Record<Cli, string> = {
  claude: "@anthropic-ai/claude-code",
  gemini: "@google/gemini-cli",
  codex: "@openai/codex",
  opencode: "opencode-ai",
};
const clis = Object.keys(packages) as Cli[];

// ---------------------------------------------------------------- the CLIs

const work = mkdtempSync(join(tmpdir(), "aegis-check-presets-"));
const prefix = values.clis ?? join(work, "clis");
if (!values.clis) {
  console.log(`installing ${Object.values(packages).join(", ")} into ${prefix} …`);
  const npm = spawnSync(
    "npm",
    [
      "install",
      "--prefix",
      prefix,
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...Object.values(packages),
    ],
    { stdio: "inherit" },
  );
  if (npm.status !== 0) {
    console.error("check-presets: npm install failed");
    process.exit(2);
  }
}
const bin = join(prefix, "node_modules", ".bin");
const version = (cli: Cli) =>
  (
    JSON.parse(
      readFileSync(join(prefix, "node_modules", packages[cli], "package.json"), "utf8"),
    ) as {
      version: string;
    }
  ).version;

// ---------------------------------------------------------------- the model server

const ANSWER = 'Looks fine to me.\n\n{"score": 0.9, "reasoning": "it does what was asked"}';
/** What every answer reports: input without cache, cache reads, cache writes, output. */
const TOKENS = { input: 100, cacheRead: 300, cacheWrite: 20, output: 7, reasoning: 3 };

interface Request {
  url: string;
  body: Record<string, unknown>;
}
let requests: Request[] = [];

function sse(res: ServerResponse, events: [string | undefined, unknown][]) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const [event, data] of events)
    res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
  res.end();
}

/** Anthropic Messages; a prompt asking for CHECK-TOOL gets a `read` of /etc/hostname first. */
function anthropic(body: Record<string, unknown>, res: ServerResponse) {
  const messages = (body.messages ?? []) as { role: string; content: unknown }[];
  const text = JSON.stringify(messages);
  const results = messages.flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as { type: string; content?: unknown }[]).filter((c) => c.type === "tool_result")
      : [],
  );
  const tool = text.includes("CHECK-TOOL") && results.length === 0;
  const usage = {
    input_tokens: TOKENS.input,
    cache_read_input_tokens: TOKENS.cacheRead,
    cache_creation_input_tokens: TOKENS.cacheWrite,
    output_tokens: 1,
  };
  const block = tool
    ? { type: "tool_use", id: "toolu_check", name: "read", input: {} }
    : { type: "text", text: "" };
  const delta = tool
    ? { type: "input_json_delta", partial_json: JSON.stringify({ filePath: "/etc/hostname" }) }
    : { type: "text_delta", text: ANSWER };
  sse(res, [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id: "msg_check",
          type: "message",
          role: "assistant",
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage,
        },
      },
    ],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: block }],
    ["content_block_delta", { type: "content_block_delta", index: 0, delta }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    [
      "message_delta",
      {
        type: "message_delta",
        delta: { stop_reason: tool ? "tool_use" : "end_turn", stop_sequence: null },
        usage: { output_tokens: TOKENS.output },
      },
    ],
    ["message_stop", { type: "message_stop" }],
  ]);
}

function gemini(url: string, res: ServerResponse) {
  const usageMetadata = {
    promptTokenCount: TOKENS.input + TOKENS.cacheRead,
    cachedContentTokenCount: TOKENS.cacheRead,
    candidatesTokenCount: TOKENS.output,
    thoughtsTokenCount: TOKENS.reasoning,
    totalTokenCount: TOKENS.input + TOKENS.cacheRead + TOKENS.output + TOKENS.reasoning,
  };
  const response = {
    candidates: [
      { content: { role: "model", parts: [{ text: ANSWER }] }, finishReason: "STOP", index: 0 },
    ],
    usageMetadata,
    modelVersion: "check-model",
  };
  if (url.includes(":streamGenerateContent")) return sse(res, [[undefined, response]]);
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(url.includes(":countTokens") ? { totalTokens: 10 } : response));
}

function responses(res: ServerResponse) {
  const item = {
    type: "message",
    role: "assistant",
    id: "msg_check",
    status: "completed",
    content: [{ type: "output_text", text: ANSWER, annotations: [] }],
  };
  const usage = {
    input_tokens: TOKENS.input + TOKENS.cacheRead,
    input_tokens_details: { cached_tokens: TOKENS.cacheRead },
    output_tokens: TOKENS.output + TOKENS.reasoning,
    output_tokens_details: { reasoning_tokens: TOKENS.reasoning },
    total_tokens: TOKENS.input + TOKENS.cacheRead + TOKENS.output + TOKENS.reasoning,
  };
  sse(res, [
    ["response.created", { type: "response.created", response: { id: "resp_check" } }],
    [
      "response.output_item.added",
      {
        type: "response.output_item.added",
        output_index: 0,
        item: { ...item, status: "in_progress", content: [] },
      },
    ],
    [
      "response.output_text.delta",
      {
        type: "response.output_text.delta",
        item_id: "msg_check",
        output_index: 0,
        content_index: 0,
        delta: ANSWER,
      },
    ],
    ["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }],
    ["response.completed", { type: "response.completed", response: { id: "resp_check", usage } }],
  ]);
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = req.url ?? "";
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    } catch {}
    if (req.method === "POST") requests.push({ url, body });
    if (url.startsWith("/v1/messages/count_tokens")) return res.end('{"input_tokens": 10}');
    if (url.startsWith("/v1/messages")) return anthropic(body, res);
    if (url.includes("/models/") && url.includes(":")) return gemini(url, res);
    if (url.startsWith("/v1/responses")) return responses(res);
    res.statusCode = req.method === "HEAD" ? 200 : 404;
    res.end();
  });
});
server.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// ---------------------------------------------------------------- each CLI's configuration

const root = process.getuid?.() === 0;
/** A fresh HOME holding the CLI's configuration, and the environment that points it here. */
function setup(cli: Cli): Record<string, string> {
  const home = mkdtempSync(join(work, `home-${cli}-`));
  const env: Record<string, string> = { HOME: home, PATH: `${bin}:${process.env.PATH}` };
  switch (cli) {
    case "claude":
      return {
        ...env,
        ANTHROPIC_BASE_URL: base,
        ANTHROPIC_API_KEY: "sk-ant-local-check",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        ...(root && { IS_SANDBOX: "1" }),
      };
    case "gemini":
      mkdirSync(join(home, ".gemini"));
      writeFileSync(
        join(home, ".gemini", "settings.json"),
        JSON.stringify({
          security: { auth: { selectedType: "gemini-api-key" } },
          privacy: { usageStatisticsEnabled: false },
        }),
      );
      return { ...env, GEMINI_API_KEY: "local-check", GOOGLE_GEMINI_BASE_URL: base };
    case "codex":
      mkdirSync(join(home, ".codex"));
      writeFileSync(
        join(home, ".codex", "config.toml"),
        `model_provider = "check"\n[model_providers.check]\nname = "check"\nbase_url = "${base}/v1"\nwire_api = "responses"\nenv_key = "AEGIS_CHECK_KEY"\n`,
      );
      return { ...env, AEGIS_CHECK_KEY: "local-check" };
    case "opencode":
      mkdirSync(join(home, ".config", "opencode"), { recursive: true });
      writeFileSync(
        join(home, ".config", "opencode", "opencode.json"),
        JSON.stringify({
          provider: {
            anthropic: { options: { baseURL: `${base}/v1`, apiKey: "sk-ant-local-check" } },
          },
          autoupdate: false,
          share: "disabled",
        }),
      );
      return { ...env, OPENCODE_DISABLE_MODELS_FETCH: "true" };
  }
}

// ---------------------------------------------------------------- the rows

const models: Record<Cli, string> = {
  claude: "opus",
  gemini: "gemini-2.5-pro",
  codex: "gpt-5.5",
  opencode: "anthropic/claude-sonnet-4-5",
};
const efforts: Record<Cli, string[]> = {
  claude: ["low", "medium", "high", "max"],
  gemini: [],
  codex: ["low", "medium", "high", "max"],
  opencode: ["low", "medium", "high", "max"],
};
const permissions = ["read", "write", "full", "auto"];

interface Row {
  options: Record<string, unknown>;
  intent?: string;
}
function rows(cli: Cli): Row[] {
  const model = models[cli];
  return [
    { options: {} },
    { options: { model } },
    ...efforts[cli].map((effort) => ({ options: { model, effort } })),
    ...permissions.map((permission) => ({ options: { model, permission } })),
    { options: { model }, intent: "a release note" },
    {
      options: { model, ...(efforts[cli].length > 0 && { effort: "high" }), permission: "full" },
      intent: "a release note",
    },
  ];
}

const head = `--model "x" -p it's $HOME \`id\` \\n "quoted"\n\n  - a list item\n`;
const PROMPT = head + "é—".repeat((128 * 1024 - head.length) / 2);

/** Every string in a JSON value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === "object")
    for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** What the CLI told the model about effort, where it says it. */
function effortSent(cli: Cli, sent: Request[]): string {
  for (const { body } of sent) {
    const b = body as Record<string, Record<string, unknown> | undefined>;
    if (cli === "claude" && b.output_config?.effort) return `effort=${b.output_config.effort}`;
    if (cli === "codex" && b.reasoning?.effort) return `effort=${b.reasoning.effort}`;
    if (cli === "opencode" && b.thinking?.budget_tokens !== undefined)
      return `thinking=${b.thinking.budget_tokens}`;
    if (cli === "opencode" && b.output_config?.effort) return `effort=${b.output_config.effort}`;
  }
  return "-";
}

/** The tokens aegis should read: every request's, as the server reported them. */
function expectedTokens(cli: Cli, count: number): { inputTokens: number; outputTokens: number } {
  const input =
    TOKENS.input + TOKENS.cacheRead + (cli === "gemini" || cli === "codex" ? 0 : TOKENS.cacheWrite);
  const output = TOKENS.output + (cli === "gemini" || cli === "codex" ? TOKENS.reasoning : 0);
  return { inputTokens: input * count, outputTokens: output * count };
}

interface Result {
  cli: Cli;
  label: string;
  flags: string;
  exit: string;
  prompt: string;
  effort: string;
  answer: string;
  tokens: string;
  cost: string;
  ok: boolean;
}
const results: Result[] = [];

function describe(row: Row): string {
  const parts = Object.entries(row.options).map(([k, v]) => `${k}=${v}`);
  if (row.intent) parts.push("intent");
  return parts.join(" ") || "(none)";
}

async function runRow(
  cli: Cli,
  env: Record<string, string>,
  row: Row,
  prompt = PROMPT,
): Promise<Result> {
  const cwd = mkdtempSync(join(work, `run-${cli}-`));
  const options = { ...row.options, cwd, env };
  const { argv, stdin } = cliArgv(cliPresets[cli], options, {
    prompt,
    ...(row.intent && { intent: row.intent }),
  });
  const flags = argv.slice(1 + cliPresets[cli].base.length).join(" ");
  const spec: AgentSpec = {
    name: "check",
    provider: cli,
    options,
    span: { file: "check", start: 0, end: 0 },
  };
  requests = [];
  let reply: AgentReply | undefined;
  let error: string | undefined;
  try {
    reply = await createProvider(spec, {}).call({
      agent: "check",
      prompt,
      ...(row.intent && { intent: row.intent }),
      state: "CHECK",
      run: "check",
      idempotencyKey: "check:CHECK:1:1",
      signal: new AbortController().signal,
      timeoutMs: 240_000,
    });
  } catch (e) {
    error = (e as Error).message;
  }
  // opencode's title request is not part of the session whose tokens it reports.
  const sent = requests.filter(
    (r) => !strings(r.body).some((s) => s.startsWith("Generate a title for this conversation")),
  );
  const seen = sent.some((r) => strings(r.body).includes(stdin))
    ? "intact"
    : sent.some((r) => strings(r.body).some((s) => s.includes(stdin)))
      ? "contained"
      : sent.length === 0
        ? "no request"
        : "CHANGED";
  const want = expectedTokens(cli, sent.length);
  const usage = reply?.usage;
  const tokensOk =
    usage?.inputTokens === want.inputTokens && usage?.outputTokens === want.outputTokens;
  const effort = effortSent(cli, sent);
  const wantEffort = typeof row.options.effort === "string" && cli !== "opencode";
  const effortOk = !wantEffort || effort === `effort=${row.options.effort}`;
  const answerOk = reply?.output === ANSWER.trim() && reply?.score === 0.9;
  const costOk = cli === "gemini" || cli === "codex" || (usage?.costUsd ?? 0) > 0;
  const ok =
    reply?.exit_code === 0 &&
    (seen === "intact" || seen === "contained") &&
    tokensOk &&
    effortOk &&
    answerOk &&
    costOk;
  const firstLine = (reply?.stderr ?? error ?? "").trim().split("\n")[0] ?? "";
  return {
    cli,
    label: describe(row),
    flags: flags || "-",
    exit: error
      ? `threw: ${error.slice(0, 60)}`
      : `${reply?.exit_code}${reply?.exit_code ? ` ${firstLine.slice(0, 70)}` : ""}`,
    prompt: seen,
    effort,
    answer: answerOk ? "text + score 0.9" : JSON.stringify(reply?.output ?? "").slice(0, 40),
    tokens: usage
      ? `${usage.inputTokens}/${usage.outputTokens}${tokensOk ? "" : ` (want ${want.inputTokens}/${want.outputTokens})`} ×${sent.length}`
      : "-",
    cost: usage?.costUsd !== undefined ? `$${usage.costUsd.toFixed(5)}` : "-",
    ok,
  };
}

/** Runs a command line as it is (a control row); what it printed and how it ended. */
async function control(
  cli: Cli,
  env: Record<string, string>,
  argv: string[],
  input: string | undefined,
): Promise<{ status: string; said: string; stdout: string; requests: Request[] }> {
  const cwd = mkdtempSync(join(work, `control-${cli}-`));
  requests = [];
  // Not spawnSync: the model server answers from this process's event loop.
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(argv[0]!, argv.slice(1), { cwd, env: { ...process.env, ...env } });
  } catch (e) {
    // An argument the system will not pass (E2BIG) fails here, before any process.
    return {
      status: `spawn ${(e as NodeJS.ErrnoException).code}`,
      said: "",
      stdout: "",
      requests: [],
    };
  }
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  child.stdin?.on("error", () => {});
  child.stdin?.end(input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
  const status = await new Promise<string>((resolve) => {
    child.on("error", (e: NodeJS.ErrnoException) => resolve(`spawn ${e.code ?? e.message}`));
    child.on("close", (code) => resolve(`exit ${code}`));
  });
  clearTimeout(timer);
  const said = `${stderr}\n${stdout}`
    .split("\n")
    .map((l) => stripVTControlCharacters(l).trim())
    .filter((l) => l && !l.startsWith("WARNING: proceeding") && !/^Reading .*stdin/.test(l));
  return { status, said: said[0]?.slice(0, 110) ?? "", stdout, requests: [...requests] };
}

/** The JSON lines of an event stream. */
function events(text: string): Record<string, unknown>[] {
  return text.split("\n").flatMap((line) => {
    try {
      return line.startsWith("{") ? [JSON.parse(line) as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

// ---------------------------------------------------------------- sessions

interface SessionRow {
  cli: Cli;
  label: string;
  flags: string;
  exit: string;
  history: string;
  id: string;
  ok: boolean;
}
const sessionResults: SessionRow[] = [];

/** One call in a session through aegis's provider, in `cwd` (claude keeps sessions per directory). */
async function sessionCall(
  cli: Cli,
  env: Record<string, string>,
  cwd: string,
  session: Omit<AgentSession, "identify" | "messages">,
  prompt: string,
) {
  const options = {
    model: models[cli],
    // codex continues with `exec resume`, which takes the sandbox as a configuration value.
    ...(cli === "codex" && { permission: "write" }),
    cwd,
    env,
  };
  const identified: string[] = [];
  const full: AgentSession = {
    ...session,
    messages: [],
    identify: (id) => identified.push(id),
  };
  const turn = firstTurn(cliPresets[cli], full);
  const { argv } = cliArgv(cliPresets[cli], options, { prompt }, turn);
  requests = [];
  let reply: AgentReply | undefined;
  let error: { code?: string; message: string } | undefined;
  try {
    reply = await createProvider(
      { name: "check", provider: cli, options, span: { file: "check", start: 0, end: 0 } },
      {},
    ).call({
      agent: "check",
      prompt,
      state: "CHECK",
      run: "check",
      idempotencyKey: "check:CHECK:1:1",
      signal: new AbortController().signal,
      timeoutMs: 240_000,
      session: full,
    });
  } catch (e) {
    error = e as { code?: string; message: string };
  }
  const sent = requests.filter(
    (r) => !strings(r.body).some((s) => s.startsWith("Generate a title for this conversation")),
  );
  return { reply, error, sent, identified, argv };
}

/** Whether the requests carried a text (a prompt of an earlier turn, or its answer). */
const carried = (sent: Request[], text: string) =>
  sent.some((r) => strings(r.body).some((s) => s.includes(text)));

async function sessionRows(cli: Cli): Promise<SessionRow[]> {
  const env = setup(cli);
  const cwd = mkdtempSync(join(work, `session-${cli}-`));
  const named = !cliPresets[cli].session.start;
  const rows: SessionRow[] = [];
  const row = (
    label: string,
    r: Awaited<ReturnType<typeof sessionCall>>,
    history: string,
    ok: boolean,
    expected?: string,
  ) => {
    const firstLine = (r.reply?.stderr ?? r.error?.message ?? "").trim().split("\n")[0] ?? "";
    const flags = r.argv.slice(1).join(" ");
    rows.push({
      cli,
      label,
      flags: flags.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|ses_\w+/g, "ID"),
      exit: r.error
        ? `threw ${r.error.code ?? ""}: ${r.error.message.slice(0, 60)}`
        : `${r.reply?.exit_code}${r.reply?.exit_code ? ` ${firstLine.slice(0, 60)}` : ""}`,
      history,
      id: r.reply?.session
        ? expected === undefined
          ? "named by the CLI"
          : r.reply.session === expected
            ? "kept"
            : "CHANGED"
        : "-",
      ok,
    });
  };

  // A conversation begun, then continued twice.
  const id = randomUUID();
  const base = { name: "s", id, turns: 0, unsettled: false };
  const prompts = [1, 2, 3].map((n) => `SESSION-TURN-${n}: remember the number ${n * 7}.`);
  const first = await sessionCall(cli, env, cwd, base, prompts[0]!);
  const providerId = named ? first.identified[0] : undefined;
  const idOk = named
    ? providerId !== undefined && first.reply?.session === providerId
    : first.reply?.session === id;
  row(
    "begin",
    first,
    `${first.sent.length} requests`,
    first.reply?.exit_code === 0 && idOk && !carried(first.sent, "SESSION-TURN-0"),
    named ? undefined : id,
  );
  const ids = named ? { providerId } : {};
  for (const n of [2, 3]) {
    const r = await sessionCall(cli, env, cwd, { ...base, ...ids, turns: n - 1 }, prompts[n - 1]!);
    const earlier = prompts.slice(0, n - 1).every((p) => carried(r.sent, p));
    const answered = carried(r.sent, ANSWER.split("\n")[0]!);
    row(
      `continue (turn ${n})`,
      r,
      earlier && answered ? `turns 1-${n - 1} and answers sent` : "HISTORY MISSING",
      r.reply?.exit_code === 0 &&
        earlier &&
        answered &&
        r.reply.session === (named ? providerId : id),
      named ? providerId : id,
    );
  }

  // After a crash mid-call: the conversation may never have been stored by the CLI.
  const lost = randomUUID();
  const crashed = named
    ? {
        name: "c",
        id: randomUUID(),
        providerId: cli === "opencode" ? "ses_0000aegischeck" : lost,
        turns: 0,
        unsettled: true,
      }
    : { name: "c", id: lost, turns: 0, unsettled: true };
  const r1 = await sessionCall(cli, env, cwd, crashed, "SESSION-CRASH: begin again.");
  row(
    "after a crash, never stored: begun",
    r1,
    carried(r1.sent, "SESSION-TURN-1") ? "LEAKED" : "fresh",
    r1.reply?.exit_code === 0 && !carried(r1.sent, "SESSION-TURN-1"),
    named ? undefined : lost,
  );
  if (!named) {
    // After a crash, stored: the first session (begun above) is continued.
    const r2 = await sessionCall(
      cli,
      env,
      cwd,
      { ...base, unsettled: true },
      "SESSION-AGAIN: go on.",
    );
    row(
      "after a crash, stored: continued",
      r2,
      carried(r2.sent, prompts[2]!) ? "turns 1-3 sent" : "HISTORY MISSING",
      r2.reply?.exit_code === 0 && carried(r2.sent, prompts[2]!),
      id,
    );
    // An id the CLI has already, as a new conversation: continued instead.
    const r3 = await sessionCall(cli, env, cwd, base, "SESSION-TAKEN: go on.");
    row(
      "begin with an id it has: continued",
      r3,
      carried(r3.sent, prompts[0]!) ? "earlier turns sent" : "HISTORY MISSING",
      r3.reply?.exit_code === 0 && carried(r3.sent, prompts[0]!),
      id,
    );
  }
  // Answered turns, but the CLI no longer has the conversation: an error, not a new start.
  const gone = named
    ? {
        name: "g",
        id: randomUUID(),
        providerId: cli === "opencode" ? "ses_0000aegisgone" : randomUUID(),
        turns: 2,
        unsettled: false,
      }
    : { name: "g", id: randomUUID(), turns: 2, unsettled: false };
  const r4 = await sessionCall(cli, env, cwd, gone, "SESSION-GONE: go on.");
  row(
    "answered turns, gone: agent-session",
    r4,
    `${r4.sent.length} requests`,
    r4.error?.code === "agent-session" && r4.sent.length === 0,
  );
  return rows;
}

// ---------------------------------------------------------------- run

/** A Markdown table row; `|` in a cell escaped. */
const cells = (values: string[]) =>
  `| ${values.map((v) => v.replaceAll("|", "\\|")).join(" | ")} |`;

console.log(`versions: ${clis.map((c) => `${packages[c]} ${version(c)}`).join(", ")}`);
console.log(
  `model server: ${base}; prompt: ${PROMPT.length} characters (${Buffer.byteLength(PROMPT)} bytes), starting with "-"`,
);
if (root)
  console.log("note: running as root, so the claude rows set IS_SANDBOX=1 (see the header)");

for (const cli of clis.filter((c) => !values.cli || values.cli.includes(c))) {
  const env = setup(cli);
  const always = [cliPresets[cli].program, ...cliPresets[cli].base].join(" ");
  console.log(`\n${cli} ${version(cli)} — always \`${always}\`, the prompt on stdin\n`);
  console.log(
    cells([
      "",
      "options",
      "flags aegis adds",
      "exit",
      "prompt",
      "effort sent",
      "answer read",
      "tokens in/out (requests)",
      "cost",
    ]),
  );
  console.log(cells(["---", "---", "---", "---", "---", "---", "---", "---", "---"]));
  for (const row of rows(cli)) {
    const r = await runRow(cli, env, row);
    results.push(r);
    const flags = r.flags.replace(/(--append-system-prompt) .*?( -$|$)/, '$1 "…"$2');
    console.log(
      cells([
        r.ok ? "ok" : "FAIL",
        r.label,
        `\`${flags}\``,
        r.exit,
        r.prompt,
        r.effort,
        r.answer,
        r.tokens,
        r.cost,
      ]),
    );
  }
}

console.log("\ncontrols — each must show the CLI refusing, or misreading, what it was given:\n");
const controls: { what: string; pass: boolean; status: string; said: string }[] = [];
for (const cli of clis) {
  const env = setup(cli);
  const { argv, stdin } = cliArgv(cliPresets[cli], { model: models[cli] }, { prompt: "hello" });
  const bogus = [...argv];
  bogus.splice(cliPresets[cli].stdinMarker ? -1 : bogus.length, 0, "--no-such-flag");
  const r = await control(cli, env, bogus, stdin);
  controls.push({
    what: `${cli}: aegis's argv + --no-such-flag`,
    pass: r.status !== "exit 0",
    ...r,
  });
}
if (root) {
  const { IS_SANDBOX: _, ...env } = setup("claude");
  const { argv, stdin } = cliArgv(cliPresets.claude, { permission: "full" }, { prompt: "hello" });
  const r = await control("claude", env, argv, stdin);
  controls.push({
    what: "claude full as root without IS_SANDBOX=1",
    pass: r.status === "exit 1",
    ...r,
  });
}
{
  const env = setup("gemini");
  const r = await control("gemini", env, ["gemini", "-m", models.gemini, "-p", "hello"], undefined);
  controls.push({
    what: "gemini before: -m M -p PROMPT (no --skip-trust)",
    pass: r.status === "exit 55",
    ...r,
  });
  const dash = await control(
    "gemini",
    env,
    ["gemini", "--skip-trust", "-p", "- a list item"],
    undefined,
  );
  controls.push({
    what: "gemini before: -p '- a list item'",
    pass: dash.status !== "exit 0",
    ...dash,
  });
}
{
  const env = setup("codex");
  const r = await control(
    "codex",
    env,
    ["codex", "exec", "--model", models.codex, "hello"],
    undefined,
  );
  controls.push({
    what: "codex before: exec PROMPT outside git (no --skip-git-repo-check)",
    pass: r.status !== "exit 0",
    ...r,
  });
  const big = await control(
    "codex",
    env,
    ["codex", "exec", "--skip-git-repo-check", ` ${PROMPT}`],
    undefined,
  );
  controls.push({
    what: "codex before: the 128 KiB prompt as an argument",
    pass: big.status === "spawn E2BIG",
    ...big,
  });
}
{
  const env = setup("opencode");
  const words = 'say "hi" to $HOME';
  const r = await control(
    "opencode",
    env,
    ["opencode", "run", "--model", models.opencode, words],
    undefined,
  );
  const got = r.requests.flatMap((q) => strings(q.body)).find((s) => s.includes("say"));
  controls.push({
    what: "opencode before: run -m M PROMPT (the message requoted)",
    pass: got !== undefined && got !== words,
    status: r.status,
    said: `the model got ${JSON.stringify(got)} for ${JSON.stringify(words)}`,
  });
  for (const [label, permission, want] of [
    ["opencode before/write: no permission flag; it reads outside the project", "write", "error"],
    ["opencode full (--auto): the same read", "full", "completed"],
  ] as const) {
    const { argv, stdin } = cliArgv(
      cliPresets.opencode,
      { model: models.opencode, permission },
      { prompt: "CHECK-TOOL: read /etc/hostname" },
    );
    const run = await control("opencode", env, argv, stdin);
    const tool = events(run.stdout).find((e) => e.type === "tool_use");
    const state = (tool?.part as { state?: { status?: string; error?: string } } | undefined)
      ?.state;
    controls.push({
      what: `${label} (${argv.slice(4).join(" ") || "no flag"})`,
      pass: state?.status === want,
      status: run.status,
      said: `tool ${state?.status ?? "not called"}${state?.error ? `: ${state.error}` : ""}`.slice(
        0,
        110,
      ),
    });
  }
}
console.log(cells(["", "control", "status", "what the CLI said or did"]));
console.log(cells(["---", "---", "---", "---"]));
for (const c of controls) console.log(cells([c.pass ? "ok" : "FAIL", c.what, c.status, c.said]));

console.log("\nsessions — a conversation begun and continued through aegis's provider:\n");
console.log(cells(["", "cli", "call", "flags aegis used", "exit", "history sent", "session id"]));
console.log(cells(["---", "---", "---", "---", "---", "---", "---"]));
for (const cli of clis.filter((c) => !values.cli || values.cli.includes(c))) {
  for (const r of await sessionRows(cli)) {
    sessionResults.push(r);
    console.log(
      cells([r.ok ? "ok" : "FAIL", cli, r.label, `\`${r.flags}\``, r.exit, r.history, r.id]),
    );
  }
}

const failed =
  results.filter((r) => !r.ok).length +
  controls.filter((c) => !c.pass).length +
  sessionResults.filter((r) => !r.ok).length;
console.log(
  `\n${results.length} rows, ${sessionResults.length} session rows, ${controls.length} controls: ${failed === 0 ? "all pass" : `${failed} failed`}`,
);
server.close();
if (!values.keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
process.exitCode = failed === 0 ? 0 : 1;
