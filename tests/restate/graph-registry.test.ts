// Graph documents kept once per graph (src/restate/graph-registry.ts): runs of one workflow
// started through RestateRuns keep no copy of their document; `document` reads it from the
// `aegisGraph` object, which takes a document only under its own content hash. On a cluster
// without the registry (a worker binding aegisRun alone), a run keeps its document itself.
import { createServer, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import * as sdk from "@restatedev/restate-sdk";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import type { GraphDocument } from "../../src/compiler/graph.ts";
import { RestateRuns } from "../../src/restate/client.ts";
import { GRAPH_SERVICE } from "../../src/restate/graph-registry.ts";
import { RUN_SERVICE, runWorkflow } from "../../src/restate/run-workflow.ts";
import { registerWorker, startWorker, type Worker } from "../../src/restate/worker.ts";
import { eventually } from "../helpers/eventually.ts";
import { useRestate } from "../helpers/restate.ts";

const source = `workflow registry {
  agent echo = function("echo")
  start ONE
  state ONE = agent echo { prompt "one" on success -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`;

function compiled(text = source): GraphDocument {
  const result = compile(text);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return result.document;
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

describe("with the registry (aegis worker)", () => {
  const restate = useRestate();

  /** The state keys Restate holds for a key of a service. */
  const stateKeys = async (service: string, key: string) =>
    (
      await restate().adminQuery<{ key: string }>(
        `SELECT key FROM state WHERE service_name = '${service}' AND service_key = '${key}'`,
      )
    )
      .map((row) => row.key)
      .sort();

  it("keeps one copy of a graph for all its runs, and gives it as each run's document", async () => {
    const worker: Worker = await startWorker({
      port: 0,
      functions: { echo: async () => "ok" },
      log: () => {},
    });
    closers.push(() => worker.close());
    const { adminUrl, ingressUrl } = restate().nodes[0]!;
    await registerWorker(adminUrl, worker.url);
    const runs = new RestateRuns({ ingress: ingressUrl });
    const document = compiled();
    for (const id of ["reg-1", "reg-2"]) {
      await runs.start(document, {}, { id });
      expect((await runs.result(id)).status).toBe("succeeded");
      expect(await runs.document(id)).toEqual(document);
      expect(await stateKeys(RUN_SERVICE, id)).toEqual(["event/0", "event/1"]);
    }
    expect(await stateKeys(GRAPH_SERVICE, document.hash)).toEqual(["document"]);

    // Removed as docs/scale-out.md says: a document claiming its hash with other content is
    // refused, though the worker has that hash's graph loaded already.
    const cleared = await fetch(`${adminUrl}/services/${GRAPH_SERVICE}/state`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ object_key: document.hash, new_state: {} }),
    });
    expect(cleared.ok).toBe(true);
    await eventually("the document removed", async () =>
      (await stateKeys(GRAPH_SERVICE, document.hash)).length === 0 ? true : undefined,
    );
    const forged = structuredClone(document);
    (forged.graph.nodes[0]!.attributes as unknown as Record<string, unknown>).prompt = {
      text: "something else",
    };
    const refused = await fetch(`${ingressUrl}/${GRAPH_SERVICE}/${document.hash}/put`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(forged),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("invalid-workflow");
  });

  it("takes a document only under its own hash", async () => {
    const { ingressUrl } = restate().nodes[0]!;
    const document = compiled(source.replace('"one"', '"other"'));
    const put = (key: string, body: unknown) =>
      fetch(`${ingressUrl}/${GRAPH_SERVICE}/${key}/put`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const elsewhere = await put("0".repeat(64), document);
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain("invalid-workflow");
    // Its content changed, its hash not: refused too.
    const tampered = structuredClone(document);
    const first = tampered.graph.nodes[0]!.attributes as unknown as Record<string, unknown>;
    first.prompt = { text: "something else" };
    const refused = await put(document.hash, tampered);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("invalid-workflow");
    const missing = await fetch(`${ingressUrl}/${GRAPH_SERVICE}/${document.hash}/get`, {
      method: "POST",
    });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("graph-not-found");
  });
});

describe("without the registry (a worker that binds aegisRun alone)", () => {
  const restate = useRestate();

  it("starts runs that keep their document themselves", async () => {
    const endpoint = sdk
      .endpoint()
      .bind(runWorkflow({ functions: { echo: async () => "ok" } }))
      .setLogger(() => {});
    const server = createServer(endpoint.http2Handler());
    const sessions = new Set<ServerHttp2Session>();
    server.on("session", (session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const session of sessions) session.destroy();
        }),
    );
    const { adminUrl, ingressUrl } = restate().nodes[0]!;
    await registerWorker(adminUrl, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const runs = new RestateRuns({ ingress: ingressUrl });
    const document = compiled();
    await runs.start(document, {}, { id: "alone-1" });
    expect((await runs.result("alone-1")).status).toBe("succeeded");
    expect(await runs.document("alone-1")).toEqual(document);
  });
});
