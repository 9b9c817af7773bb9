// The server's runs on a Restate cluster (`aegis serve --restate URL`): runs are started,
// answered and cancelled through the cluster's ingress and run by `aegis worker`s; the
// server keeps its index, its API and its live streams by following each run it knows —
// reading its log and record from the cluster until it stops at a gate or ends. Gate
// timeouts are Restate's durable timers: the server fires none.
import type { WorkflowGraph } from "../compiler/graph.ts";
import { RestateRuns } from "../restate/client.ts";
import { storedGraph } from "../runtime/graph-cache.ts";
import type { RunObservation, RunRecord } from "../runtime/types.ts";
import { RuntimeError } from "../runtime/types.ts";
import type { OnLogged, RunBackend, RunHead } from "./run-backend.ts";

export interface RestateBackendOptions {
  /** A node's ingress, e.g. http://127.0.0.1:8080 */
  ingress: string;
  /** How often a followed run is read again (ms, default 250). */
  pollMs?: number;
}

export function restateBackend(options: RestateBackendOptions, onLogged: OnLogged): RunBackend {
  const client = new RestateRuns({ ingress: options.ingress });
  const pollMs = options.pollMs ?? 250;
  /** How much of each followed run's log was passed on. */
  const told = new Map<string, number>();
  let closed = false;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * A read of a run once its first step has saved it: a run just sent has no record yet,
   * and is asked again for a while.
   */
  async function once<T>(read: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await read();
      } catch (error) {
        if ((error as RuntimeError).code !== "run-not-found" || tries >= 40 || closed) throw error;
        await sleep(pollMs);
      }
    }
  }

  /** The run's record. */
  const record = (id: string) => once(async () => (await client.get(id)).record);

  /** Where the run is: its record without results and history, cheap to read. */
  const head = (id: string) => once(() => client.head(id));

  /**
   * Passes on what the run logged since last time, and where it is: read after the log, so
   * that the index is never behind what the run's streams have told.
   */
  async function pass(id: string): Promise<RunHead> {
    const after = told.get(id) ?? 0;
    const { entries } = await client.log(id, after);
    const current = await head(id);
    tell(id, after, entries, current);
    return current;
  }

  function tell(id: string, after: number, entries: RunObservation[], current: RunHead): void {
    if (entries.length === 0) return;
    told.set(id, after + entries.length);
    onLogged(
      id,
      entries.map((observation, i) => ({ n: after + i + 1, observation })),
      current,
    );
  }

  /** The child runs (subworkflow states') already followed. */
  const children = new Set<string>();

  /**
   * Follows the child runs a run's subworkflow states started (Restate runs them: the
   * server learns of them from the parent's results), so that they are indexed, listed and
   * streamed as the local engine's are.
   */
  async function adopt(parent: RunHead, results: RunRecord["results"] = {}): Promise<void> {
    const ids = Object.values(results).map((result) => result.child_execution_id);
    // A blocking child still running: its id is the one run-workflow.ts gives it.
    const current = parent.current;
    if (parent.status === "running" && current !== undefined) {
      const graph = await graphOfRun(parent.id);
      if (graph.hasNode(current) && graph.getNodeAttributes(current).kind === "subworkflow")
        ids.push(`${parent.id}.${current}.${parent.visits[current] ?? 1}.${parent.attempt}`);
    }
    for (const child of ids) {
      if (typeof child !== "string" || child === "" || children.has(child)) continue;
      children.add(child);
      follow(child).catch(() => children.delete(child));
    }
  }

  /** Each followed run's graph, read once. */
  const graphs = new Map<string, WorkflowGraph>();
  async function graphOfRun(id: string): Promise<WorkflowGraph> {
    let graph = graphs.get(id);
    if (!graph) {
      graph = storedGraph(await client.document(id));
      graphs.set(id, graph);
    }
    return graph;
  }

  /** Follows a run until it stops: waiting for a human, or ended. */
  async function follow(id: string, moved?: (record: RunHead) => boolean): Promise<RunRecord> {
    for (;;) {
      const current = await pass(id);
      await adopt(current).catch(() => undefined);
      const stopped = current.status !== "running" && (!moved || moved(current));
      if (stopped || closed) {
        // What it logged on its way to where it stopped, read after seeing it stopped.
        const after = told.get(id) ?? 0;
        tell(id, after, (await client.log(id, after)).entries, current);
        const full = await record(id);
        // Children started since (a detached one's state ends at once): from the results.
        await adopt(current, full.results).catch(() => undefined);
        if (current.status !== "waiting") {
          told.delete(id);
          graphs.delete(id);
        }
        return full;
      }
      await sleep(pollMs);
    }
  }

  return {
    location: `the Restate cluster at ${options.ingress}`,
    // Restate runs every run at once; the server follows each.
    concurrency: Number.MAX_SAFE_INTEGER,
    create: async (document, inputs, create) => {
      await client.start(document, inputs, {
        id: create.id,
        caller: create.caller,
        ...(create.intent !== undefined && { intent: create.intent }),
        ...(create.workdir !== undefined && { workdir: create.workdir }),
      });
    },
    drive: async (id) => {
      // The server's timer says a gate's timeout is due: the cluster's fires it. Followed
      // until the run moves on (polled, not again and again at once).
      const before = await head(id);
      const timeoutAt = before.status === "waiting" ? before.waiting?.timeoutAt : undefined;
      const due = timeoutAt !== undefined && Date.parse(timeoutAt) <= Date.now();
      const result = due ? follow(id, (r) => r.seq > before.seq) : follow(id);
      return { result: () => result };
    },
    signal: async (id, answer) => {
      const before = await head(id);
      if (before.status !== "waiting" || !before.waiting) {
        throw new RuntimeError(
          "not-waiting",
          `run '${id}' is not waiting for a human: it is ${before.status}`,
        );
      }
      if (answer.state !== undefined && answer.state !== before.waiting.state) {
        throw new RuntimeError(
          "not-waiting",
          `run '${id}' is waiting at '${before.waiting.state}', not at '${answer.state}'`,
        );
      }
      await client.answer(id, answer);
      // Answered once the run has taken an event past the one that made it wait.
      const moved = (r: RunHead) => r.seq > before.seq;
      const result = follow(id, moved);
      await waitUntil(id, moved);
      return { result: () => result };
    },
    cancel: async (id, reason) => {
      const before = await head(id);
      if (
        before.status === "succeeded" ||
        before.status === "failed" ||
        before.status === "cancelled"
      )
        throw new RuntimeError(
          "not-cancellable",
          `run '${id}' has already ${before.status}; there is nothing to cancel`,
        );
      await client.cancel(id, reason);
      return follow(id, (r) => r.status !== "waiting");
    },
    record,
    load: async (id) => {
      const [{ record: current, meta }, document] = await Promise.all([
        client.get(id),
        client.document(id),
      ]);
      return {
        record: current,
        document,
        meta: {
          id,
          workflow: current.workflow,
          graphHash: current.graphHash,
          inputs: current.inputs,
          ...(current.intent !== undefined && { intent: current.intent }),
          startedAt: current.startedAt,
          ...meta,
        },
      };
    },
    readLog: async (id) => {
      const { entries } = await client.log(id);
      // The index caught up with what is read here (the reader may act on it at once).
      try {
        const current = await pass(id);
        if (current.status !== "running" && current.status !== "waiting") told.delete(id);
      } catch {
        // Read all the same: the follower catches up.
      }
      return entries;
    },
    close: async () => {
      closed = true;
    },
  };

  /** Waits until where the run is satisfies `ready`. */
  async function waitUntil(id: string, ready: (r: RunHead) => boolean): Promise<void> {
    while (!closed && !ready(await head(id))) await sleep(pollMs);
  }
}
