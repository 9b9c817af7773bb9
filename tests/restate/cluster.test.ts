// Real Restate servers (scripts/restate/restate.ts): a single node, and a 3-node cluster that
// loses the node leading a workflow's partition to SIGKILL and carries on without it.
import { createServer, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.ts";
import { type Restate, type RestateNode, useRestate } from "../helpers/restate.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a request until it succeeds: right after a deployment is registered, or a node is
 * lost, a node may answer 404 (it does not know the service yet) or 503 for a moment.
 */
async function untilOk(request: () => Promise<Response>, deadlineMs = 60_000): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    let last: string;
    try {
      const response = await request();
      if (response.ok) return response;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() >= deadline) throw new Error(`no success within ${deadlineMs} ms: ${last}`);
    await sleep(250);
  }
}

async function health(node: RestateNode) {
  const admin = await fetch(`${node.adminUrl}/health`);
  const ingress = await fetch(`${node.ingressUrl}/restate/health`);
  return { admin: admin.status, ingress: ingress.status, services: await ingress.json() };
}

describe("a single Restate node", () => {
  const servers = useRestate({ nodes: 1 });

  it("answers on its admin and ingress ports and leads every partition", async () => {
    const r = servers();
    expect(r.nodes.map((n) => n.name)).toEqual(["n1"]);
    expect(await health(r.node("n1"))).toEqual({
      admin: 200,
      ingress: 200,
      services: { services: [] },
    });
    const leaders = await r.partitionLeaders();
    expect(leaders.size).toBe(24);
    expect(new Set(leaders.values())).toEqual(new Set(["n1"]));
  });
});

// A workflow that waits for a durable promise: it stays in flight, on its partition's
// leader, until `open` resolves the promise.
const gate = restate.workflow({
  name: "Gate",
  handlers: {
    run: async (ctx: restate.WorkflowContext, greeting: string) => {
      const name = await ctx.promise<string>("name");
      return `${greeting}, ${name}`;
    },
    open: async (ctx: restate.WorkflowSharedContext, name: string) => {
      await ctx.promise<string>("name").resolve(name);
    },
  },
});

describe("a 3-node Restate cluster", () => {
  const servers = useRestate({ nodes: 3 });
  // The SDK's own log is quiet: losing the connection to the killed node is expected here.
  const endpoint = createServer(
    restate.createEndpointHandler({ services: [gate], logger: () => {} }),
  );
  const sessions = new Set<Http2Session>();
  endpoint.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  let endpointUrl = "";

  beforeAll(async () => {
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => endpoint.close(resolve));
  });

  const post = (url: string, body: unknown) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  async function deploymentIds(node: RestateNode): Promise<string[]> {
    const response = await fetch(`${node.adminUrl}/deployments`);
    expect(response.status).toBe(200);
    const { deployments } = (await response.json()) as { deployments: { id: string }[] };
    return deployments.map((d) => d.id);
  }

  /**
   * Every partition led by one of `names`, once leadership has settled: a node that rejoins
   * takes some partitions back, and while one moves it has no leader for a moment.
   */
  async function expectEveryPartitionLedBy(r: Restate, names: string[]) {
    const all = await eventually("every partition led", async () => {
      const partitions = await r.partitions();
      return partitions.every((p) => p.leader !== undefined && names.includes(p.leader))
        ? partitions
        : undefined;
    });
    expect(all).toHaveLength(24);
    for (const p of all) expect(names).toContain(p.leader);
  }

  it("comes up with every node alive and every partition led", async () => {
    const r = servers();
    expect(r.nodes.map((n) => n.name)).toEqual(["n1", "n2", "n3"]);
    for (const node of r.nodes) expect((await health(node)).admin).toBe(200);
    const alive = await r.clusterQuery<{ name: string; state: string }>(
      "SELECT name, state FROM nodes ORDER BY name",
    );
    expect(alive).toEqual(["n1", "n2", "n3"].map((name) => ({ name, state: "alive" })));
    await expectEveryPartitionLedBy(r, ["n1", "n2", "n3"]);
    // Partitions are spread over the nodes (default-replication 2 of 3).
    expect(new Set((await r.partitionLeaders()).values()).size).toBeGreaterThan(1);
  });

  it("survives SIGKILL of the node leading a workflow's partition, and takes it back", async () => {
    const r = servers();
    const [first] = r.nodes;
    const registered = await untilOk(() =>
      post(`${first!.adminUrl}/deployments`, { uri: endpointUrl }),
    );
    const { id: deployment } = (await registered.json()) as { id: string };

    // Start the workflow through the last node's ingress; find where it lives.
    const sent = await untilOk(() => post(`${r.nodes[2]!.ingressUrl}/Gate/k1/run/send`, "hello"));
    const { invocationId } = (await sent.json()) as { invocationId: string };
    const where = await r.locateInvocation(invocationId);
    expect(where.partitionKey).toBeTypeOf("bigint");
    const victim = where.leader!;
    expect(["n1", "n2", "n3"]).toContain(victim);

    await r.kill(victim);
    const survivors = r.running();
    expect(survivors.map((n) => n.name)).not.toContain(victim);
    expect(survivors).toHaveLength(2);

    // The survivors answer, know the deployment, and lead every partition again.
    for (const node of survivors) {
      expect((await health(node)).ingress).toBe(200);
      expect(await deploymentIds(node)).toEqual([deployment]);
    }
    await r.waitUntilReady();
    await expectEveryPartitionLedBy(
      r,
      survivors.map((n) => n.name),
    );
    const moved = await r.locateInvocation(invocationId);
    expect(moved.partition).toBe(where.partition);
    expect(moved.leader).not.toBe(victim);

    // The workflow goes on under its partition's new leader.
    const ingress = survivors[0]!.ingressUrl;
    await untilOk(() => post(`${ingress}/Gate/k1/open`, "world"));
    const output = await untilOk(() => fetch(`${ingress}/restate/workflow/Gate/k1/attach`));
    expect(await output.json()).toBe("hello, world");

    // The killed node comes back with its data and rejoins.
    await r.restart(victim);
    const alive = await r.clusterQuery<{ name: string }>(
      "SELECT name FROM nodes WHERE state = 'alive' ORDER BY name",
    );
    expect(alive.map((n) => n.name)).toEqual(["n1", "n2", "n3"]);
    await expectEveryPartitionLedBy(r, ["n1", "n2", "n3"]);
    expect(await deploymentIds(r.node(victim))).toEqual([deployment]);
  });
});
