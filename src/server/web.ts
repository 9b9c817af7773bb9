// The web viewer's page (src/web/), served by `aegis serve` at /ui/. An installed package
// serves what `npm run build` put in lib/web/; a checkout builds it from src/web/ in memory
// when it is first asked for (scripts/build-web.ts, esbuild), so that a change to the page
// needs no build step. The page carries no data: it needs no token (its API calls do), and
// its Content-Security-Policy allows only its own script, style and API.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Context, Hono } from "hono";
import { type Env, ProblemException } from "./http.ts";

export interface WebAsset {
  path: string;
  contentType: string;
  body: Uint8Array;
}

/** Paths of the viewer: answered without a token. */
export const isWebPath = (path: string): boolean =>
  path === "/" || path === "/ui" || path.startsWith("/ui/");

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The viewer's files, by path: built from the sources in a checkout, else lib/web/. */
export async function loadWebAssets(
  dir: URL = new URL("../web/", import.meta.url),
): Promise<Map<string, WebAsset>> {
  const sources = new URL("main.ts", dir);
  const builder = new URL("../../scripts/build-web.ts", dir);
  let assets: WebAsset[];
  if (existsSync(sources) && existsSync(builder)) {
    const { buildWeb } = (await import(builder.href)) as {
      buildWeb(): Promise<WebAsset[]>;
    };
    assets = await buildWeb();
  } else if (existsSync(dir)) {
    // The files the build writes there; nothing else in the directory is served.
    assets = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && Object.hasOwn(TYPES, extname(entry.name)))
      .map((entry) => ({
        path: entry.name,
        contentType: TYPES[extname(entry.name)]!,
        body: readFileSync(new URL(entry.name, dir)),
      }));
  } else assets = [];
  return new Map(assets.map((asset) => [asset.path, asset]));
}

/** The viewer's files, loaded when first asked for; a load that failed is tried again. */
export function webAssetsOnce(): () => Promise<Map<string, WebAsset>> {
  let loading: Promise<Map<string, WebAsset>> | undefined;
  return () => {
    loading ??= loadWebAssets().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

export function webRoutes(app: Hono<Env>, assets: () => Promise<Map<string, WebAsset>>): void {
  app.get("/", (c) => c.redirect("/ui/", 302));
  app.get("/ui", (c) => c.redirect("/ui/", 302));
  app.get("/ui/", (c) => serve(c, assets, "index.html"));
  app.get("/ui/:file", (c) => serve(c, assets, c.req.param("file")));
}

async function serve(
  c: Context<Env>,
  assets: () => Promise<Map<string, WebAsset>>,
  path: string,
): Promise<Response> {
  let files: Map<string, WebAsset>;
  try {
    files = await assets();
  } catch (error) {
    throw new ProblemException(
      "web-unavailable",
      `the web viewer could not be built: ${(error as Error)?.message ?? error}`,
    );
  }
  const asset = files.get(path);
  if (!asset) {
    throw new ProblemException(
      files.size === 0 ? "web-unavailable" : "not-found",
      files.size === 0
        ? "this installation has no web viewer (run npm run build)"
        : `no file ${path} in the web viewer`,
    );
  }
  return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
    "content-type": asset.contentType,
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
  });
}
