// A run's page: its graph coloured by what happened to each state, the gate it waits at,
// its history with times and durations, each state's prompt, output, stderr, score, cost
// and tokens, the feedback carried along, and its log — all following the run live (its
// event stream; the run is read again after each burst of events).
import {
  type ApiError,
  api,
  follow,
  type GraphDocument,
  type HistoryEntry,
  type RunDetail,
  type RunObservation,
  type RunRecord,
  type StateResult,
} from "../api.ts";
import { announce, duration, h, replace, short, show, time } from "../dom.ts";
import { gatePanel } from "../gate.ts";
import { drawGraph, type Layout, layout, overlayOf, STATUS_TEXT } from "../graph.ts";
import type { ViewContext } from "../main.ts";
import { href, type Route } from "../router.ts";
import { callerText, statusBadge } from "./common.ts";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const LOG_LIMIT = 2000;

export async function runView(main: HTMLElement, route: Route, ctx: ViewContext): Promise<void> {
  const id = route.path[1]!;
  let detail = await api.run(id, ctx.signal);
  let doc: GraphDocument | undefined;
  let laid: Layout | undefined;
  try {
    doc = await api.runGraph(id, ctx.signal);
    laid = layout(doc);
  } catch (error) {
    if ((error as ApiError)?.unauthorized) throw error;
    doc = undefined; // the run is shown without its picture
  }

  const header = h("div", { class: "run-header" });
  const offline = h(
    "p",
    { class: "note", role: "status", hidden: true, "data-testid": "offline" },
    "The server cannot be read just now: this page may be behind. Trying again…",
  );
  const gateSlot = h("div", { "data-testid": "gate-slot" });
  const graphSlot = h("figure", { class: "graph-wrap card", "data-testid": "graph-slot" });
  const resultSlot = h("div", {});
  const historyBody = h("tbody", {});
  const statesSlot = h("div", { class: "states" });
  const logList = h("ol", { class: "log-list", "data-testid": "log" });
  const logBox = h(
    "div",
    { class: "log", role: "log", "aria-label": "The run's log", tabindex: 0, "aria-live": "off" },
    logList,
  );
  const stateItems: StateItems = new Map();

  replace(
    main,
    h(
      "article",
      { class: "run", "aria-labelledby": "run-title", "data-testid": "run", "data-run": id },
      header,
      offline,
      gateSlot,
      resultSlot,
      h(
        "div",
        { class: "run-grid" },
        h(
          "section",
          { class: "run-graph", "aria-labelledby": "graph-title" },
          h("h2", { id: "graph-title" }, "Graph"),
          graphSlot,
          legend(),
        ),
        h(
          "div",
          { class: "run-side" },
          h(
            "section",
            { "aria-labelledby": "history-title" },
            h("h2", { id: "history-title" }, "History"),
            h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { class: "history", "data-testid": "history" },
                h(
                  "thead",
                  {},
                  h(
                    "tr",
                    {},
                    ...["Time", "State", "What", "Took"].map((t) => h("th", { scope: "col" }, t)),
                  ),
                ),
                historyBody,
              ),
            ),
          ),
          h(
            "section",
            { "aria-labelledby": "states-title" },
            h("h2", { id: "states-title" }, "States"),
            statesSlot,
          ),
          h(
            "section",
            { "aria-labelledby": "log-title" },
            h("h2", { id: "log-title" }, "Log"),
            logBox,
          ),
        ),
      ),
    ),
  );

  const headerParts = makeHeader(header, id, ctx);
  let gateKey = "";
  let lastStatus = "";
  const draw = () => {
    const { run, record } = detail;
    drawHeader(headerParts, detail);
    const key = detail.gate
      ? `${detail.gate.state}|${detail.gate.since}|${detail.gate.mayAnswer}`
      : "";
    if (key !== gateKey) {
      gateKey = key;
      replace(
        gateSlot,
        detail.gate
          ? gatePanel(id, detail.gate, { answered: () => refresh(), unauthorized: ctx.fail })
          : null,
      );
    }
    if (doc && laid) {
      replace(
        graphSlot,
        drawGraph(doc, laid, overlayOf(doc, record), `Graph of run ${id} (${run.workflow})`),
      );
    } else replace(graphSlot, h("p", {}, "The workflow's graph is not available."));
    drawResult(resultSlot, record);
    drawHistory(historyBody, record);
    drawStates(statesSlot, doc, record, stateItems);
    if (lastStatus && lastStatus !== record.status)
      announce(
        `Run ${id} is ${record.status}${record.waiting ? ` at ${record.waiting.state}` : ""}`,
      );
    lastStatus = record.status;
  };
  draw();

  let refreshing: Promise<void> | undefined;
  let again = false;
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        do {
          again = false;
          detail = await api.run(id, ctx.signal);
          draw();
        } while (again && !ctx.signal.aborted);
        failures = 0;
        offline.hidden = true;
      } catch (error) {
        if ((error as ApiError)?.unauthorized) ctx.fail(error);
        else if (!ctx.signal.aborted) {
          // The server could not be read: try again (ever less often), and say so.
          failures++;
          offline.hidden = false;
          clearTimeout(retry);
          retry = setTimeout(() => void refresh(), Math.min(500 * 2 ** failures, 10_000));
        }
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  };
  let failures = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  ctx.signal.addEventListener("abort", () => clearTimeout(retry));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh(), 150);
  };

  let lastId: string | undefined;
  let finished = FINISHED.has(detail.record.status);
  const follow$ = follow(
    () => api.runEventsPath(id),
    (event) => {
      if (event.id) lastId = event.id;
      let observation: RunObservation;
      try {
        observation = JSON.parse(event.data) as RunObservation;
      } catch {
        return;
      }
      appendLog(logList, logBox, Number(event.id), observation);
      if (observation.type === "run-finished" && observation.run === id) finished = true;
      soon();
    },
    {
      signal: ctx.signal,
      lastEventId: () => lastId,
      done: () => finished,
      reconnected: () => refresh(),
    },
  );
  void follow$.then(() => {
    if (!ctx.signal.aborted) void refresh();
  });
  ctx.signal.addEventListener("abort", () => clearTimeout(timer));
}

function legend(): HTMLElement {
  return h(
    "ul",
    { class: "legend", "aria-label": "What the colours say" },
    ...(Object.keys(STATUS_TEXT) as (keyof typeof STATUS_TEXT)[]).map((k) =>
      h(
        "li",
        { class: `status-${k}` },
        h("span", { class: "swatch", "aria-hidden": "true" }),
        STATUS_TEXT[k],
      ),
    ),
  );
}

/**
 * The run's header: its title and Cancel button made once (a redraw keeps the button's
 * focus and its "really?" step), its status and facts redrawn.
 */
function makeHeader(header: HTMLElement, id: string, ctx: ViewContext) {
  const badge = h("span", {});
  const cancel = h(
    "button",
    {
      type: "button",
      class: "danger subtle",
      "data-testid": "cancel",
      onclick: async (event: Event) => {
        const button = event.currentTarget as HTMLButtonElement;
        if (button.dataset.confirm !== "yes") {
          button.dataset.confirm = "yes";
          button.textContent = "Really cancel the run?";
          return;
        }
        button.disabled = true;
        try {
          await api.cancel(id, "cancelled in the web viewer");
        } catch (error) {
          if ((error as ApiError)?.unauthorized) return ctx.fail(error);
          button.disabled = false;
          button.textContent = `Not cancelled: ${(error as Error).message}`;
        }
      },
    },
    "Cancel run",
  );
  const facts = h("div", {});
  const inputs = h("div", {});
  replace(
    header,
    h(
      "div",
      { class: "title-row" },
      h("h1", { id: "run-title" }, "Run ", h("span", { class: "mono" }, id)),
      badge,
      cancel,
    ),
    facts,
    inputs,
  );
  return { badge, cancel, facts, inputs };
}

function drawHeader(parts: ReturnType<typeof makeHeader>, detail: RunDetail): void {
  const { run, record, meta } = detail;
  const end = FINISHED.has(record.status) ? Date.parse(record.updatedAt) : Date.now();
  replace(parts.badge, statusBadge(record.status, "run-status"));
  if (FINISHED.has(record.status)) parts.cancel.remove();
  replace(
    parts.facts,
    h(
      "dl",
      { class: "facts" },
      fact(
        "Workflow",
        h("a", { href: href("workflows", run.workflow, { version: run.version }) }, run.workflow),
      ),
      fact("Version", h("code", { title: run.version }, short(run.version))),
      fact("State", record.waiting?.state ?? record.current ?? "—"),
      fact("Started by", callerText(meta.caller ?? run.caller)),
      fact("Started", time(record.startedAt)),
      fact("Duration", duration(end - Date.parse(record.startedAt))),
      fact("Transitions", String(record.transitions)),
      fact("Agent calls", String(record.agentCalls)),
      fact("Cost", record.costUsd ? `$${record.costUsd.toFixed(4)}` : "—"),
      meta.parent
        ? fact("Parent", h("a", { href: href("runs", meta.parent.run) }, meta.parent.run))
        : null,
    ),
  );
  // The inputs never change: drawn once (an open <details> stays open).
  if (!parts.inputs.firstChild && Object.keys(record.inputs ?? {}).length > 0)
    replace(
      parts.inputs,
      h(
        "details",
        { class: "inputs" },
        h("summary", {}, "Inputs"),
        h("pre", {}, show(record.inputs)),
      ),
    );
}

function fact(term: string, ...value: (Node | string)[]): HTMLElement {
  return h("div", {}, h("dt", {}, term), h("dd", {}, ...value));
}

function drawResult(slot: HTMLElement, record: RunRecord): void {
  if (record.error) {
    replace(
      slot,
      h(
        "section",
        { class: "card error", "aria-labelledby": "error-title", "data-testid": "run-error" },
        h("h2", { id: "error-title" }, "Why it stopped"),
        h(
          "p",
          {},
          h("code", {}, record.error.code),
          record.error.state ? ` at ${record.error.state}: ` : ": ",
          record.error.message,
        ),
      ),
    );
  } else if (
    record.status === "succeeded" &&
    record.output !== undefined &&
    record.output !== null &&
    record.output !== ""
  ) {
    replace(
      slot,
      h(
        "section",
        { class: "card", "aria-labelledby": "output-title" },
        h("h2", { id: "output-title" }, "Output"),
        h("pre", { class: "output" }, show(record.output)),
      ),
    );
  } else replace(slot);
}

function drawHistory(tbody: HTMLElement, record: RunRecord): void {
  const entries = record.history ?? [];
  const entered = new Map<string, number>();
  const rows: HTMLElement[] = [];
  entries.forEach((entry: HistoryEntry, i) => {
    // A state's completion followed by the transition it took: one row (the transition's).
    const next = entries[i + 1];
    if (
      entry.to === undefined &&
      next?.to !== undefined &&
      next.state === entry.state &&
      next.status === entry.status
    )
      return;
    let took = "";
    const at = Date.parse(entry.at);
    if (entry.status === "entered") entered.set(entry.state, at);
    else if (entry.status !== "waiting" && entered.has(entry.state) && entry.to === undefined) {
      took = duration(at - entered.get(entry.state)!);
    } else if (entry.to !== undefined && entered.has(entry.state)) {
      took = duration(at - entered.get(entry.state)!);
      entered.delete(entry.state);
    }
    if (i === entries.length - 1 && (entry.status === "waiting" || entry.status === "entered")) {
      const since = entered.get(entry.state) ?? at;
      if (!FINISHED.has(record.status)) took = `${duration(Date.now() - since)} so far`;
    }
    const what =
      entry.to !== undefined
        ? `${entry.status} → ${entry.to}${entry.label ? ` (${entry.label})` : ""}`
        : entry.status;
    rows.push(
      h(
        "tr",
        { "data-state": entry.state, "data-entry": entry.status },
        h(
          "td",
          { "data-label": "Time", class: "nowrap" },
          time(entry.at, new Date(entry.at).toLocaleTimeString()),
        ),
        h("td", { "data-label": "State" }, entry.state),
        h("td", { "data-label": "What" }, what),
        h("td", { "data-label": "Took", class: "nowrap" }, took || "—"),
      ),
    );
  });
  if (rows.length === 0) rows.push(h("tr", {}, h("td", { colspan: 4 }, "Nothing yet.")));
  replace(tbody, ...rows);
}

/** Each state's details, kept across redraws (an open one stays open, a focused one focused). */
type StateItems = Map<
  string,
  { details: HTMLDetailsElement; summary: HTMLElement; body: HTMLElement }
>;

function drawStates(
  slot: HTMLElement,
  doc: GraphDocument | undefined,
  record: RunRecord,
  items: StateItems,
): void {
  const names = new Set<string>();
  for (const node of doc?.graph.nodes ?? []) names.add(node.key);
  for (const name of Object.keys(record.results ?? {})) names.add(name);
  for (const name of Object.keys(record.visits ?? {})) names.add(name);
  const overlay = doc ? overlayOf(doc, record) : undefined;
  let previous: Element | undefined;
  for (const name of names) {
    const visits = record.visits?.[name] ?? 0;
    const result = record.results?.[name];
    const feedback = record.feedback?.[name];
    if (visits === 0 && !result && !feedback) continue;
    const node = doc?.graph.nodes?.find((n) => n.key === name)?.attributes as
      | StateAttrs
      | undefined;
    const st = overlay?.status.get(name);
    let item = items.get(name);
    if (!item) {
      const summary = h("summary", {});
      const body = h("div", { class: "state-body" });
      const details = h("details", { class: "state", "data-state": name }, summary, body);
      item = { details, summary, body };
      items.set(name, item);
      if (previous) previous.after(details);
      else slot.prepend(details);
    }
    replace(
      item.summary,
      h("span", { class: "state-name" }, name),
      st ? h("span", { class: `badge status-${st}` }, STATUS_TEXT[st]) : null,
      visits > 1 ? h("span", { class: "pill" }, `×${visits}`) : null,
      result ? h("span", { class: "muted" }, duration(result.duration)) : null,
    );
    replace(item.body, ...stateBody(node, result, feedback));
    previous = item.details;
  }
  const empty = slot.querySelector(":scope > p.muted");
  if (items.size === 0 && !empty) slot.append(h("p", { class: "muted" }, "No state has run yet."));
  else if (items.size > 0) empty?.remove();
}

/** What a state's details show of its declaration. */
interface StateAttrs {
  kind?: string;
  agent?: string;
  prompt?: { text: string };
  command?: { shell: { text: string } } | { argv: { text: string }[] };
}

function commandText(command: StateAttrs["command"]): string | undefined {
  if (!command) return undefined;
  if ("shell" in command) return command.shell.text;
  return command.argv.map((a) => JSON.stringify(a.text)).join(" ");
}

function stateBody(
  node: StateAttrs | undefined,
  result: StateResult | undefined,
  feedback: string | undefined,
): (HTMLElement | null)[] {
  const facts: HTMLElement[] = [];
  const add = (term: string, value: unknown) => {
    if (value === undefined || value === null || value === "") return;
    facts.push(fact(term, typeof value === "string" ? value : String(value)));
  };
  if (result) {
    add("Status", result.status);
    add("Attempts", result.attempts);
    add("Duration", duration(result.duration));
    add("Agent calls", result.agentCalls);
    add("Score", result.score);
    add("Confidence", result.confidence);
    add("Exit code", result.exit_code);
    add("Approved", result.approved === undefined ? undefined : result.approved ? "yes" : "no");
    add("Answered by", result.approver);
    add("Response", result.response);
    if (result.usage) {
      add("Input tokens", result.usage.inputTokens);
      add("Output tokens", result.usage.outputTokens);
      add(
        "Cost",
        result.usage.costUsd !== undefined ? `$${result.usage.costUsd.toFixed(4)}` : undefined,
      );
    }
    if (result.error) add("Error", `${result.error.code}: ${result.error.message}`);
  }
  const blocks: (HTMLElement | null)[] = [
    node?.agent ? h("p", { class: "muted" }, `Agent: ${node.agent}`) : null,
    facts.length > 0 ? h("dl", { class: "facts" }, ...facts) : null,
    feedback
      ? h(
          "div",
          {},
          h("h4", {}, "Feedback carried into it"),
          h("pre", { class: "feedback" }, feedback),
        )
      : null,
    result?.feedback
      ? h(
          "div",
          {},
          h("h4", {}, "Feedback given"),
          h("pre", { class: "feedback" }, result.feedback),
        )
      : null,
    node?.prompt
      ? h("div", {}, h("h4", {}, "Prompt (template)"), h("pre", {}, node.prompt.text))
      : null,
    result?.child_execution_id
      ? h(
          "p",
          {},
          "Its run: ",
          h("a", { href: href("runs", result.child_execution_id) }, result.child_execution_id),
        )
      : null,
    commandText(node?.command)
      ? h("div", {}, h("h4", {}, "Command (template)"), h("pre", {}, commandText(node?.command)!))
      : null,
    result?.output !== undefined && result.output !== null && result.output !== ""
      ? h("div", {}, h("h4", {}, "Output"), h("pre", { class: "output" }, show(result.output)))
      : null,
    result?.reasoning
      ? h("div", {}, h("h4", {}, "Reasoning"), h("pre", {}, result.reasoning))
      : null,
    result?.stdout ? h("div", {}, h("h4", {}, "stdout"), h("pre", {}, result.stdout)) : null,
    result?.stderr
      ? h("div", {}, h("h4", {}, "stderr"), h("pre", { class: "stderr" }, result.stderr))
      : null,
  ];
  return blocks;
}

function describe(o: RunObservation): string {
  switch (o.type) {
    case "run-started":
      return `run started (${o.workflow})`;
    case "state-entered":
      return `entered ${o.state}${o.visit > 1 ? ` (visit ${o.visit})` : ""}`;
    case "state-output":
      return `${o.state} ${o.stream}: ${o.text}`;
    case "state-completed":
      return `${o.state} ${o.status} in ${duration(o.duration)}${o.error ? `: ${o.error.message}` : ""}`;
    case "retry":
      return `${o.state} retry ${o.attempt} in ${duration(o.delayMs)}: ${o.error}`;
    case "transition":
      return `${o.from} → ${o.to}${o.label ? ` (${o.label})` : ""}`;
    case "specialist-failed":
      return `${o.state}: specialist ${o.agent} failed: ${o.error.message}`;
    case "waiting-for-human":
      return `${o.state} waits for a human`;
    case "human-answered":
      return `${o.state} ${o.timedOut ? "timed out" : o.approved ? "approved" : o.rejected ? "rejected" : "answered"}${o.approver ? ` by ${o.approver}` : ""}${o.feedback ? `: ${o.feedback}` : ""}`;
    case "state-progress":
      return `${o.state}: ${o.done}/${o.total} ${o.unit}${o.failed ? ` (${o.failed} failed)` : ""}`;
    case "run-finished":
      return `run ${o.status}${o.error ? `: ${o.error.message}` : ""}`;
    default:
      return (o as { type: string }).type;
  }
}

function appendLog(list: HTMLElement, box: HTMLElement, n: number, o: RunObservation): void {
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const at = (o as { at?: string }).at;
  list.append(
    h(
      "li",
      { "data-n": Number.isFinite(n) ? n : "", "data-type": o.type, class: `log-${o.type}` },
      at ? time(at, new Date(at).toLocaleTimeString()) : "",
      " ",
      h("span", { class: "log-text" }, describe(o)),
    ),
  );
  while (list.children.length > LOG_LIMIT) list.firstElementChild?.remove();
  if (nearBottom) box.scrollTop = box.scrollHeight;
}
