// A worker: an HTTP/2 endpoint serving the aegisRun workflow (run-workflow.ts) to a Restate
// server or cluster. Any number of workers, on any hosts, behind one address the cluster
// knows (a load balancer, or one worker per deployment): Restate sends each run's
// invocations to a worker, and a step runs on the worker it was sent to — its agents,
// commands and containers with that worker's programs, environment and credentials.
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import * as restate from "@restatedev/restate-sdk";
import { RuntimeError } from "../runtime/types.ts";
import { graphRegistry } from "./graph-registry.ts";
import { type RunWorkflowOptions, runWorkflow } from "./run-workflow.ts";

export interface WorkerOptions extends RunWorkflowOptions {
  /** The port to listen on (0: any free one). */
  port?: number;
  /** The address to listen on (default 127.0.0.1; 0.0.0.0 to serve other hosts). */
  host?: string;
  /**
   * Restate's request-identity public keys (publickeyv1_…): with one, the worker serves only
   * requests signed by the cluster holding its private key; without, anyone who can reach
   * the worker's port can make it run states (agents, commands), so keep it on loopback or
   * a private network.
   */
  identityKeys?: string[];
  /** Where the Restate SDK's messages go (default: its warnings and errors, to stderr). */
  log?: (level: "trace" | "debug" | "info" | "warn" | "error", message: string) => void;
}

const quiet = (level: string, message: string) => {
  if (level === "warn" || level === "error")
    process.stderr.write(`aegis worker: ${level}: ${message}\n`);
};

export interface Worker {
  /** Where the endpoint listens: http://HOST:PORT */
  readonly url: string;
  readonly port: number;
  /** Stops accepting invocations and closes the server. */
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions = {}): Promise<Worker> {
  const log = options.log ?? quiet;
  let endpoint = restate.endpoint().bind(runWorkflow(options)).bind(graphRegistry);
  if (options.identityKeys?.length) endpoint = endpoint.withIdentityV1(...options.identityKeys);
  endpoint = endpoint.setLogger((meta, message, ...rest) => {
    // A replayed invocation's messages were given when it first ran.
    if (meta.replaying) return;
    log(meta.level as never, [message, ...rest].map(String).join(" "));
  });
  const server: Http2Server = createServer(endpoint.http2Handler());
  // Restate keeps its HTTP/2 connections open: close() ends them (their sockets: ending
  // the sessions alone leaves server.close() waiting), or it would wait forever.
  const open = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 9080, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}

/**
 * Registers a worker's URL with a Restate cluster's admin API (`POST /deployments`): the
 * cluster then sends runs there. Registering the same URL again with another version of
 * the workflow is refused unless `force` (runs in flight stay on the deployment they began
 * on: see docs/scale-out.md for upgrading).
 */
export async function registerWorker(
  adminUrl: string,
  workerUrl: string,
  options: { force?: boolean } = {},
): Promise<{ id: string }> {
  let response: Response;
  try {
    response = await fetch(new URL("/deployments", adminUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uri: workerUrl, ...(options.force && { force: true }) }),
    });
  } catch (error) {
    throw new RuntimeError(
      "restate-unreachable",
      `cannot reach Restate's admin API at ${adminUrl}: ${(error as Error).message}`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new RuntimeError(
      "restate-error",
      `Restate refused to register ${workerUrl} (HTTP ${response.status}): ${text.slice(0, 500)}`,
    );
  }
  return { id: (JSON.parse(text) as { id: string }).id };
}
