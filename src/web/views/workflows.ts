// The deployed workflows, and one workflow's page: its versions, the graph of the one shown,
// what the checker proves of it (worst case, each state's most visits), and a form made
// from its input schema that starts a run and opens it.
import { ApiError, api, type Figures, type WorkflowSummary } from "../api.ts";
import { duration, h, replace, short, time } from "../dom.ts";
import { schemaForm } from "../form.ts";
import { drawGraph, layout } from "../graph.ts";
import type { ViewContext } from "../main.ts";
import { href, type Route } from "../router.ts";

export async function workflowsView(main: HTMLElement, _route: Route, ctx: ViewContext) {
  const { workflows } = await api.workflows(ctx.signal);
  const items = workflows
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((w: WorkflowSummary) =>
      h(
        "li",
        { class: "card workflow", "data-workflow": w.name },
        h("h2", {}, h("a", { href: href("workflows", w.name) }, w.name)),
        w.title ? h("p", { class: "title" }, w.title) : null,
        w.description ? h("p", {}, w.description) : null,
        h(
          "dl",
          { class: "facts" },
          h(
            "div",
            {},
            h("dt", {}, "Current version"),
            h(
              "dd",
              {},
              h("code", { title: w.version }, short(w.version)),
              w.declaredVersion ? ` (${w.declaredVersion})` : "",
            ),
          ),
          h("div", {}, h("dt", {}, "Deployed"), h("dd", {}, time(w.deployedAt))),
          h("div", {}, h("dt", {}, "Versions"), h("dd", {}, String(w.versions))),
          h(
            "div",
            {},
            h("dt", {}, "Inputs"),
            h(
              "dd",
              {},
              Object.keys((w.inputSchema.properties as object | undefined) ?? {}).join(", ") ||
                "none",
            ),
          ),
        ),
        h("div", { class: "thumb", "data-graph": w.name }),
        h(
          "p",
          { class: "actions" },
          h(
            "a",
            { href: href("workflows", w.name), class: "button primary" },
            `Start or inspect ${w.name}`,
          ),
          h(
            "a",
            { href: href("runs", { workflow: w.name }), class: "button" },
            `Runs of ${w.name}`,
          ),
        ),
      ),
    );
  replace(
    main,
    h(
      "section",
      { "aria-labelledby": "workflows-title" },
      h("h1", { id: "workflows-title" }, "Workflows"),
      items.length > 0
        ? h("ul", { class: "workflows", "data-testid": "workflows" }, ...items)
        : h(
            "p",
            { class: "card" },
            "Nothing is deployed yet: ",
            h("code", {}, "aegis deploy FILE.aegis"),
            " deploys a workflow to this server.",
          ),
    ),
  );
  thumbnails(main, workflows, ctx);
}

/** Each card's graph, drawn as its document arrives (one that does not is left out). */
function thumbnails(main: HTMLElement, workflows: WorkflowSummary[], ctx: ViewContext): void {
  for (const w of workflows) {
    api
      .version(w.name, w.version, ctx.signal)
      .then((doc) => {
        const slot = [...main.querySelectorAll<HTMLElement>("[data-graph]")].find(
          (el) => el.dataset.graph === w.name,
        );
        slot?.append(drawGraph(doc, layout(doc), undefined, `Graph of ${w.name}`));
      })
      .catch(() => {});
  }
}

export async function workflowView(main: HTMLElement, route: Route, ctx: ViewContext) {
  const name = route.path[1]!;
  const detail = await api.workflow(name, ctx.signal);
  const version = route.query.get("version") ?? detail.current;
  const [doc, figures] = await Promise.all([
    api.version(name, version, ctx.signal),
    api.figures(name, version, ctx.signal).catch((error: unknown) => {
      if (error instanceof ApiError && error.unauthorized) throw error;
      return undefined;
    }),
  ]);
  const attrs = doc.graph.attributes;
  const isCurrent = version === detail.current;

  const versions = h(
    "table",
    { class: "versions", "data-testid": "versions" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Version", "Declared", "Deployed", "Runs", ""].map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      ...detail.versions.map((v) =>
        h(
          "tr",
          { "data-version": v.version, ...(v.version === version && { class: "selected" }) },
          h(
            "td",
            { "data-label": "Version" },
            v.version === version
              ? h(
                  "strong",
                  { "aria-current": "true" },
                  h("code", { title: v.version }, short(v.version)),
                )
              : h(
                  "a",
                  { href: href("workflows", name, { version: v.version }) },
                  h("code", { title: v.version }, short(v.version)),
                ),
          ),
          h("td", { "data-label": "Declared" }, v.declaredVersion ?? "—"),
          h("td", { "data-label": "Deployed" }, time(v.deployedAt)),
          h("td", { "data-label": "Runs" }, String(v.runs)),
          h("td", { "data-label": "" }, v.current ? h("span", { class: "pill" }, "current") : ""),
        ),
      ),
    ),
  );

  const form = schemaForm((attrs.inputSchema ?? {}) as Record<string, unknown>, "start");
  const formError = h("p", { class: "form-error", role: "alert", "data-testid": "start-error" });
  const submit = h(
    "button",
    { type: "submit", class: "primary", "data-testid": "start" },
    "Start run",
  );
  const startForm = h(
    "form",
    {
      class: "start-form",
      novalidate: true,
      "aria-labelledby": "start-title",
      "data-testid": "start-form",
    },
    ...(form.fields.length > 0
      ? form.fields
      : [h("p", { class: "muted" }, "This workflow takes no inputs.")]),
    h("div", { class: "actions" }, submit),
    formError,
  );
  startForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.textContent = "";
    const inputs = form.values();
    if (!inputs) {
      formError.textContent = "Some inputs need fixing (see above).";
      return;
    }
    submit.disabled = true;
    try {
      const run = await api.start({ workflow: name, ...(!isCurrent && { version }), inputs });
      location.hash = href("runs", run.id);
    } catch (error) {
      submit.disabled = false;
      if (error instanceof ApiError && error.unauthorized) return ctx.fail(error);
      if (error instanceof ApiError) {
        if (error.errors) form.showErrors(error.errors);
        formError.textContent = `${error.title}${error.detail ? `: ${error.detail}` : ""}`;
      } else formError.textContent = String(error);
    }
  });

  replace(
    main,
    h(
      "article",
      { class: "workflow-page", "aria-labelledby": "workflow-title", "data-workflow": name },
      h(
        "div",
        { class: "title-row" },
        h("h1", { id: "workflow-title" }, name),
        h("a", { href: href("runs", { workflow: name }), class: "button" }, "Its runs"),
      ),
      attrs.title ? h("p", { class: "title" }, attrs.title) : null,
      attrs.description ? h("p", {}, attrs.description) : null,
      h(
        "div",
        { class: "run-grid" },
        h(
          "section",
          { class: "run-graph", "aria-labelledby": "wgraph-title" },
          h("h2", { id: "wgraph-title" }, "Graph of version ", h("code", {}, short(version))),
          h(
            "figure",
            { class: "graph-wrap card" },
            drawGraph(doc, layout(doc), undefined, `Graph of ${name}`),
          ),
        ),
        h(
          "div",
          { class: "run-side" },
          h(
            "section",
            { class: "card", "aria-labelledby": "start-title" },
            h(
              "h2",
              { id: "start-title" },
              isCurrent ? "Start a run" : `Start a run of version ${short(version)}`,
            ),
            startForm,
          ),
          h(
            "section",
            { "aria-labelledby": "figures-title" },
            h("h2", { id: "figures-title" }, "What the checker proves"),
            figures ? figuresBlock(figures) : h("p", { class: "muted" }, "Not available."),
          ),
          h(
            "section",
            { "aria-labelledby": "versions-title" },
            h("h2", { id: "versions-title" }, "Versions"),
            h("div", { class: "table-wrap" }, versions),
          ),
        ),
      ),
    ),
  );
}

function figuresBlock(f: Figures): HTMLElement {
  const visits = Object.entries(f.visits);
  return h(
    "div",
    { "data-testid": "figures" },
    h(
      "dl",
      { class: "facts" },
      h("div", {}, h("dt", {}, "States"), h("dd", {}, String(f.states))),
      h(
        "div",
        {},
        h("dt", {}, "Worst case: agent calls"),
        h(
          "dd",
          {},
          f.worstCase.agentCalls !== undefined ? String(f.worstCase.agentCalls) : "unbounded",
        ),
      ),
      h(
        "div",
        {},
        h("dt", {}, "Worst case: wall time"),
        h(
          "dd",
          {},
          f.worstCase.wallTimeMs !== undefined ? duration(f.worstCase.wallTimeMs) : "unbounded",
        ),
      ),
    ),
    f.worstCase.reasons.length > 0
      ? h("ul", { class: "reasons" }, ...f.worstCase.reasons.map((r) => h("li", {}, r)))
      : null,
    visits.length > 0
      ? h(
          "table",
          { class: "visits" },
          h("caption", {}, "Most visits of each state in one run"),
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Visits")),
          ),
          h(
            "tbody",
            {},
            ...visits.map(([state, n]) =>
              h("tr", {}, h("td", {}, state), h("td", {}, n === null ? "unbounded" : String(n))),
            ),
          ),
        )
      : null,
  );
}
