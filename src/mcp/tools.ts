// The MCP tools of aegis, written once against AegisService: list_workflows, run_workflow,
// get_run, answer_gate, cancel_run, and one run_<name> per deployed workflow (its inputs as
// the tool's arguments). Arguments are checked by the SDK against JSON Schemas (no zod here:
// fromJsonSchema); every result is text + structuredContent; every refusal an isError
// result with the problem code.
import {
  type CallToolResult,
  CLIENT_INFO_META_KEY,
  McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { RunSummary, SignalRequest, StartRunRequest } from "../api/runs.ts";
import type { WorkflowSummary } from "../api/workflows.ts";
import { argumentsSchema, InvalidArguments } from "./arguments.ts";
import { failure, refusal, runView, success } from "./results.ts";
import {
  answerGateArgs,
  cancelRunArgs,
  DEFAULT_WAIT_SECONDS,
  getRunArgs,
  listWorkflowsArgs,
  runWorkflowArgs,
  workflowArgs,
  workflowToolName,
} from "./schemas.ts";
import type { AegisService, McpCaller } from "./service.ts";
import { type WaitFor, waitForRun } from "./wait.ts";

export interface AegisMcpOptions {
  /** The aegis version (the server's name/version in the handshake). */
  version: string;
  /** The agent's session when the transport has none in ctx (stdio: one per connection). */
  session?: string;
  /**
   * The client when the protocol does not say (a 2025-era client over stateless HTTP told
   * its name to another request's server): e.g. the request's User-Agent.
   */
  client?: string;
  /** Where internal errors are told (never to the client). */
  log?: (line: string) => void;
}

interface WaitArgs {
  wait?: WaitFor;
  waitSeconds?: number;
}

const INSTRUCTIONS =
  "aegis runs deployed workflows. list_workflows shows them and their inputs; run_workflow (or run_<name>) starts one, optionally waiting for its first human gate or its end; get_run shows a run (what it waits for, its output); answer_gate approves, rejects or answers the gate a run waits at; cancel_run stops one.";

/** An McpServer with the aegis tools over `service` (one per connection or HTTP request). */
export async function createAegisMcp(
  service: AegisService,
  options: AegisMcpOptions,
): Promise<McpServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server = new McpServer(
    { name: "aegis", version: options.version },
    { instructions: INSTRUCTIONS },
  );
  const schema = <T>(json: object) => argumentsSchema<T>(json);
  const guarded =
    <A>(fn: (args: A, ctx: ServerContext) => Promise<CallToolResult>) =>
    async (args: A, ctx: ServerContext): Promise<CallToolResult> => {
      try {
        if (args instanceof InvalidArguments) return refusal("invalid-request", args.message);
        return await fn(args, ctx);
      } catch (error) {
        return failure(error, log);
      }
    };
  const callerOf = (ctx: ServerContext): McpCaller => {
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    const info = (envelope?.[CLIENT_INFO_META_KEY] ?? server.server.getClientVersion()) as
      | { name?: unknown; version?: unknown }
      | undefined;
    const client =
      typeof info?.name === "string"
        ? `${info.name}${typeof info.version === "string" ? `/${info.version}` : ""}`
        : options.client;
    const session = ctx.sessionId ?? options.session;
    return {
      ...(client !== undefined && { client: client.slice(0, 200) }),
      ...(session !== undefined && { session: session.slice(0, 200) }),
    };
  };
  const start = async (
    request: StartRunRequest,
    wait: WaitArgs,
    ctx: ServerContext,
  ): Promise<CallToolResult> => {
    const run: RunSummary = await service.runWorkflow(request, callerOf(ctx));
    const until = wait.wait ?? "none";
    if (until === "none") return success({ run: runOf(run), reached: true });
    const { detail, reached } = await waitForRun(
      service,
      run.id,
      until,
      wait.waitSeconds ?? DEFAULT_WAIT_SECONDS,
      ctx.mcpReq.signal,
    );
    return success({ run: runView(detail), reached });
  };

  server.registerTool(
    "list_workflows",
    {
      title: "List workflows",
      description: "The deployed workflows: name, current version, description, inputSchema.",
      inputSchema: schema(listWorkflowsArgs),
      annotations: { readOnlyHint: true },
    },
    guarded(async () => {
      const workflows = await service.listWorkflows();
      return success({ workflows: workflows.map(workflowOf) });
    }),
  );

  server.registerTool(
    "run_workflow",
    {
      title: "Run a workflow",
      description:
        "Start a deployed workflow by name with its inputs; optionally wait for its first human gate or its end.",
      inputSchema: schema<
        {
          name: string;
          inputs?: Record<string, unknown>;
          version?: string;
          intent?: string;
        } & WaitArgs
      >(runWorkflowArgs),
    },
    guarded(async (args, ctx) =>
      start(
        {
          workflow: args.name,
          ...(args.inputs !== undefined && { inputs: args.inputs }),
          ...(args.version !== undefined && { version: args.version }),
          ...(args.intent !== undefined && { intent: args.intent }),
        },
        args,
        ctx,
      ),
    ),
  );

  server.registerTool(
    "get_run",
    {
      title: "Get a run",
      description:
        "A run's status, the gate it waits at (its prompt), its output or error; optionally wait for its first gate or its end.",
      inputSchema: schema<{ id: string } & WaitArgs>(getRunArgs),
      annotations: { readOnlyHint: true },
    },
    guarded(async (args, ctx) => {
      const { detail, reached } = await waitForRun(
        service,
        args.id,
        args.wait ?? "none",
        args.waitSeconds ?? DEFAULT_WAIT_SECONDS,
        ctx.mcpReq.signal,
      );
      return success({ run: runView(detail), reached });
    }),
  );

  server.registerTool(
    "answer_gate",
    {
      title: "Answer a gate",
      description:
        "Answer the human gate a run waits at: approve (true) or reject (false), or a response, with feedback. Only those allowed to answer the workflow's gates may.",
      inputSchema: schema<{ id: string } & SignalRequest>(answerGateArgs),
    },
    guarded(async ({ id, ...answer }) => {
      const answered = await service.answerGate(id, answer);
      return success({
        run: { id, status: answered.record.status, current: answered.record.current },
        ...(answered.notice !== undefined && { notice: answered.notice }),
      });
    }),
  );

  server.registerTool(
    "cancel_run",
    {
      title: "Cancel a run",
      description: "Cancel a run that has not finished.",
      inputSchema: schema<{ id: string; reason?: string }>(cancelRunArgs),
      annotations: { destructiveHint: true },
    },
    guarded(async ({ id, reason }) => {
      let record = await service.cancelRun(id, reason);
      // A run cancelled in the moment it stops at its gate can come back waiting, not
      // cancelled (the engine's drive ended before it saw the cancellation): once more.
      if (record.status === "running" || record.status === "waiting")
        record = await service.cancelRun(id, reason);
      return success({ run: { id, status: record.status } });
    }),
  );

  // One tool per deployed workflow, its arguments the workflow's inputs: what an agent
  // fills in best. The list is read when the server is made (per HTTP request; per stdio
  // connection); a server that cannot be reached leaves the generic tools only.
  let workflows: WorkflowSummary[] = [];
  try {
    workflows = await service.listWorkflows();
  } catch {}
  const taken = new Set(["list_workflows", "run_workflow", "get_run", "answer_gate", "cancel_run"]);
  for (const workflow of workflows) {
    const name = workflowToolName(workflow.name);
    if (taken.has(name)) continue;
    taken.add(name);
    server.registerTool(
      name,
      {
        title: workflow.title ?? `Run ${workflow.name}`,
        description: `${workflow.description ?? `Run the workflow '${workflow.name}'.`} Starts it with these inputs and waits up to ${DEFAULT_WAIT_SECONDS} s for its first human gate or its end (then get_run).`,
        inputSchema: schema<Record<string, unknown>>(workflowArgs(workflow.inputSchema)),
      },
      guarded(async (inputs, ctx) =>
        start({ workflow: workflow.name, inputs }, { wait: "gate" }, ctx),
      ),
    );
  }
  return server;
}

function runOf(run: RunSummary): Record<string, unknown> {
  return { ...run };
}

function workflowOf(workflow: WorkflowSummary): Record<string, unknown> {
  return {
    name: workflow.name,
    version: workflow.version,
    ...(workflow.declaredVersion !== undefined && { declaredVersion: workflow.declaredVersion }),
    ...(workflow.title !== undefined && { title: workflow.title }),
    ...(workflow.description !== undefined && { description: workflow.description }),
    tool: workflowToolName(workflow.name),
    inputSchema: workflow.inputSchema,
  };
}
