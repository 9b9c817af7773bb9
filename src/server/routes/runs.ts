// The runs' routes: start a deployed workflow, list and read runs, answer a gate (who may
// is checked on every answer, and recorded with it), cancel, resume, the log, and the
// log live as Server-Sent Events.
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { ProblemCode } from "../../api/problem.ts";
import type {
  CancelRequest,
  RunDetail,
  RunList,
  RunSummary,
  SignalRequest,
  StartRunRequest,
} from "../../api/runs.ts";
import type { LoggedObservation } from "../../runtime/events.ts";
import { RuntimeError } from "../../runtime/types.ts";
import type { AppDeps } from "../app.ts";
import { authorize } from "../config.ts";
import { gateView } from "../gate-view.ts";
import { type Env, ProblemException, readJson } from "../http.ts";
import type { RunService } from "../runs.ts";

/** Runtime error codes that are the request's fault, as problem codes. */
export const problemOf: Record<string, ProblemCode> = {
  "run-not-found": "unknown-run",
  "workflow-not-found": "unknown-workflow",
  "run-exists": "run-exists",
  "invalid-run-id": "invalid-request",
  "invalid-inputs": "invalid-inputs",
  "not-waiting": "not-waiting",
  "not-cancellable": "not-cancellable",
  "not-resumable": "not-resumable",
  "run-locked": "run-locked",
  "invalid-answer": "invalid-answer",
};

/** Runs `fn`, saying a runtime refusal as its problem. */
async function refusing<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof RuntimeError && Object.hasOwn(problemOf, error.code))
      throw new ProblemException(problemOf[error.code]!, error.message);
    throw error;
  }
}

/** A non-negative integer from a query parameter or header, or a 400. */
function position(text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === "") return undefined;
  if (!/^\d{1,15}$/.test(text.trim()))
    throw new ProblemException(
      "invalid-request",
      `${what} must be a whole number, not ${JSON.stringify(text)}`,
    );
  return Number(text.trim());
}

export function runRoutes(app: Hono<Env>, deps: AppDeps & { runs: RunService }): void {
  const { runs } = deps;

  app.post("/v1/runs", async (c) => {
    const body = await readJson<StartRunRequest>(c, "StartRunRequest");
    const principal = c.get("principal");
    // The caller a client relays (aegis mcp) is recorded as it says; the user is the principal.
    const { caller, ...request } = body;
    const run = await refusing(() =>
      runs.start(request, { via: "http", ...caller, user: principal.user }),
    );
    c.header("location", `/v1/runs/${encodeURIComponent(run.id)}`);
    return c.json(run, 201);
  });

  app.get("/v1/runs", (c) => {
    const limitText = c.req.query("limit");
    const limit = position(limitText, "limit");
    if (limit !== undefined && (limit < 1 || limit > 1000))
      throw new ProblemException("invalid-request", "limit must be between 1 and 1000");
    const status = c.req.query("status");
    const statuses = ["queued", "running", "waiting", "succeeded", "failed", "cancelled"];
    if (status !== undefined && !statuses.includes(status))
      throw new ProblemException("invalid-request", `status must be one of ${statuses.join(", ")}`);
    const list = runs.list({
      ...(c.req.query("workflow") !== undefined && { workflow: c.req.query("workflow")! }),
      ...(status !== undefined && { status }),
      ...(limit !== undefined && { limit }),
      ...(c.req.query("before") !== undefined && { before: c.req.query("before")! }),
    });
    const page = limit ?? 100;
    const body: RunList = {
      runs: list,
      ...(list.length === page && { next: list[list.length - 1]!.id }),
    };
    return c.json(body);
  });

  app.get("/v1/runs/:id", async (c) => {
    const detail: RunDetail = await refusing(() => runs.get(c.req.param("id")));
    const gate = gateView(
      detail.record,
      detail.run.version,
      deps.registry,
      deps.config,
      c.get("principal"),
    );
    return c.json(gate ? { ...detail, gate } : detail);
  });

  app.post("/v1/runs/:id/signal", async (c) => {
    const id = c.req.param("id");
    const body = await readJson<SignalRequest>(c, "SignalRequest");
    const principal = c.get("principal");
    const workflow = await refusing(() => runs.workflowOf(id));
    const verdict = authorize(deps.config, principal, workflow);
    if (!verdict.allowed) throw new ProblemException("forbidden", verdict.reason);
    const answer = await refusing(() =>
      runs.signal(id, {
        ...(body.approve !== undefined && { approve: body.approve }),
        ...(body.response !== undefined && { response: body.response }),
        ...(body.feedback !== undefined && { feedback: body.feedback }),
        ...(body.state !== undefined && { state: body.state }),
        approver: principal.user,
      }),
    );
    return c.json(answer);
  });

  app.post("/v1/runs/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const hasBody =
      (c.req.header("content-length") ?? "0") !== "0" || c.req.header("transfer-encoding");
    const body = hasBody ? await readJson<CancelRequest>(c, "CancelRequest") : {};
    const principal = c.get("principal");
    const reason = body.reason ?? `cancelled by ${principal.user}`;
    return c.json(await refusing(() => runs.cancel(id, reason)));
  });

  app.post("/v1/runs/:id/resume", async (c) =>
    c.json(await refusing(() => runs.resume(c.req.param("id"))), 202),
  );

  app.get("/v1/runs/:id/graph", async (c) =>
    c.json(await refusing(() => runs.graph(c.req.param("id")))),
  );

  app.get("/v1/runs/:id/log", async (c) => {
    const after = position(c.req.query("after"), "after") ?? 0;
    return c.json({ entries: await refusing(() => runs.log(c.req.param("id"), after)) });
  });

  app.get("/v1/runs/:id/events", (c) => events(c, runs));
  app.get("/v1/events", (c) => runChanges(c, runs));
}

/**
 * Every run's changes as Server-Sent Events (`run`: its summary, each time it is started,
 * moves, waits or finishes), optionally of one workflow: what a list of runs needs to stay
 * current without asking for the whole list again. Nothing is replayed: a client that
 * reconnects reads the list, then follows.
 */
function runChanges(c: Context<Env>, runs: RunService): Response {
  const workflow = c.req.query("workflow");
  return streamSSE(c, async (stream) => {
    const pending: RunSummary[] = [];
    let wake: (() => void) | undefined;
    const unwatch = runs.watch((run) => {
      if (workflow !== undefined && run.workflow !== workflow) return;
      pending.push(run);
      wake?.();
    });
    stream.onAbort(() => wake?.());
    try {
      // Says the stream is open: changes from here on are sent.
      await stream.write(": watching\n\n");
      while (!stream.aborted) {
        while (pending.length > 0 && !stream.aborted)
          await stream.writeSSE({ event: "run", data: JSON.stringify(pending.shift()) });
        await new Promise<void>((resolve) => {
          wake = resolve;
          const timer = setTimeout(resolve, 15_000);
          timer.unref?.();
        });
        wake = undefined;
        if (pending.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
      }
    } finally {
      unwatch();
    }
  });
}

/**
 * A run's log as Server-Sent Events: what was logged after the client's last event, then
 * live, until the run finishes (or the client goes). Subscribed before the log is read, so
 * that nothing logged in between is lost; what both give is sent once.
 */
async function events(c: Context<Env>, runs: RunService): Promise<Response> {
  const id = c.req.param("id")!;
  const after =
    position(c.req.header("last-event-id"), "Last-Event-ID") ??
    position(c.req.query("after"), "after") ??
    0;
  await refusing(() => runs.workflowOf(id));
  return streamSSE(c, async (stream) => {
    let sent = after;
    let wake: (() => void) | undefined;
    const pending: LoggedObservation[] = [];
    const unsubscribe = runs.subscribe(id, (entries) => {
      pending.push(...entries);
      wake?.();
    });
    let finished = false;
    const send = async (entry: LoggedObservation) => {
      if (entry.n <= sent) return;
      sent = entry.n;
      await stream.writeSSE({
        id: String(entry.n),
        event: entry.observation.type,
        data: JSON.stringify(entry.observation),
      });
      if (entry.observation.type === "run-finished" && entry.observation.run === id)
        finished = true;
    };
    stream.onAbort(() => {
      finished = true;
      wake?.();
    });
    try {
      for (const entry of await runs.log(id, after)) await send(entry);
      while (!finished && !stream.aborted) {
        // Entries told while one is being sent join `pending`: sent in this same loop.
        while (pending.length > 0 && !stream.aborted) await send(pending.shift()!);
        // A run finished (its log complete) whose run-finished entry was not sent: it came
        // before `after`. `pending` is empty here (no await since): nothing is left to send.
        if (finished || runs.finished(id)) break;
        // Wakes for the next entries, or every 15 s for a comment that keeps proxies from
        // closing an idle stream (and notices a client gone).
        await new Promise<void>((resolve) => {
          wake = resolve;
          const timer = setTimeout(resolve, 15_000);
          timer.unref?.();
        });
        wake = undefined;
        if (pending.length === 0 && !finished && !stream.aborted)
          await stream.write(": keep-alive\n\n");
      }
    } finally {
      unsubscribe();
    }
  });
}
