// The runs list: every run, newest first, filtered by workflow and status (the route's
// query), kept current by the server's stream of run changes (GET /v1/events): a run that
// starts, moves, waits or finishes is merged in by its id, without reading the list again
// (except after a reconnect, when changes may have been missed).
import { type ApiError, api, follow, type RunSummary } from "../api.ts";
import { age, announce, h, replace, short } from "../dom.ts";
import type { ViewContext } from "../main.ts";
import { href, type Route } from "../router.ts";
import { callerText, RUN_STATUSES, statusBadge } from "./common.ts";

export function runsView(main: HTMLElement, route: Route, ctx: ViewContext): void {
  const workflow = route.query.get("workflow") ?? "";
  const status = route.query.get("status") ?? "";
  // Runs read at a time (#/runs?limit=N; default 50).
  const asked = Number(route.query.get("limit"));
  const PAGE = String(Number.isInteger(asked) && asked >= 1 && asked <= 1000 ? asked : 50);
  const runs = new Map<string, RunSummary>();
  let loaded = false;

  const workflowSelect = h(
    "select",
    { id: "filter-workflow", name: "workflow", "data-testid": "filter-workflow" },
    h("option", { value: "" }, "All workflows"),
    workflow ? h("option", { value: workflow, selected: true }, workflow) : null,
  );
  const statusSelect = h(
    "select",
    { id: "filter-status", name: "status", "data-testid": "filter-status" },
    h("option", { value: "" }, "Any status"),
    ...RUN_STATUSES.map((s) => h("option", { value: s, selected: s === status }, s)),
  );
  const apply = () => {
    location.hash = href("runs", {
      workflow: workflowSelect.value || undefined,
      status: statusSelect.value || undefined,
      limit: route.query.get("limit") ?? undefined,
    });
  };
  workflowSelect.addEventListener("change", apply);
  statusSelect.addEventListener("change", apply);
  const live = h("span", { class: "live", "data-testid": "live" }, "connecting…");
  const tbody = h("tbody", {});
  let next: string | undefined;
  const more = h(
    "button",
    { type: "button", class: "more", hidden: true, "data-testid": "more" },
    "Show older runs",
  );
  more.addEventListener("click", async () => {
    if (!next) return;
    more.disabled = true;
    try {
      const page = await api.runs(
        { workflow: workflow || undefined, status: status || undefined, limit: PAGE, before: next },
        ctx.signal,
      );
      for (const run of page.runs) if (!runs.has(run.id) && matches(run)) runs.set(run.id, run);
      next = page.next;
      more.hidden = next === undefined;
      draw();
    } catch (error) {
      ctx.fail(error);
    } finally {
      more.disabled = false;
    }
  });
  const table = h(
    "table",
    { class: "runs", "data-testid": "runs-table" },
    h("caption", { class: "visually-hidden" }, "Runs, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Run", "Workflow", "Version", "Status", "State", "Started by", "Started"].map((t) =>
          h("th", { scope: "col" }, t),
        ),
      ),
    ),
    tbody,
  );
  replace(
    main,
    h(
      "section",
      { "aria-labelledby": "runs-title" },
      h("div", { class: "title-row" }, h("h1", { id: "runs-title" }, "Runs"), live),
      h(
        "form",
        {
          class: "filters",
          role: "search",
          "aria-label": "Filter runs",
          onsubmit: (e: Event) => {
            e.preventDefault();
            apply();
          },
        },
        h(
          "div",
          { class: "field" },
          h("label", { for: "filter-workflow" }, "Workflow"),
          workflowSelect,
        ),
        h("div", { class: "field" }, h("label", { for: "filter-status" }, "Status"), statusSelect),
      ),
      h("div", { class: "table-wrap" }, table),
      more,
    ),
  );

  const cell = (label: string, ...children: (Node | string)[]) =>
    h("td", { "data-label": label }, ...children);
  const row = (run: RunSummary) =>
    h(
      "tr",
      { "data-run": run.id, "data-status": run.status },
      cell(
        "Run",
        h("a", { href: href("runs", run.id), class: "run-link" }, run.id),
        ...(run.parent
          ? [
              h(
                "span",
                { class: "muted parent" },
                " ↳ from ",
                h("a", { href: href("runs", run.parent.run) }, run.parent.run),
                ` (${run.parent.state})`,
              ),
            ]
          : []),
      ),
      cell("Workflow", run.workflow),
      cell("Version", h("code", { title: run.version }, short(run.version))),
      cell("Status", statusBadge(run.status)),
      cell("State", run.waitingAt ?? run.current ?? "—"),
      cell("Started by", callerText(run.caller)),
      cell(
        "Started",
        h(
          "time",
          { datetime: run.startedAt, title: new Date(run.startedAt).toLocaleString() },
          age(run.startedAt),
        ),
      ),
    );
  const draw = () => {
    if (!loaded) {
      replace(tbody, h("tr", {}, h("td", { colspan: 7 }, "Loading…")));
      return;
    }
    const list = [...runs.values()].sort(
      (a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id),
    );
    if (list.length === 0) {
      replace(
        tbody,
        h(
          "tr",
          { class: "empty" },
          h(
            "td",
            { colspan: 7 },
            workflow || status ? "No runs match these filters. " : "No runs yet. ",
            h("a", { href: "#/workflows" }, "Start one from a workflow"),
            ".",
          ),
        ),
      );
      return;
    }
    replace(tbody, ...list.map(row));
  };
  draw();

  const matches = (run: RunSummary) =>
    (!workflow || run.workflow === workflow) && (!status || run.status === status);
  const merge = (run: RunSummary) => {
    const known = runs.get(run.id);
    if (known && known.updatedAt > run.updatedAt) return;
    if (!matches(run)) {
      if (known) runs.delete(run.id);
      return;
    }
    runs.set(run.id, run);
    if (loaded && known && known.status !== run.status)
      announce(`Run ${run.id} is ${run.status}${run.waitingAt ? ` at ${run.waitingAt}` : ""}`);
    else if (loaded && !known) announce(`Run ${run.id} started`);
  };

  const load = async () => {
    const list = await api.runs(
      { workflow: workflow || undefined, status: status || undefined, limit: PAGE },
      ctx.signal,
    );
    // Older pages already shown stay; `next` is where the first page ends until one is shown.
    if (next === undefined || runs.size === 0) next = list.next;
    more.hidden = next === undefined;
    const fresh = new Map(list.runs.map((r) => [r.id, r]));
    for (const [id, run] of runs) {
      const listed = fresh.get(id);
      if (!listed || listed.updatedAt < run.updatedAt) fresh.set(id, run);
    }
    runs.clear();
    for (const [id, run] of fresh) if (matches(run)) runs.set(id, run);
    loaded = true;
    live.textContent = "● live";
    live.dataset.state = "live";
    draw();
  };

  // The workflows for the filter.
  api
    .workflows(ctx.signal)
    .then(({ workflows }) => {
      for (const w of workflows) {
        if (w.name === workflow) continue;
        workflowSelect.append(h("option", { value: w.name }, w.name));
      }
    })
    .catch(() => {});

  // The stream first, then the list: nothing that changes in between is lost.
  void follow(
    () => api.changesPath(workflow || undefined),
    (event) => {
      if (event.event !== "run") return;
      try {
        merge(JSON.parse(event.data) as RunSummary);
      } catch {
        return;
      }
      if (loaded) draw();
    },
    {
      signal: ctx.signal,
      opened: () => {
        live.textContent = "● live";
        live.dataset.state = "live";
        const attempt = (pause: number) =>
          load().catch((error: unknown) => {
            if (!loaded || (error as ApiError)?.unauthorized) return ctx.fail(error);
            if (ctx.signal.aborted) return;
            // Read again later; the stream's changes are merged meanwhile.
            live.textContent = "behind, retrying…";
            live.dataset.state = "down";
            setTimeout(() => void attempt(Math.min(pause * 2, 10_000)), pause);
          });
        void attempt(500);
      },
      onError: (error) => {
        live.dataset.state = "down";
        if ((error as ApiError)?.status === 404) {
          // A server without the changes' stream: the list, read once.
          live.textContent = "not live (reload to update)";
          if (!loaded) load().catch(ctx.fail);
          return;
        }
        live.textContent = "reconnecting…";
        if (!loaded) ctx.fail(error);
      },
    },
  );

  const ticker = setInterval(() => {
    for (const el of tbody.querySelectorAll<HTMLTimeElement>("time[datetime]"))
      el.textContent = age(el.dateTime);
  }, 15_000);
  ctx.signal.addEventListener("abort", () => clearInterval(ticker));
}
