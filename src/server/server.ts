// `aegis serve`'s process: opens the data directory, builds the app, listens. 127.0.0.1 by
// default; a host that is not loopback is refused unless tokens are configured.
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import { DEFAULT_PORT } from "../api/openapi.ts";
import { type AgentFunction, RuntimeError } from "../runtime/types.ts";
import { createApp, isLoopback } from "./app.ts";
import { parseConfig, readConfig, type ServerConfig } from "./config.ts";
import { openRegistry } from "./registry.ts";
import { RunService, type RunServiceOptions } from "./runs.ts";

export const DEFAULT_DATA_DIR = ".aegis/server";

export interface StartOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4680; 0 picks a free port. */
  port?: number;
  /** Where everything is kept (default .aegis/server under the working directory). */
  data?: string;
  /** A config file, or the config itself. */
  config?: string | ServerConfig;
  /** Runs driven at once; more wait in a queue (default 8). */
  concurrency?: number;
  /** Where runs' states work (default: the server's working directory). */
  workdir?: string;
  /**
   * A Restate cluster's ingress (http://HOST:8080): runs go there, to be run by `aegis
   * worker`s, instead of being driven by this process over <data>/runs.
   */
  restate?: string;
  /**
   * Workflows built in a program of this process (aegis-workflows/builder), compiled
   * without errors: deployed when the server starts, their function agents given to the
   * engine that drives the runs (by the names the workflows look them up by).
   */
  builtWorkflows?: { document: unknown; functions: Readonly<Record<string, AgentFunction>> }[];
  version: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  /** http://HOST:PORT, with the port actually bound. */
  url: string;
  port: number;
  /** Stops taking requests, lets those in flight finish, closes the data. */
  close(): Promise<void>;
}

/** The Restate backend, loaded only by a server that uses one. */
async function restateBackendFor(
  ingress: string,
): Promise<NonNullable<RunServiceOptions["backend"]>> {
  const { restateBackend } = await import("./restate-backend.ts");
  return (onLogged) => restateBackend({ ingress }, onLogged);
}

export async function start(options: StartOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const config =
    typeof options.config === "string"
      ? readConfig(options.config)
      : (options.config ?? parseConfig({}));
  const loopback = isLoopback(host);
  if (!loopback && config.tokens.length === 0) {
    throw new RuntimeError(
      "server-config",
      `refusing to listen on ${host} without tokens: anyone who can reach it could run workflows; configure tokens (--config FILE) or listen on 127.0.0.1`,
    );
  }
  const data = resolve(options.data ?? DEFAULT_DATA_DIR);
  const registry = await openRegistry(data);
  const functions: Record<string, AgentFunction> = {};
  for (const built of options.builtWorkflows ?? []) {
    registry.deploy(built.document);
    Object.assign(functions, built.functions);
  }
  let runs: RunService;
  try {
    runs = await RunService.open({
      data,
      registry,
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      workdir: resolve(options.workdir ?? "."),
      functions,
      log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
      ...(options.restate !== undefined && {
        backend: await restateBackendFor(options.restate),
      }),
    });
  } catch (error) {
    registry.close();
    throw error;
  }
  const app = createApp({
    registry,
    runs,
    config,
    loopback,
    version: options.version,
    ...(options.log && { log: options.log }),
  });
  let server: ReturnType<typeof serve>;
  const port = await new Promise<number>((done, fail) => {
    server = serve(
      { fetch: app.fetch, hostname: host, port: options.port ?? DEFAULT_PORT },
      (info) => done(info.port),
    );
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? "the port is in use"
          : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
            ? "no such address here"
            : error.message;
      fail(new RuntimeError("server-listen", `cannot listen on ${host}:${options.port}: ${why}`));
    });
  }).catch(async (error) => {
    await runs.close();
    registry.close();
    throw error;
  });
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}`,
    port,
    close() {
      const http = server as {
        closeIdleConnections?: () => void;
        closeAllConnections?: () => void;
      };
      closing ??= (async () => {
        const closed = new Promise<void>((done) => server.close(() => done()));
        // Idle keep-alive connections would hold close() open.
        http.closeIdleConnections?.();
        // The runs it drives stop where they are (to go on when a server starts again).
        await runs.close();
        // Event streams follow runs that will not move now: cut them after a grace for
        // requests in flight (a client reconnects with Last-Event-ID to the next server).
        const grace = setTimeout(() => http.closeAllConnections?.(), 2000);
        grace.unref();
        await closed;
        clearTimeout(grace);
      })().finally(() => registry.close());
      return closing;
    },
  };
}
