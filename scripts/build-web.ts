// Builds the web viewer (src/web/) into three files: index.html, app.js (ESM, minified, for
// browsers of 2022 on: dagre and markdown-it bundled in) and app.css. No CDN and no inline
// script or style: the page runs offline under the server's strict Content-Security-Policy.
// `aegis serve` builds it in memory in a checkout (src/server/web.ts); `npm run build` writes
// it to lib/web/.
//   node scripts/build-web.ts [outdir]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "src", "web");

export interface WebAsset {
  /** Relative to the viewer's root: "index.html", "app.js", "app.css". */
  path: string;
  contentType: string;
  body: Uint8Array;
}

const types: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** The viewer's files; with `outdir`, also written there. */
export async function buildWeb(options: { outdir?: string } = {}): Promise<WebAsset[]> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [
      { in: join(web, "main.ts"), out: "app" },
      { in: join(web, "styles.css"), out: "app" },
    ],
    outdir: "/web-out",
    write: false,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "eof",
    charset: "utf8",
    logLevel: "silent",
  });
  const assets: WebAsset[] = [
    {
      path: "index.html",
      contentType: types.html!,
      body: readFileSync(join(web, "index.html")),
    },
  ];
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    const ext = extname(name).slice(1);
    assets.push({
      path: name,
      contentType: types[ext] ?? "application/octet-stream",
      body: file.contents,
    });
  }
  if (options.outdir !== undefined) {
    mkdirSync(options.outdir, { recursive: true });
    for (const asset of assets) writeFileSync(join(options.outdir, asset.path), asset.body);
  }
  return assets;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(process.argv[2] ?? join(root, "lib", "web"));
  const assets = await buildWeb({ outdir });
  for (const a of assets) console.log(`${join(outdir, a.path)}  ${a.body.length} bytes`);
}
