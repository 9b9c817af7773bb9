// The HTTP API of `aegis serve`, as a Hono app (no socket: server.ts listens, tests may call
// app.request()). In order, every request meets: the Host/Origin guard (on loopback, against
// DNS rebinding), authentication (bearer tokens; none needed on loopback when no tokens are
// configured; the web viewer's page needs none), the body limit, then its route. Every
// failure is a problem document (RFC 9457) with a code; no stack trace leaves the process.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { openapi } from "../api/openapi.ts";
import { type ProblemCode, problem } from "../api/problem.ts";
import { LOCAL_PRINCIPAL, principalOf, type ServerConfig } from "./config.ts";
import { type Env, ProblemException, problemResponse } from "./http.ts";
import { mcpRoute } from "./mcp.ts";
import type { Registry } from "./registry.ts";
import { runRoutes } from "./routes/runs.ts";
import { workflowRoutes } from "./routes/workflows.ts";
import type { RunService } from "./runs.ts";
import { isWebPath, type WebAsset, webAssetsOnce, webRoutes } from "./web.ts";

export interface AppDeps {
  registry: Registry;
  /** The runs (without it, the app serves the registry only). */
  runs?: RunService;
  config: ServerConfig;
  /** The server listens on a loopback address only (127.0.0.0/8, ::1, localhost). */
  loopback: boolean;
  /** The aegis version (GET /v1/health). */
  version: string;
  /** Where the server says what went wrong inside it (default: stderr). */
  log?: (line: string) => void;
  /** The web viewer's files (default: loaded when first asked for; see web.ts). */
  web?: () => Promise<Map<string, WebAsset>>;
}

/** Paths answered without a token (still behind the Host guard). */
const PUBLIC = new Set(["/v1/health", "/v1/openapi.json"]);

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Whether `host` (a listening address or a Host header's name) is a loopback name. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase();
  return LOOPBACK_NAMES.has(name) || /^127(\.\d{1,3}){3}$/.test(name);
}

/** The name part of a Host header value (`name:port`, `[v6]:port`). */
function hostName(header: string): string | undefined {
  try {
    return new URL(`http://${header}`).hostname;
  } catch {
    return undefined;
  }
}

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const refuse = (code: ProblemCode, detail: string, headers?: Record<string, string>) => {
    throw new ProblemException(code, detail, headers ? { headers } : {});
  };

  // On loopback a browser page of another site must not reach the server through a name
  // that resolves to 127.0.0.1 (DNS rebinding): only loopback names in Host and Origin.
  app.use("*", async (c, next) => {
    if (deps.loopback) {
      const host = c.req.header("host");
      const name = host === undefined ? undefined : hostName(host);
      if (name === undefined || !isLoopback(name)) {
        refuse("forbidden-host", `the Host ${JSON.stringify(host ?? "")} is not a loopback name`);
      }
      const origin = c.req.header("origin");
      if (origin !== undefined) {
        let ok = false;
        try {
          ok = isLoopback(new URL(origin).hostname);
        } catch {}
        if (!ok) refuse("forbidden-host", `the Origin ${JSON.stringify(origin)} is not allowed`);
      }
    }
    await next();
  });

  const challenge = { "www-authenticate": 'Bearer realm="aegis"' };
  app.use("*", async (c, next) => {
    const header = c.req.header("authorization");
    // No tokens configured, on loopback: every request is the local user's (a token sent
    // anyway is not looked at).
    if (deps.loopback && deps.config.tokens.length === 0) {
      c.set("principal", LOCAL_PRINCIPAL);
      return next();
    }
    if ((PUBLIC.has(c.req.path) || isWebPath(c.req.path)) && header === undefined) return next();
    const token = /^Bearer +(\S+) *$/i.exec(header ?? "")?.[1];
    if (token === undefined) {
      refuse(
        "unauthorized",
        header === undefined
          ? "send a bearer token (Authorization: Bearer TOKEN; AEGIS_TOKEN for the CLI)"
          : "the Authorization header is not a bearer token",
        challenge,
      );
    }
    const principal = principalOf(deps.config, token!);
    if (!principal) {
      refuse("unauthorized", "the bearer token is not valid", {
        "www-authenticate": 'Bearer realm="aegis", error="invalid_token"',
      });
    }
    c.set("principal", principal!);
    await next();
  });

  app.use(
    "*",
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: (c) =>
        problemResponse(
          c,
          problem("body-too-large", `the body is over ${deps.config.maxBodyBytes} bytes`),
        ),
    }),
  );

  app.get("/v1/health", (c) => c.json({ status: "ok", version: deps.version }));
  app.get("/v1/openapi.json", (c) => c.json(openapi));
  workflowRoutes(app, deps);
  webRoutes(app, deps.web ?? webAssetsOnce());
  if (deps.runs) {
    runRoutes(app, { ...deps, runs: deps.runs });
    mcpRoute(app, { ...deps, runs: deps.runs });
  }

  app.notFound((c) => {
    const allowed = methodsOf(app, c.req.path);
    if (allowed.length > 0) {
      return problemResponse(
        c,
        problem("method-not-allowed", `${c.req.method} ${c.req.path}: use ${allowed.join(", ")}`),
        { allow: allowed.join(", ") },
      );
    }
    return problemResponse(c, problem("not-found", `no resource at ${c.req.path}`));
  });

  app.onError((error, c) => {
    if (error instanceof ProblemException) {
      return problemResponse(c, error.problem, error.headers);
    }
    if (error instanceof HTTPException) {
      // Hono's own refusals (a body it cannot read …): said as a problem, with their headers.
      const code: ProblemCode =
        error.status === 413
          ? "body-too-large"
          : error.status === 401
            ? "unauthorized"
            : "invalid-request";
      const headers: Record<string, string> = {};
      const auth = error.res?.headers.get("www-authenticate");
      if (auth) headers["www-authenticate"] = auth;
      return problemResponse(c, problem(code, error.message || undefined), headers);
    }
    log(
      `aegis serve: internal error on ${c.req.method} ${c.req.path}: ${(error as Error)?.stack ?? error}`,
    );
    return problemResponse(c, problem("internal", "the server failed; its log says why"));
  });

  return app;
}

/** The methods that the app's routes allow at `path` (for 405 and Allow). */
function methodsOf(app: Hono<Env>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const pattern = new RegExp(
      `^${route.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_]\w*/g, "[^/]+")}$`,
    );
    if (pattern.test(path)) methods.add(route.method);
  }
  return [...methods].sort();
}
