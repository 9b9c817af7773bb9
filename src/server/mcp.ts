// The server's MCP endpoint: streamable HTTP at /mcp, stateless (a fresh MCP server per
// request, through the SDK's handler), behind the same Host guard, bearer authentication
// and body limit as /v1 (app.ts's middleware runs first). The tools (src/mcp/) work on the
// registry and the runs in this process, as the request's principal: a run started here
// records { via: "mcp", user, client, session }; a gate is answered only by whom the config
// allows, and the principal is recorded as the approver — as on the HTTP routes.
import type { Context, Hono } from "hono";
import type { SchemaName } from "../api/openapi.ts";
import type { SignalRequest, StartRunRequest } from "../api/runs.ts";
import type { AegisService } from "../mcp/service.ts";
import { RuntimeError } from "../runtime/types.ts";
import type { AppDeps } from "./app.ts";
import { authorize, type Principal } from "./config.ts";
import type { Env } from "./http.ts";
import { problemOf } from "./routes/runs.ts";
import type { RunService } from "./runs.ts";
import { validationErrors } from "./validate.ts";

type Deps = AppDeps & { runs: RunService };

/**
 * What the route hands the per-request MCP server: the principal, and who the client is
 * when the protocol does not say (a 2025-era client over stateless HTTP names itself only
 * to the server of its initialize request): its User-Agent, and its Mcp-Session-Id if it
 * sends one.
 */
interface RequestExtra {
  [key: string]: unknown;
  principal: Principal;
  client?: string;
  session?: string;
}

/** A body refused as the HTTP route refuses it: invalid-request, the first reason. */
function checked(schema: SchemaName, value: unknown): void {
  const errors = validationErrors(schema, value);
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new RuntimeError("invalid-request", `${first.pointer}: ${first.message}`);
  }
}

/** Runs `fn`, saying a runtime refusal with its problem code (as the HTTP routes do). */
async function refusing<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof RuntimeError && Object.hasOwn(problemOf, error.code))
      throw new RuntimeError(problemOf[error.code]!, error.message);
    throw error;
  }
}

/** The tools' service over this server's registry and runs, as `principal`. */
export function inProcessService(deps: Deps, principal: Principal): AegisService {
  const { registry, runs, config } = deps;
  return {
    async listWorkflows() {
      return registry.list();
    },
    async runWorkflow(request: StartRunRequest, caller) {
      checked("StartRunRequest", request);
      const { caller: _relayed, ...start } = request;
      return refusing(() => runs.start(start, { via: "mcp", ...caller, user: principal.user }));
    },
    async getRun(id) {
      return refusing(() => runs.get(id));
    },
    async answerGate(id, answer: SignalRequest) {
      checked("SignalRequest", answer);
      const workflow = await refusing(() => runs.workflowOf(id));
      const verdict = authorize(config, principal, workflow);
      if (!verdict.allowed) throw new RuntimeError("forbidden", verdict.reason);
      return refusing(() =>
        runs.signal(id, {
          ...(answer.approve !== undefined && { approve: answer.approve }),
          ...(answer.response !== undefined && { response: answer.response }),
          ...(answer.feedback !== undefined && { feedback: answer.feedback }),
          ...(answer.state !== undefined && { state: answer.state }),
          approver: principal.user,
        }),
      );
    },
    async cancelRun(id, reason) {
      if (reason !== undefined) checked("CancelRequest", { reason });
      return refusing(() => runs.cancel(id, reason ?? `cancelled by ${principal.user}`));
    },
    watch(id, changed) {
      return runs.subscribe(id, () => changed());
    },
  };
}

/** Mounts POST/GET/DELETE /mcp (the SDK is loaded on the first request). */
export function mcpRoute(app: Hono<Env>, deps: Deps): void {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let handler: Promise<(c: Context<Env>) => Promise<Response>> | undefined;
  const load = async () => {
    const [{ createMcpHandler }, { createAegisMcp }] = await Promise.all([
      import("@modelcontextprotocol/server"),
      import("../mcp/tools.ts"),
    ]);
    const mcp = createMcpHandler(
      (ctx) => {
        const extra = ctx.authInfo?.extra as RequestExtra;
        return createAegisMcp(inProcessService(deps, extra.principal), {
          version: deps.version,
          log,
          ...(extra.client !== undefined && { client: extra.client }),
          ...(extra.session !== undefined && { session: extra.session }),
        });
      },
      {
        maxRequestBodySize: deps.config.maxBodyBytes,
        onerror: (error) => log(`aegis serve: mcp: ${error.message}`),
      },
    );
    return (c: Context<Env>) => {
      const principal = c.get("principal");
      const extra: RequestExtra = {
        principal,
        ...(c.req.header("user-agent") && { client: c.req.header("user-agent")! }),
        ...(c.req.header("mcp-session-id") && { session: c.req.header("mcp-session-id")! }),
      };
      return mcp.fetch(c.req.raw, {
        authInfo: { token: "", clientId: principal.user, scopes: principal.roles, extra },
      });
    };
  };
  app.on(["GET", "POST", "DELETE"], "/mcp", async (c) => {
    handler ??= load();
    return (await handler)(c);
  });
}
