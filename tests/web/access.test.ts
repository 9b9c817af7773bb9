// The web viewer for everyone who may use it: behind tokens (the page asks for one, and
// answers gates as its user — who may not is told so), with the keyboard alone, on a
// phone-width screen, and with no serious accessibility violations (axe-core).
import { createHash } from "node:crypto";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  axeViolations,
  getRun,
  graphNode,
  launchWithViewer,
  openPage,
  overflow,
  PATIENCE,
  runReaches,
  screenshotPath,
  startRun,
  startViewer,
  type Viewer,
} from "./helpers.ts";

const hash = (t: string) => createHash("sha256").update(t).digest("hex");
const config = {
  tokens: [
    { user: "alice", roles: ["release"], sha256: hash("alice-token") },
    { user: "bob", roles: [], sha256: hash("bob-token") },
  ],
  gates: { release: { roles: ["release"] }, "*": { users: ["alice"] } },
};

let browser: Browser;
let viewer: Viewer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await launchWithViewer(
    () => startViewer({ config, token: "alice-token" }),
    (b, v) => {
      if (b) browser = b;
      if (v) viewer = v;
    },
  );
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await viewer?.close();
});

/** A page (signed in as `options.token`'s user, kept for its tab). */
const open = (hash: string, options: { token?: string; width?: number } = {}) =>
  openPage(browser, contexts, viewer, hash, options);
const node = graphNode;

describe("the web viewer's access", () => {
  it("asks for a token, says when it is refused, and then shows the runs", async () => {
    const id = await startRun(viewer, "release", { version: "3.0.0" });
    const { page, watched } = await open("#/runs");
    const form = page.getByTestId("token-form");
    await form.waitFor({ timeout: PATIENCE });
    expect(await axeViolations(page)).toEqual([]);
    await page.getByTestId("token-input").fill("not-a-token");
    await page.getByTestId("token-input").press("Enter");
    await expect
      .poll(() => form.textContent(), { timeout: PATIENCE })
      .toContain("refused the token");
    await page.getByTestId("token-input").fill("bob-token");
    await page.getByRole("button", { name: "Use token" }).click();
    await page.locator(`tr[data-run="${id}"]`).waitFor({ timeout: PATIENCE });
    expect(await page.evaluate("sessionStorage.getItem('aegis-token')")).toBe("bob-token");
    expect(watched.problems).toEqual([]);
  });

  it("tells who may answer a gate; one who may not is told so and has no buttons to press", async () => {
    const id = await startRun(viewer, "release", { version: "3.1.0" });
    await runReaches(viewer, id, "waiting");
    const { page, watched } = await open(`#/runs/${id}`, { token: "bob-token" });
    const gate = page.getByTestId("gate");
    await gate.waitFor({ timeout: PATIENCE });
    await expect(gate.getByTestId("gate-who").textContent()).resolves.toContain("release");
    await expect(gate.getByTestId("gate-forbidden").isVisible()).resolves.toBe(true);
    await expect(gate.getByTestId("approve").isDisabled()).resolves.toBe(true);
    await expect(gate.getByTestId("reject").isDisabled()).resolves.toBe(true);
    // The review workflow's gates (the rule for every other workflow): alice, by name.
    const other = await startRun(viewer, "review", { topic: "who" });
    await runReaches(viewer, other, "waiting");
    await page.goto(`${viewer.url}/ui/#/runs/${other}`);
    await gate.getByTestId("gate-who").filter({ hasText: "alice" }).waitFor({ timeout: PATIENCE });
    await expect(gate.getByTestId("approve").isDisabled()).resolves.toBe(true);
    expect(watched.problems).toEqual([]);
  });

  it("approves a gate with the keyboard alone (Tab to Approve, Enter)", async () => {
    const id = await startRun(viewer, "release", { version: "3.2.0" });
    await runReaches(viewer, id, "waiting");
    const { page, watched } = await open(`#/runs/${id}`, { token: "alice-token" });
    await node(page, "APPROVE", "waiting").waitFor({ timeout: PATIENCE });
    await page.getByTestId("gate").waitFor({ timeout: PATIENCE });
    const focused = () =>
      page.evaluate("document.activeElement && document.activeElement.dataset.testid");
    let presses = 0;
    while ((await focused()) !== "approve" && presses < 100) {
      await page.keyboard.press("Tab");
      presses++;
    }
    expect(await focused()).toBe("approve");
    // The focused button shows it (a visible outline).
    const outline = await page.evaluate(
      "getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth",
    );
    expect(outline).not.toMatch(/^none|0px$/);
    await page.keyboard.press("Enter");
    await node(page, "DONE", "done").waitFor({ timeout: PATIENCE });
    await runReaches(viewer, id, "succeeded");
    expect((await getRun(viewer, id)).record.results.APPROVE).toMatchObject({
      approved: true,
      approver: "alice",
    });
    expect(watched.problems).toEqual([]);
  });

  it("fits a phone-width screen (375 px): nothing sticks out sideways, the run's page stacks", async () => {
    const id = await startRun(viewer, "review", {
      topic: "a-very-long-topic-name-without-any-spaces-at-all-to-see-it-wrap-on-a-phone",
    });
    await runReaches(viewer, id, "waiting");
    const pages: [string, string][] = [
      ["#/runs", "tr[data-run]"],
      [`#/runs/${id}`, 'svg.graph g[data-state="REVIEW"][data-status="waiting"]'],
      ["#/workflows", "[data-workflow]"],
      ["#/workflows/review", '[data-testid="start-form"]'],
    ];
    for (const [hash, ready] of pages) {
      const { page, watched } = await open(hash, { token: "alice-token", width: 375 });
      await page.locator(ready).first().waitFor({ timeout: PATIENCE });
      const { scroll, client } = await overflow(page);
      expect(`${hash}: ${scroll} wide in ${client}`).toBe(`${hash}: ${client} wide in ${client}`);
      if (hash === `#/runs/${id}`) {
        const graph = await page.getByTestId("graph-slot").boundingBox();
        const history = await page.getByTestId("history").boundingBox();
        expect(history!.y).toBeGreaterThan(graph!.y + graph!.height - 1);
        expect(graph!.width).toBeLessThanOrEqual(375);
        await page.screenshot({ path: screenshotPath("run-phone.png"), fullPage: true });
      }
      expect(watched.problems).toEqual([]);
    }
  });

  it("has no serious or critical accessibility violations (axe-core) on its pages", async () => {
    const waiting = await startRun(viewer, "review", { topic: "accessibility" });
    await runReaches(viewer, waiting, "waiting");
    const pages: [string, string][] = [
      ["#/runs", "tr[data-run]"],
      [`#/runs/${waiting}`, '[data-testid="gate"]'],
      ["#/workflows", "[data-workflow]"],
      ["#/workflows/review", '[data-testid="start-form"]'],
    ];
    const found: string[] = [];
    for (const [hash, ready] of pages) {
      const { page, watched } = await open(hash, { token: "alice-token" });
      await page.locator(ready).first().waitFor({ timeout: PATIENCE });
      if (hash.startsWith("#/runs/")) {
        // With a state's details open, and the form's messages shown.
        await page.locator("details.state summary").first().click();
      }
      if (hash === "#/workflows/review") await page.getByTestId("start").click();
      for (const v of await axeViolations(page)) found.push(`${hash}: ${v}`);
      expect(watched.problems).toEqual([]);
    }
    expect(found).toEqual([]);
  });
});
