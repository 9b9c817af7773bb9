// Runs on a Restate cluster, from outside it: through the cluster's HTTP ingress (any node's).
// Starting, answering and cancelling are sent fire-and-forget (`/send`): Restate accepts them
// while no worker is up and delivers them when one is. Reading a run (`get`, `log`) calls
// its shared handlers, which a worker answers.

import type { GraphDocument } from "../compiler/graph.ts";
import { graphOf } from "../runtime/graph-cache.ts";
import { checkInputs } from "../runtime/inputs-check.ts";
import type { SignalAnswer } from "../runtime/response.ts";
import { newRunId } from "../runtime/run-id.ts";
import { RUN_ID } from "../runtime/store/types.ts";
import { type RunObservation, type RunRecord, RuntimeError } from "../runtime/types.ts";
import { documentsOf, GRAPH_SERVICE } from "./graph-registry.ts";
import type { RunHead } from "./run-state.ts";
import { type RestateRunMeta, type RestateRunStart, RUN_SERVICE } from "./run-workflow.ts";

export interface RestateRunsOptions {
  /** A node's ingress, e.g. http://127.0.0.1:8080 */
  ingress: string;
}

export interface RestateStartOptions
  extends Omit<RestateRunStart, "document" | "inputs" | "registered"> {
  id?: string;
}

/** What a send gives: Restate's id of the invocation, and whether it was new. */
export interface Sent {
  invocationId: string;
  status: "Accepted" | "PreviouslyAccepted";
}

export class RestateRuns {
  private readonly ingress: string;
  /** Documents put in the graph registry by this client (false: the cluster has none). */
  private readonly registered = new Map<string, Promise<boolean>>();

  constructor(options: RestateRunsOptions) {
    this.ingress = options.ingress.replace(/\/+$/, "");
  }

  /**
   * Starts a run of `document` (its inputs checked first, as the local engine does). The
   * same id again is the same run: Restate answers PreviouslyAccepted and starts nothing.
   */
  async start(
    document: GraphDocument,
    inputs: Record<string, unknown> = {},
    options: RestateStartOptions = {},
  ): Promise<{ id: string } & Sent> {
    const graph = graphOf(document);
    const name = graph.getAttribute("name");
    const checked = await checkInputs(graph.getAttribute("inputSchema"), inputs, name);
    const id = options.id ?? newRunId(name);
    if (!RUN_ID.test(id))
      throw new RuntimeError(
        "invalid-run-id",
        `'${id}' is not a run id (letters, digits, '.', '_' and '-')`,
      );
    const { id: _id, ...rest } = options;
    const registered = await this.register(document);
    const start: RestateRunStart = {
      document,
      inputs: checked,
      at: new Date().toISOString(),
      ...rest,
      ...(registered && { registered: true }),
    };
    return { id, ...(await this.send(id, "run", start)) };
  }

  /** Answers the gate the run waits at (delivered when a worker is up). */
  answer(id: string, answer: SignalAnswer): Promise<Sent> {
    if (answer.approve === undefined && answer.response === undefined)
      throw new RuntimeError("invalid-answer", "an answer approves, rejects, or gives a response");
    return this.send(id, "answer", answer);
  }

  /** Asks the run to stop: the state in flight is interrupted, the run ends cancelled. */
  cancel(id: string, reason?: string): Promise<Sent> {
    return this.send(id, "cancel", reason === undefined ? {} : { reason });
  }

  /** The run's record and meta, as its worker last saved them. */
  get(id: string): Promise<{ record: RunRecord; meta: RestateRunMeta }> {
    return this.call(id, "get", undefined);
  }

  /** Where the run is: its record without its results and history (cheap to read). */
  head(id: string): Promise<RunHead> {
    return this.call(id, "head", undefined);
  }

  /** The graph document the run runs. */
  document(id: string): Promise<GraphDocument> {
    return this.call(id, "document", undefined);
  }

  /** What the run reported, from the `after`-th observation on. */
  log(id: string, after = 0): Promise<{ entries: RunObservation[]; next: number }> {
    return this.call(id, "log", { after });
  }

  /** Waits for the run to end, and gives its final record. */
  async result(id: string, signal?: AbortSignal): Promise<RunRecord> {
    const response = await this.fetch(`/restate/workflow/${RUN_SERVICE}/${id}/attach`, {
      method: "GET",
      ...(signal && { signal }),
    });
    return (await this.read(response, id)) as RunRecord;
  }

  /**
   * Puts the document and its subworkflows' in the graph registry, once per document for
   * this client (sent: accepted with no worker up, and served before any later `get`).
   * False when the cluster has no registry (a worker serving aegisRun alone): the run then
   * keeps its document itself.
   */
  private register(document: GraphDocument): Promise<boolean> {
    let registered = this.registered.get(document.hash);
    if (!registered) {
      registered = this.put(documentsOf(document));
      this.registered.set(document.hash, registered);
      // A failure is not kept: the next start tries again.
      registered.catch(() => this.registered.delete(document.hash));
    }
    return registered;
  }

  private async put(documents: GraphDocument[]): Promise<boolean> {
    const sent = await Promise.all(
      documents.map(async (document) => {
        const response = await this.fetch(`/${GRAPH_SERVICE}/${document.hash}/put/send`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(document),
        });
        if (response.status === 404) {
          await response.body?.cancel();
          return false;
        }
        await this.read(response, document.hash);
        return true;
      }),
    );
    return sent.every(Boolean);
  }

  private async send(id: string, handler: string, body: unknown): Promise<Sent> {
    const response = await this.fetch(`/${RUN_SERVICE}/${encodeURIComponent(id)}/${handler}/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return (await this.read(response, id)) as Sent;
  }

  private async call<T>(id: string, handler: string, body: unknown): Promise<T> {
    const response = await this.fetch(`/${RUN_SERVICE}/${encodeURIComponent(id)}/${handler}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? null),
    });
    return (await this.read(response, id)) as T;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.ingress}${path}`, init);
    } catch (error) {
      throw new RuntimeError(
        "restate-unreachable",
        `cannot reach Restate's ingress at ${this.ingress}: ${(error as Error).message}`,
      );
    }
  }

  /** The response's JSON, or the handler's error as a RuntimeError with aegis's code. */
  private async read(response: Response, id: string): Promise<unknown> {
    const text = await response.text();
    if (response.ok) return text === "" ? undefined : JSON.parse(text);
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {}
    // The handlers' errors read "code: message" (run-workflow.ts, terminal()).
    const coded = /^([a-z][a-z-]+): ([\s\S]*)$/.exec(message);
    if (coded) throw new RuntimeError(coded[1] as never, coded[2]!);
    if (response.status === 404) throw new RuntimeError("run-not-found", `no run '${id}'`);
    throw new RuntimeError(
      "restate-error",
      `Restate answered HTTP ${response.status}: ${message.slice(0, 500)}`,
    );
  }
}
