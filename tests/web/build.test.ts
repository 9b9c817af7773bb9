// The viewer's build (scripts/build-web.ts): three files, the page referring to the other
// two by relative URLs (it is served under /ui/), with nothing inline that the server's
// Content-Security-Policy would refuse, and nothing fetched from elsewhere (it works offline).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../scripts/build-web.ts";
import { root } from "../server/serve.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the web viewer's build", () => {
  it("gives index.html, app.js and app.css, and writes them to an outdir", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "aegis-web-build-"));
    dirs.push(outdir);
    const assets = await buildWeb({ outdir });
    expect(assets.map((a) => [a.path, a.contentType]).sort()).toEqual([
      ["app.css", "text/css; charset=utf-8"],
      ["app.js", "text/javascript; charset=utf-8"],
      ["index.html", "text/html; charset=utf-8"],
    ]);
    expect(readdirSync(outdir).sort()).toEqual(["app.css", "app.js", "index.html"]);
    for (const a of assets)
      expect(readFileSync(join(outdir, a.path)).equals(Buffer.from(a.body))).toBe(true);

    const text = (path: string) =>
      new TextDecoder().decode(assets.find((a) => a.path === path)!.body);
    const html = text("index.html");
    expect(html).toMatch(/<script type="module" src="\.\/app\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="\.\/app\.css" \/>/);
    // Nothing inline (scripts, styles, handlers), nothing from another host.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const css = text("app.css");
    expect(css).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//);
    // The bundle: ESM with dagre and markdown-it inside (no bare imports left to resolve).
    const js = text("app.js");
    expect(js).not.toMatch(/\bimport\s*["'{*][^;]*from\s*["'][^./]/);
    expect(js).not.toMatch(/\bimport\(["'][^./]/);
    expect(js.length).toBeGreaterThan(10_000);
  });

  it("parses HTML only in markdown.ts (markdown-it's escaped output), and sets no inline style", () => {
    const dir = join(root, "src", "web");
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const path = join(d, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith(".ts")) files.push(path);
      }
    };
    walk(dir);
    expect(files.length).toBeGreaterThan(5);
    const parsing = files.filter((f) =>
      /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|createContextualFragment/.test(
        readFileSync(f, "utf8"),
      ),
    );
    expect(parsing.map((f) => f.slice(dir.length + 1))).toEqual(["markdown.ts"]);
    for (const f of files)
      expect(readFileSync(f, "utf8")).not.toMatch(/setAttribute\(\s*["']style["']|\bstyle:\s*["']/);
  });
});
