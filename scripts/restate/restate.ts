// Local Restate servers for tests, CI and development: a single node or a 3-node cluster on
// 127.0.0.1, on free ports, in one directory (configuration, data, logs, restate.json).
//
// As a library: `const restate = await startRestate({ nodes: 3 })` … `await restate.stop()`.
// As a command: `node scripts/restate/restate.ts start|stop|status` (see `usage` below).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  adminUrl,
  freePorts,
  ingressUrl,
  type Layout,
  type NodeLayout,
  nodeToml,
  nodeUrl,
} from "./config.ts";
import {
  adminQuery,
  aliveNodes,
  answers,
  clusterQuery,
  type InvocationLocation,
  type PartitionInfo,
  partitionKeyOf,
  partitionOfKey,
  partitions,
} from "./introspection.ts";
import {
  isRunning,
  isServer,
  logTail,
  signalServer,
  spawnServer,
  stopServers,
  waitForExit,
} from "./processes.ts";

export type { InvocationLocation, PartitionInfo } from "./introspection.ts";

export interface RestateNode {
  name: string;
  /** The server's PID, which is also its process group (the last one, if it was killed). */
  pid: number;
  /** http://127.0.0.1:<port>: the node-to-node port (restatectl's --address). */
  nodeUrl: string;
  /** The admin API: /health, /deployments, /query, … */
  adminUrl: string;
  /** The HTTP ingress: /restate/health, /<service>/<key>/<handler>, … */
  ingressUrl: string;
  /** The node's base-dir (its data is in `<baseDir>/<name>/`). */
  baseDir: string;
  configFile: string;
  /** The server's stdout and stderr. */
  logFile: string;
}

/** The contents of `<dir>/restate.json`, and what the `start` command prints. */
export interface RestateState {
  dir: string;
  clusterName: string;
  /** Partitions provisioned with the cluster. */
  partitionCount: number;
  nodes: RestateNode[];
}

export interface StartOptions {
  /** One node, or a cluster of three (replication 2: tolerates one node down). Default 1. */
  nodes?: 1 | 3;
  /**
   * Where configuration, data and logs go; kept after stop(). A directory holding a stopped
   * deployment (restate.json) is started again as it was. Default: a new temporary directory,
   * removed by stop().
   */
  dir?: string;
  /** Partitions to provision (default 24, Restate's default). */
  partitions?: number;
  /** How long to wait for the servers to be ready (default 120 s). */
  deadlineMs?: number;
  /** SIGKILL the servers if this process exits without stop() (default true). */
  stopOnExit?: boolean;
}

export interface Restate extends RestateState {
  node(name: string): RestateNode;
  /** The nodes not killed or stopped through this handle. */
  running(): RestateNode[];
  /**
   * Waits until every running node answers on its admin and ingress ports, the cluster sees
   * it alive, and every partition has an active leader among the running nodes.
   */
  waitUntilReady(deadlineMs?: number): Promise<void>;
  /** Every partition with its key range and current leader. */
  partitions(): Promise<PartitionInfo[]>;
  /** Partition id → name of the node leading it (partitions without a leader are absent). */
  partitionLeaders(): Promise<Map<number, string>>;
  /**
   * Where an invocation lives: its partition key, partition and that partition's leader.
   * Waits (up to `deadlineMs`, default 30 s) until the invocation is known to its partition.
   */
  locateInvocation(invocationId: string, deadlineMs?: number): Promise<InvocationLocation>;
  /** SQL over the partitions' data (admin `POST /query`: sys_invocation, state, …). */
  adminQuery<T>(sql: string): Promise<T[]>;
  /** SQL over the cluster's state (`restatectl sql`: nodes, partitions, partition_state, …). */
  clusterQuery<T>(sql: string): Promise<T[]>;
  /** SIGKILL to one node; returns once the process is gone. */
  kill(name: string): Promise<void>;
  /** Starts a node again (stopping it first if it runs) and waits until ready. */
  restart(name: string): Promise<void>;
  /** Stops every node (SIGTERM, then SIGKILL); removes the directory if it was temporary. */
  stop(): Promise<void>;
}

const stateFile = (dir: string) => join(dir, "restate.json");

function writeState(state: RestateState): void {
  const { dir, clusterName, partitionCount, nodes } = state;
  writeFileSync(
    stateFile(dir),
    `${JSON.stringify({ dir, clusterName, partitionCount, nodes }, null, 2)}\n`,
  );
}

export function readState(dir: string): RestateState {
  return JSON.parse(readFileSync(stateFile(resolve(dir)), "utf8")) as RestateState;
}

async function layout(dir: string, count: number, partitions: number): Promise<Layout> {
  const ports = await freePorts(count * 3);
  const suffix = Math.random().toString(36).slice(2, 8);
  return {
    // A cluster name of its own: a node of another local deployment that got the same ports
    // later cannot join this one by mistake.
    clusterName: `aegis-${suffix}`,
    partitions,
    nodes: Array.from({ length: count }, (_, i): NodeLayout => {
      const name = `n${i + 1}`;
      return {
        name,
        ports: { node: ports[3 * i]!, admin: ports[3 * i + 1]!, ingress: ports[3 * i + 2]! },
        baseDir: join(dir, name),
        configFile: join(dir, `${name}.toml`),
        logFile: join(dir, `${name}.log`),
      };
    }),
  };
}

function logTails(nodes: RestateNode[]): string {
  return nodes.map((n) => `--- ${n.logFile} (last lines)\n${logTail(n.logFile)}`).join("\n");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the servers and waits until they are ready (see Restate.waitUntilReady). */
export async function startRestate(options: StartOptions = {}): Promise<Restate> {
  const ownsDir = options.dir === undefined;
  const dir =
    options.dir === undefined
      ? mkdtempSync(join(tmpdir(), "aegis-restate-"))
      : resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const deadlineMs = options.deadlineMs ?? 120_000;
  try {
    if (existsSync(stateFile(dir))) return await resume(dir, options, deadlineMs);
    // A port picked as free may be taken before the server binds it: then start afresh.
    for (let attempt = 1; ; attempt++) {
      const planned = await layout(dir, options.nodes ?? 1, options.partitions ?? 24);
      const nodes: RestateNode[] = [];
      for (const [i, node] of planned.nodes.entries()) {
        writeFileSync(node.configFile, nodeToml(planned, i));
        const pid = await spawnServer(node.configFile, node.logFile);
        const { name, ports, baseDir, configFile, logFile } = node;
        nodes.push({
          name,
          pid,
          nodeUrl: nodeUrl(ports),
          adminUrl: adminUrl(ports),
          ingressUrl: ingressUrl(ports),
          baseDir,
          configFile,
          logFile,
        });
      }
      const state = {
        dir,
        clusterName: planned.clusterName,
        partitionCount: planned.partitions,
        nodes,
      };
      writeState(state);
      const restate = handle(state, ownsDir, options.stopOnExit ?? true);
      try {
        await restate.waitUntilReady(deadlineMs);
        return restate;
      } catch (error) {
        await restate.halt();
        const portTaken = nodes.some((n) => /Address in use/i.test(logTail(n.logFile, 50)));
        if (!portTaken || attempt === 3) throw error;
        const written = nodes.flatMap((n) => [n.baseDir, n.configFile, n.logFile]);
        for (const path of written) rmSync(path, { recursive: true, force: true });
        rmSync(stateFile(dir), { force: true });
      }
    }
  } catch (error) {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Starts a stopped deployment again from its restate.json, with the same configuration. */
async function resume(dir: string, options: StartOptions, deadlineMs: number): Promise<Restate> {
  const state = readState(dir);
  if (options.nodes !== undefined && options.nodes !== state.nodes.length) {
    throw new Error(
      `${dir} holds a deployment of ${state.nodes.length} node(s), not ${options.nodes}`,
    );
  }
  const running = state.nodes.filter((n) => isServer(n.pid, n.configFile));
  if (running.length > 0) {
    throw new Error(`${dir}: Restate already runs (PIDs ${running.map((n) => n.pid).join(", ")})`);
  }
  for (const node of state.nodes) node.pid = await spawnServer(node.configFile, node.logFile);
  writeState(state);
  const restate = handle(state, false, options.stopOnExit ?? true);
  try {
    await restate.waitUntilReady(deadlineMs);
  } catch (error) {
    await restate.halt();
    throw error;
  }
  return restate;
}

function handle(
  state: RestateState,
  ownsDir: boolean,
  stopOnExit: boolean,
): Restate & { halt(): Promise<void> } {
  const down = new Set<string>();
  const running = () => state.nodes.filter((n) => !down.has(n.name));
  const nodeUrls = () => running().map((n) => n.nodeUrl);
  const adminUrls = () => running().map((n) => n.adminUrl);
  const node = (name: string) => {
    const found = state.nodes.find((n) => n.name === name);
    if (found) return found;
    const names = state.nodes.map((n) => n.name).join(", ");
    throw new Error(`no Restate node ${name} (nodes: ${names})`);
  };

  // A test that fails before its afterAll must not leave servers behind, nor one whose
  // process is interrupted or terminated (the servers run in process groups of their own).
  const onExit = () => {
    for (const n of running()) if (isServer(n.pid, n.configFile)) signalServer(n.pid, "SIGKILL");
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    // Its temporary directory too, once the servers are gone (they may still be closing
    // files for a moment: removal is tried again a few times).
    if (ownsDir) {
      try {
        rmSync(state.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch {
        // Left behind: the servers are stopped, which is what matters.
      }
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // Then as if nobody had listened: the default action ends the process.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  if (stopOnExit) {
    process.on("exit", onExit);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  /** What the deployment still waits for, or undefined when it is ready. */
  async function notReady(): Promise<string | undefined> {
    const up = running();
    for (const n of up) {
      if (!(await answers(`${n.adminUrl}/health`))) return `${n.name}: admin ${n.adminUrl}/health`;
      if (!(await answers(`${n.ingressUrl}/restate/health`))) {
        return `${n.name}: ingress ${n.ingressUrl}/restate/health`;
      }
    }
    try {
      const alive = await aliveNodes(nodeUrls());
      const unseen = up.filter((n) => !alive.has(n.name));
      if (unseen.length) return `the cluster to see ${unseen.map((n) => n.name).join(", ")} alive`;
      const all = await partitions(nodeUrls());
      if (all.length === 0) return "partitions to be provisioned";
      const names = new Set(up.map((n) => n.name));
      const unled = all.filter((p) => p.leader === undefined || !names.has(p.leader));
      if (unled.length) return `a leader for partition(s) ${unled.map((p) => p.id).join(", ")}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    return undefined;
  }

  async function halt(): Promise<void> {
    const pids = running()
      .filter((n) => isServer(n.pid, n.configFile))
      .map((n) => n.pid);
    for (const n of state.nodes) down.add(n.name);
    process.off("exit", onExit);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stopServers(pids);
  }

  async function waitUntilReady(deadlineMs = 120_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      // Exited: the process is gone (or a zombie). Not "its command line is not the
      // server's": a process between exec()s (a wrapper script exec'ing the binary) can read
      // as neither for a moment.
      const exited = running().filter((n) => !isRunning(n.pid));
      if (exited.length) {
        throw new Error(
          `Restate node(s) ${exited.map((n) => n.name).join(", ")} exited\n${logTails(exited)}`,
        );
      }
      const waitingFor = await notReady();
      if (waitingFor === undefined) return;
      if (Date.now() >= deadline) {
        throw new Error(
          `Restate was not ready after ${deadlineMs} ms, waiting for ${waitingFor}\n${logTails(running())}`,
        );
      }
      await sleep(250);
    }
  }

  return {
    dir: state.dir,
    clusterName: state.clusterName,
    partitionCount: state.partitionCount,
    nodes: state.nodes,
    node,
    running,
    halt,

    waitUntilReady,

    partitions: () => partitions(nodeUrls()),

    async partitionLeaders() {
      const leaders = new Map<number, string>();
      for (const p of await partitions(nodeUrls())) if (p.leader) leaders.set(p.id, p.leader);
      return leaders;
    },

    async locateInvocation(invocationId, deadlineMs = 30_000) {
      const deadline = Date.now() + deadlineMs;
      let problem = "it is not in sys_invocation_status";
      for (;;) {
        try {
          const key = await partitionKeyOf(adminUrls(), invocationId);
          if (key !== undefined) {
            const partition = partitionOfKey(await partitions(nodeUrls()), key);
            return {
              partitionKey: key,
              partition: partition.id,
              ...(partition.leader !== undefined && { leader: partition.leader }),
            };
          }
        } catch (error) {
          problem = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() >= deadline) throw new Error(`cannot locate ${invocationId}: ${problem}`);
        await sleep(250);
      }
    },

    adminQuery: (sql) => adminQuery(adminUrls(), sql),
    clusterQuery: (sql) => clusterQuery(nodeUrls(), sql),

    async kill(name) {
      const n = node(name);
      if (down.has(name)) throw new Error(`Restate node ${name} is not running`);
      down.add(name);
      signalServer(n.pid, "SIGKILL");
      await waitForExit([n.pid], 10_000);
    },

    async restart(name) {
      const n = node(name);
      if (isServer(n.pid, n.configFile)) await stopServers([n.pid]);
      n.pid = await spawnServer(n.configFile, n.logFile);
      down.delete(name);
      writeState(state);
      await waitUntilReady();
    },

    async stop() {
      await halt();
      if (ownsDir) rmSync(state.dir, { recursive: true, force: true });
    },
  };
}

/** Stops the servers listed in `<dir>/restate.json`; returns the names of those it stopped. */
export async function stopRestate(dir: string, graceMs = 20_000): Promise<string[]> {
  const state = readState(dir);
  const running = state.nodes.filter((n) => isServer(n.pid, n.configFile));
  await stopServers(
    running.map((n) => n.pid),
    graceMs,
  );
  return running.map((n) => n.name);
}

const usage = `usage: node scripts/restate/restate.ts <command> [options]

  start [--nodes 1|3] [--dir DIR] [--partitions N]
      Starts a Restate server, or a cluster of 3 (replication 2), on free ports of
      127.0.0.1; waits until every node is healthy and every partition has a leader;
      writes DIR/restate.json and prints the same JSON (endpoints and PIDs) on one line.
      Without --dir: a new temporary directory. A DIR holding a stopped deployment is
      started again with its configuration and data.
  stop --dir DIR
      Stops the servers listed in DIR/restate.json (SIGTERM, SIGKILL after 20 s).
  status --dir DIR
      Prints, on one line of JSON, which nodes run and which node leads each partition.

Each node has DIR/<node>.toml (its configuration), DIR/<node>/ (its data) and
DIR/<node>.log (its output). The servers run with DO_NOT_TRACK=1 and without the
caller's RESTATE_* variables. Binaries: @restatedev/restate-server and
@restatedev/restatectl from node_modules, or AEGIS_RESTATE_SERVER / AEGIS_RESTATECTL.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      nodes: { type: "string" },
      dir: { type: "string" },
      partitions: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (command === undefined || extra.length > 0) {
    process.stderr.write(usage);
    return 2;
  }
  const dir = values.dir;
  if (command === "start") {
    const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
    const partitions = Number(values.partitions ?? "24");
    if (nodes !== undefined && nodes !== 1 && nodes !== 3) {
      throw new Error("--nodes must be 1 or 3");
    }
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new Error("--partitions must be a whole number >= 1");
    }
    const restate = await startRestate({
      ...(nodes !== undefined && { nodes }),
      partitions,
      // The servers outlive this command; `stop` ends them.
      stopOnExit: false,
      ...(dir !== undefined && { dir }),
    });
    process.stdout.write(`${JSON.stringify(readState(restate.dir))}\n`);
    return 0;
  }
  if (dir === undefined || (command !== "stop" && command !== "status")) {
    process.stderr.write(usage);
    return 2;
  }
  if (command === "stop") {
    const stopped = await stopRestate(dir);
    process.stdout.write(`${JSON.stringify({ stopped })}\n`);
    return 0;
  }
  const state = readState(dir);
  const running = state.nodes.filter((n) => isServer(n.pid, n.configFile));
  const status: Record<string, unknown> = { running: running.map((n) => n.name) };
  try {
    const all = await partitions(running.map((n) => n.nodeUrl));
    status.leaders = Object.fromEntries(all.map((p) => [p.id, p.leader ?? null]));
  } catch (error) {
    status.error = error instanceof Error ? error.message : String(error);
  }
  process.stdout.write(`${JSON.stringify(status)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`restate: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
