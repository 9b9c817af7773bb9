// The web viewer's tests: a real `aegis serve` (tests/server/serve.ts) with workflows
// deployed through the CLI, and Debian's Chromium driven by playwright-core (no browser is
// downloaded). Every wait is a condition polled with a generous deadline, never a timing.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { aegisAsync, api, releaseWorkflow, root, type Served, serve } from "../server/serve.ts";

export { api, root };

/** How long a condition in the page may take to hold (a loaded 2-core machine). */
export const PATIENCE = 60_000;

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A review loop: a draft (a shell step) and a human review; a rejection sends the draft
 * back with the reviewer's feedback. Its inputs cover the form's kinds of field.
 */
export const reviewWorkflow = `workflow review {
  input topic: string
  input reviewers: list<string> = []
  input level: "low" | "high" = "low"
  input pages: integer = 1
  input urgent: boolean = false
  start DRAFT
  state DRAFT = run "echo draft {{quote input.topic}}" timeout 1m visits 3 {
    on exit 0 -> REVIEW
    otherwise -> FAILED
  }
  state REVIEW = human timeout 1h visits 3 {
    prompt "Review the draft of **{{input.topic}}**, see https://example.com/doc"
    on approved -> DONE
    on rejected -> DRAFT feedback "{{REVIEW.feedback}}"
  }
  final DONE
  final FAILED failure
}
`;

/** A gate that asks for a response (its transitions read the answer's text). */
export const pickWorkflow = `workflow pick {
  start ASK
  state ASK = human timeout 1h {
    prompt "Where to? Answer *staging* or *production*."
    on response == "staging" -> STAGING
    otherwise -> OTHER
  }
  final STAGING
  final OTHER
}
`;

/** A state that runs until it is cancelled (a minute's sleep). */
export const slowWorkflow = `workflow slow {
  start WORK
  state WORK = run "sleep 60" timeout 5m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

export interface Viewer {
  server: Served;
  dir: string;
  url: string;
  /** The token the tests use (undefined: a loopback server without tokens). */
  token?: string;
  close(): Promise<void>;
}

/** A server with release, review, pick and slow deployed; `config`: its --config file. */
export async function startViewer(
  options: { config?: object; token?: string } = {},
): Promise<Viewer> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-web-"));
  writeFileSync(join(dir, "release.aegis"), releaseWorkflow());
  writeFileSync(join(dir, "review.aegis"), reviewWorkflow);
  writeFileSync(join(dir, "pick.aegis"), pickWorkflow);
  writeFileSync(join(dir, "slow.aegis"), slowWorkflow);
  const args: string[] = [];
  if (options.config) {
    writeFileSync(join(dir, "config.json"), JSON.stringify(options.config));
    args.push("--config", "config.json");
  }
  const server = await serve(dir, args);
  const env: Record<string, string> = { AEGIS_SERVER: server.url };
  if (options.token) env.AEGIS_TOKEN = options.token;
  const deployed = await aegisAsync(
    dir,
    ["deploy", "release.aegis", "review.aegis", "pick.aegis", "slow.aegis"],
    env,
  );
  expect(deployed.stderr).toBe("");
  expect(deployed.status).toBe(0);
  return {
    server,
    dir,
    url: server.url,
    ...(options.token && { token: options.token }),
    close: async () => {
      if (server.process.exitCode === null) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a run through the API; its id. */
export async function startRun(
  viewer: Viewer,
  workflow: string,
  inputs: Record<string, unknown>,
): Promise<string> {
  const started = await api(viewer.url, "POST", "/v1/runs", { workflow, inputs }, viewer.token);
  expect(started.status).toBe(201);
  return started.json.id as string;
}

/** The run as GET /v1/runs/:id gives it. */
export async function getRun(viewer: Viewer, id: string) {
  const got = await api(
    viewer.url,
    "GET",
    `/v1/runs/${encodeURIComponent(id)}`,
    undefined,
    viewer.token,
  );
  expect(got.status).toBe(200);
  return got.json as {
    run: { status: string; current?: string };
    record: {
      status: string;
      visits: Record<string, number>;
      feedback: Record<string, string>;
      inputs: Record<string, unknown>;
      results: Record<string, { approver?: string; feedback?: string; approved?: boolean }>;
    };
    gate?: { state: string };
  };
}

/** Waits until the run has `status` (through the API). */
export async function runReaches(viewer: Viewer, id: string, status: string): Promise<void> {
  await expect
    .poll(async () => (await getRun(viewer, id)).record.status, {
      timeout: PATIENCE,
      interval: 250,
    })
    .toBe(status);
}

/**
 * The page's problems that no test expects: scripts refused by the Content-Security-Policy,
 * errors thrown, dialogs opened (a hostile prompt's alert()).
 */
export function watchPage(page: Page): { problems: string[]; navigations: () => number } {
  const problems: string[] = [];
  let navigations = 0;
  page.on("console", (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text()))
      problems.push(`CSP: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  return { problems, navigations: () => navigations };
}

/** Marks the page's window: still marked later means the page was not loaded again. */
export async function mark(page: Page): Promise<void> {
  await page.evaluate("window.__aegisTestMark = 'same page'");
}
export async function stillMarked(page: Page): Promise<unknown> {
  return page.evaluate("window.__aegisTestMark");
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core"), "utf8");

/**
 * axe-core's serious and critical violations of the page. The checker is evaluated through
 * the DevTools protocol (page.evaluate), which the page's CSP does not govern: an injected
 * <script> tag (page.addScriptTag) would be refused by the very policy under test.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const result = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) })))",
  )) as { id: string; impact: string; help: string; nodes: string[] }[];
  return result
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(", ")})`);
}

export const screenshots = join(root, "test-results", "screenshots");

export function screenshotPath(name: string): string {
  mkdirSync(screenshots, { recursive: true });
  return join(screenshots, name);
}

/** Whether the page is wider than its window (something sticks out sideways). */
export async function overflow(page: Page): Promise<{ scroll: number; client: number }> {
  return (await page.evaluate(
    "({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })",
  )) as { scroll: number; client: number };
}

/** Opens the viewer at `hash` in a new context of `browser` (recorded in `contexts`, to close). */
export async function openPage(
  browser: Browser,
  contexts: BrowserContext[],
  viewer: Viewer,
  hash: string,
  options: { token?: string; width?: number } = {},
): Promise<{ page: Page; watched: ReturnType<typeof watchPage> }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
  });
  contexts.push(context);
  if (options.token)
    await context.addInitScript(
      `sessionStorage.setItem("aegis-token", ${JSON.stringify(options.token)})`,
    );
  const page = await context.newPage();
  const watched = watchPage(page);
  await page.goto(`${viewer.url}/ui/${hash}`);
  return { page, watched };
}

/** A state of the run's graph, with that status if one is given. */
export const graphNode = (page: Page, state: string, status?: string) =>
  page.locator(`svg.graph g[data-state="${state}"]${status ? `[data-status="${status}"]` : ""}`);

/**
 * The browser and the viewer, started side by side; when one fails, what the other started
 * is still handed over (for afterAll to close), and the failure is thrown after.
 */
export async function launchWithViewer(
  viewer: () => Promise<Viewer>,
  keep: (browser: Browser | undefined, viewer: Viewer | undefined) => void,
): Promise<void> {
  const [browser, started] = await Promise.allSettled([launch(), viewer()]);
  keep(
    browser.status === "fulfilled" ? browser.value : undefined,
    started.status === "fulfilled" ? started.value : undefined,
  );
  if (browser.status === "rejected") throw browser.reason;
  if (started.status === "rejected") throw started.reason;
}
