// The web viewer in headless Chromium against a real `aegis serve` (loopback, no tokens):
// a run's gate approved in the page and the run followed to its end without a reload, the
// runs list kept live by the server's events, a run started from the form made of a
// workflow's input schema, a rejection with feedback sent back through the loop, and a
// hostile gate prompt that stays text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  getRun,
  graphNode,
  launchWithViewer,
  mark,
  openPage,
  PATIENCE,
  runReaches,
  screenshotPath,
  startRun,
  startViewer,
  stillMarked,
  type Viewer,
} from "./helpers.ts";

let browser: Browser;
let viewer: Viewer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await launchWithViewer(startViewer, (b, v) => {
    if (b) browser = b;
    if (v) viewer = v;
  });
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await viewer?.close();
});

const open = (hash: string) => openPage(browser, contexts, viewer, hash);
const node = graphNode;

describe("the web viewer", () => {
  it("shows a run waiting at its gate, approves it in the page, and follows the run to its end without reloading", async () => {
    const id = await startRun(viewer, "release", { version: "1.4.0" });
    await runReaches(viewer, id, "waiting");
    const { page, watched } = await open(`#/runs/${id}`);
    await node(page, "APPROVE", "waiting").waitFor({ timeout: PATIENCE });
    await mark(page);
    const loads = watched.navigations();
    // What happened so far: PREPARE done, the transition into the gate taken, the rest not reached.
    await expect(node(page, "PREPARE").getAttribute("data-status")).resolves.toBe("done");
    await expect(node(page, "SHIP").getAttribute("data-status")).resolves.toBe("not-reached");
    await expect(node(page, "APPROVE").textContent()).resolves.toContain("waiting");
    await expect(
      page.locator('g.edge[data-from="PREPARE"][data-to="APPROVE"]').getAttribute("data-taken"),
    ).resolves.toBe("true");
    await expect(
      page.locator('g.edge[data-from="APPROVE"][data-to="SHIP"]').getAttribute("data-taken"),
    ).resolves.toBe("false");
    // The gate: its prompt rendered, who may answer, the buttons.
    const gate = page.getByTestId("gate");
    await expect(gate.getByTestId("gate-prompt").textContent()).resolves.toContain("Ship 1.4.0?");
    await expect(gate.getByTestId("gate-who").textContent()).resolves.toContain("anyone");
    await page.screenshot({ path: screenshotPath("run.png"), fullPage: true });
    // A state's details opened now stay open while the page follows the run.
    await page.locator('details.state[data-state="PREPARE"] summary').click();
    await expect(
      page.locator('details.state[data-state="PREPARE"] pre').first().textContent(),
    ).resolves.toContain("echo prepared");

    await gate.getByTestId("approve").click();
    // The run goes on and finishes; the page follows its stream.
    await node(page, "DONE", "done").waitFor({ timeout: PATIENCE });
    await expect(node(page, "APPROVE").getAttribute("data-status")).resolves.toBe("done");
    await expect(node(page, "SHIP").getAttribute("data-status")).resolves.toBe("done");
    await expect(node(page, "FAILED").getAttribute("data-status")).resolves.toBe("not-reached");
    await expect(
      page.locator('g.edge[data-from="APPROVE"][data-to="SHIP"]').getAttribute("data-taken"),
    ).resolves.toBe("true");
    await expect
      .poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: PATIENCE })
      .toBe("succeeded");
    await expect.poll(() => page.getByTestId("gate").count(), { timeout: PATIENCE }).toBe(0);
    await expect
      .poll(() => page.getByTestId("log").textContent(), { timeout: PATIENCE })
      .toContain("run succeeded");
    await expect(page.getByTestId("history").textContent()).resolves.toContain("SHIP");
    await expect(
      page.locator('details.state[data-state="PREPARE"]').getAttribute("open"),
    ).resolves.toBe("");
    // Never reloaded: the same window, no navigation since.
    expect(await stillMarked(page)).toBe("same page");
    expect(watched.navigations()).toBe(loads);
    // The answer went through the API, recorded with who answered.
    const after = await getRun(viewer, id);
    expect(after.record.status).toBe("succeeded");
    expect(after.record.results.APPROVE).toMatchObject({ approved: true, approver: "local" });
    expect(readFileSync(join(viewer.dir, "trace.txt"), "utf8")).toContain("shipped");
    await page.screenshot({ path: screenshotPath("run-finished.png"), fullPage: true });
    expect(watched.problems).toEqual([]);
  });

  it("keeps the runs list current as runs start and move, without reloading", async () => {
    const { page, watched } = await open("#/runs");
    await page.getByTestId("live").filter({ hasText: "live" }).waitFor({ timeout: PATIENCE });
    await mark(page);
    const id = await startRun(viewer, "release", { version: "2.0.0" });
    const row = page.locator(`tr[data-run="${id}"]`);
    await row.waitFor({ timeout: PATIENCE });
    await expect.poll(() => row.getAttribute("data-status"), { timeout: PATIENCE }).toBe("waiting");
    await expect(row.textContent()).resolves.toContain("APPROVE");
    await expect(row.textContent()).resolves.toContain("release");
    // Newest first.
    await expect(page.locator("tr[data-run]").first().getAttribute("data-run")).resolves.toBe(id);
    // Cancelled elsewhere (the API): the row says so.
    expect((await api(viewer.url, "POST", `/v1/runs/${id}/cancel`, {})).status).toBe(200);
    await expect
      .poll(() => row.getAttribute("data-status"), { timeout: PATIENCE })
      .toBe("cancelled");
    // Filtered by status: the route's query, read by the list and its stream alike.
    await page.getByTestId("filter-status").selectOption("waiting");
    await expect
      .poll(() => page.locator(`tr[data-run="${id}"]`).count(), { timeout: PATIENCE })
      .toBe(0);
    const waiting = await startRun(viewer, "release", { version: "2.0.1" });
    await page
      .locator(`tr[data-run="${waiting}"][data-status="waiting"]`)
      .waitFor({ timeout: PATIENCE });
    expect(page.url()).toContain("status=waiting");
    expect(await stillMarked(page)).toBe("same page");
    expect(watched.problems).toEqual([]);
  });

  it("starts a run from the form made of the workflow's input schema, and opens it", async () => {
    const { page, watched } = await open("#/workflows");
    await page.locator('[data-workflow="review"] h2 a').click();
    const form = page.getByTestId("start-form");
    await form.waitFor({ timeout: PATIENCE });
    // What the checker proves of it.
    await expect(page.getByTestId("figures").textContent()).resolves.toContain("Worst case");
    await expect(page.locator("svg.graph g[data-state]")).toHaveCount(4);
    // The required input is marked; sending without it says so beside it.
    await expect(page.locator('label[for="start-topic"]').textContent()).resolves.toContain("*");
    await page.getByTestId("input-pages").fill("two");
    await page.getByTestId("start").click();
    await expect(page.getByTestId("error-topic").textContent()).resolves.toContain("required");
    await expect(page.getByTestId("error-pages").textContent()).resolves.toContain("number");
    await expect(page.getByTestId("input-topic").getAttribute("aria-invalid")).resolves.toBe(
      "true",
    );
    expect(page.url()).toContain("#/workflows/review");

    await page.getByTestId("input-topic").fill("the release notes");
    await page.getByTestId("input-reviewers").fill("ann\nbo\n");
    await page.getByTestId("input-level").selectOption({ label: "high" });
    await page.getByTestId("input-pages").fill("3");
    await page.getByTestId("input-urgent").check();
    await page.getByTestId("start").click();
    await expect.poll(() => page.url(), { timeout: PATIENCE }).toMatch(/#\/runs\/review-/);
    const id = decodeURIComponent(page.url().split("#/runs/")[1]!);
    await node(page, "REVIEW", "waiting").waitFor({ timeout: PATIENCE });
    const run = await getRun(viewer, id);
    expect(run.record.inputs).toEqual({
      topic: "the release notes",
      reviewers: ["ann", "bo"],
      level: "high",
      pages: 3,
      urgent: true,
    });
    expect(watched.problems).toEqual([]);
  });

  it("rejects with feedback: the run goes back to the draft, which is told the feedback", async () => {
    const id = await startRun(viewer, "review", { topic: "the changelog" });
    await runReaches(viewer, id, "waiting");
    const { page, watched } = await open(`#/runs/${id}`);
    await node(page, "REVIEW", "waiting").waitFor({ timeout: PATIENCE });
    await mark(page);
    await page.getByTestId("gate-feedback").fill("Say what changed for users.");
    await page.getByTestId("reject").click();
    // Back through DRAFT (its second visit, ×2) and waiting at the review again.
    await page
      .locator('svg.graph g[data-state="DRAFT"] [data-testid="visits"]')
      .filter({ hasText: "×2" })
      .waitFor({ timeout: PATIENCE });
    await expect
      .poll(() => node(page, "REVIEW").getAttribute("data-visits"), { timeout: PATIENCE })
      .toBe("2");
    await node(page, "REVIEW", "waiting").waitFor({ timeout: PATIENCE });
    await page.getByTestId("gate").waitFor({ timeout: PATIENCE });
    await expect(page.getByTestId("gate-feedback").inputValue()).resolves.toBe("");
    const draft = page.locator('details.state[data-state="DRAFT"]');
    await draft.locator("summary").click();
    await expect(draft.textContent()).resolves.toContain("Say what changed for users.");
    const run = await getRun(viewer, id);
    expect(run.record.visits.DRAFT).toBe(2);
    expect(run.record.feedback.DRAFT).toBe("Say what changed for users.");
    expect(run.record.results.REVIEW).toMatchObject({
      approved: false,
      feedback: "Say what changed for users.",
    });
    expect(await stillMarked(page)).toBe("same page");
    expect(watched.problems).toEqual([]);
  });

  it("lists the runs of every workflow, filters them by workflow, and opens one", async () => {
    const { page, watched } = await open("#/runs");
    // The runs of the tests before: succeeded, cancelled, and waiting ones, of both workflows.
    await expect
      .poll(() => page.locator("tr[data-run]").count(), { timeout: PATIENCE })
      .toBeGreaterThanOrEqual(5);
    const statuses = await page
      .locator("tr[data-run]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
    expect(new Set(statuses)).toEqual(new Set(["succeeded", "cancelled", "waiting"]));
    await page.screenshot({ path: screenshotPath("runs.png"), fullPage: true });
    // A filter changed with the keyboard keeps the focus while the list is read again.
    await page.getByTestId("filter-status").focus();
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => page.url(), { timeout: PATIENCE }).toContain("status=queued");
    await page.locator("tr.empty").waitFor({ timeout: PATIENCE });
    expect(await page.evaluate("document.activeElement.id")).toBe("filter-status");
    await page.keyboard.press("ArrowUp");
    await expect.poll(() => page.url(), { timeout: PATIENCE }).not.toContain("status=");
    await page.locator("tr[data-run]").first().waitFor({ timeout: PATIENCE });
    expect(await page.evaluate("document.activeElement.id")).toBe("filter-status");
    await page.getByTestId("filter-workflow").selectOption("review");
    await expect.poll(() => page.url(), { timeout: PATIENCE }).toContain("workflow=review");
    await expect
      .poll(
        () =>
          page
            .locator("tr[data-run]")
            .evaluateAll((rows) => [
              ...new Set(rows.map((r) => r.textContent?.includes("review"))),
            ]),
        { timeout: PATIENCE },
      )
      .toEqual([true]);
    const first = page.locator("tr[data-run] a.run-link").first();
    const id = await first.textContent();
    await first.click();
    await page.locator(`article[data-run="${id}"] h1`).waitFor({ timeout: PATIENCE });
    await expect(page.locator("h1").textContent()).resolves.toContain(id!);
    expect(watched.problems).toEqual([]);
  });

  it("answers a gate that asks for a response with a text", async () => {
    const id = await startRun(viewer, "pick", {});
    await runReaches(viewer, id, "waiting");
    const { page, watched } = await open(`#/runs/${id}`);
    const gate = page.getByTestId("gate");
    await gate.waitFor({ timeout: PATIENCE });
    await expect(gate.getByTestId("approve").count()).resolves.toBe(0);
    await expect(gate.getByTestId("gate-prompt").locator("em").count()).resolves.toBe(2);
    await gate.getByTestId("respond").click();
    await expect(gate.getByTestId("gate-error").textContent()).resolves.toContain("response");
    await expect(gate.getByTestId("gate-response").getAttribute("aria-invalid")).resolves.toBe(
      "true",
    );
    await gate.getByTestId("gate-response").fill("staging");
    await gate.getByTestId("respond").click();
    await node(page, "STAGING", "done").waitFor({ timeout: PATIENCE });
    await expect(node(page, "OTHER").getAttribute("data-status")).resolves.toBe("not-reached");
    const run = await getRun(viewer, id);
    expect(run.record.status).toBe("succeeded");
    expect(run.record.results.ASK).toMatchObject({ approver: "local" });
    expect(watched.problems).toEqual([]);
  });

  it("shows the server's refusal of an answer (a gate answered meanwhile elsewhere)", async () => {
    const id = await startRun(viewer, "release", { version: "5.0.0" });
    await runReaches(viewer, id, "waiting");
    const { page, watched } = await open(`#/runs/${id}`);
    const gate = page.getByTestId("gate");
    await gate.waitFor({ timeout: PATIENCE });
    // The page loses its connection (its stream and reads fail; its answer still goes out)…
    await page.route("**/v1/**", (route) =>
      route.request().method() === "GET" ? route.abort() : route.continue(),
    );
    // …while someone else answers the gate.
    const answered = await api(viewer.url, "POST", `/v1/runs/${id}/signal`, { approve: false });
    expect(answered.status).toBe(200);
    await runReaches(viewer, id, "failed");
    await gate.getByTestId("approve").click();
    await expect
      .poll(() => gate.getByTestId("gate-error").textContent(), { timeout: PATIENCE })
      .toContain("not waiting");
    await expect(gate.getByTestId("approve").isEnabled()).resolves.toBe(true);
    await page.getByTestId("offline").waitFor({ timeout: PATIENCE });
    // Back online: the page catches up (the run went to FAILED), the gate is gone.
    await page.unroute("**/v1/**");
    await node(page, "FAILED", "failed").waitFor({ timeout: PATIENCE });
    await expect.poll(() => page.getByTestId("gate").count(), { timeout: PATIENCE }).toBe(0);
    await expect(page.getByTestId("offline").isHidden()).resolves.toBe(true);
    expect(watched.problems).toEqual([]);
  });

  it("shows a state running, and cancels the run from its page", async () => {
    const id = await startRun(viewer, "slow", {});
    await runReaches(viewer, id, "running");
    const { page, watched } = await open(`#/runs/${id}`);
    await node(page, "WORK", "running").waitFor({ timeout: PATIENCE });
    await expect(node(page, "WORK").textContent()).resolves.toContain("running");
    const cancel = page.getByTestId("cancel");
    await cancel.click();
    // Asked first: nothing is cancelled by one click.
    await expect(cancel.textContent()).resolves.toContain("Really");
    expect((await getRun(viewer, id)).record.status).toBe("running");
    await cancel.click();
    await expect
      .poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: PATIENCE })
      .toBe("cancelled");
    await node(page, "WORK", "cancelled").waitFor({ timeout: PATIENCE });
    await expect(page.getByTestId("cancel").count()).resolves.toBe(0);
    expect((await getRun(viewer, id)).record.status).toBe("cancelled");
    expect(watched.problems).toEqual([]);
  });

  it("pages through older runs (#/runs?limit=N)", async () => {
    const { page, watched } = await open("#/runs?limit=2");
    await expect.poll(() => page.locator("tr[data-run]").count(), { timeout: PATIENCE }).toBe(2);
    const listed = await api(viewer.url, "GET", "/v1/runs?limit=1000");
    const all = (listed.json.runs as { id: string }[]).map((r) => r.id);
    expect(all.length).toBeGreaterThan(4);
    await page.getByTestId("more").click();
    await expect.poll(() => page.locator("tr[data-run]").count(), { timeout: PATIENCE }).toBe(4);
    const shown = await page
      .locator("tr[data-run]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")));
    expect(shown).toEqual(all.slice(0, 4));
    expect(watched.problems).toEqual([]);
  });

  it("renders a hostile gate prompt inert: no markup, no script, no javascript: links", async () => {
    const hostile =
      '<img src=x onerror="alert(1)"> <script>alert(2)</script> [click](javascript:alert(3)) [ok](https://example.com/ok)';
    const id = await startRun(viewer, "review", { topic: hostile });
    await runReaches(viewer, id, "waiting");
    const { page, watched } = await open(`#/runs/${id}`);
    const prompt = page.getByTestId("gate-prompt");
    await prompt.waitFor({ timeout: PATIENCE });
    // The markup is shown as text; Markdown still renders (bold, an http link).
    await expect(prompt.textContent()).resolves.toContain('<img src=x onerror="alert(1)">');
    await expect(prompt.textContent()).resolves.toContain("<script>");
    await expect(prompt.locator("img, script, iframe, [onerror]")).toHaveCount(0);
    await expect(prompt.locator('a[href^="javascript"]')).toHaveCount(0);
    await expect(prompt.locator("strong")).toHaveCount(1);
    await expect(
      prompt.locator('a[href="https://example.com/ok"]').getAttribute("rel"),
    ).resolves.toContain("noopener");
    // The inputs shown on the page are text too.
    await page.locator("details.inputs summary").click();
    await expect(page.locator("details.inputs pre").textContent()).resolves.toContain("<img");
    expect(await page.evaluate("document.querySelectorAll('main img, main script').length")).toBe(
      0,
    );
    expect(watched.problems).toEqual([]);
  });
});

// Playwright's own expect is not in playwright-core: locator counts are polled here.
declare module "vitest" {
  interface Assertion<T> {
    toHaveCount(count: number): Promise<void>;
  }
}
expect.extend({
  async toHaveCount(received: { count(): Promise<number> }, count: number) {
    const deadline = Date.now() + PATIENCE;
    let seen = await received.count();
    while (seen !== count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      seen = await received.count();
    }
    return {
      pass: seen === count,
      message: () => `expected ${count} elements, found ${seen}`,
    };
  },
});
