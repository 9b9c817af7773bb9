// A workflow's graph as an SVG picture, laid out by dagre: states as boxes, transitions as
// arrows with their conditions. Over a run, each state says what happened to it — by colour,
// by a word and a symbol, and by its border (never by colour alone) — with its visits (×N)
// when it ran more than once, and the transitions the run took drawn heavier.
import dagre from "@dagrejs/dagre";
import type { GraphDocument, RunRecord } from "./api.ts";
import { s } from "./dom.ts";

export type NodeStatus =
  | "done"
  | "running"
  | "waiting"
  | "failed"
  | "skipped"
  | "cancelled"
  | "not-reached";

export const STATUS_TEXT: Record<NodeStatus, string> = {
  done: "✓ done",
  running: "▶ running",
  waiting: "‖ waiting",
  failed: "✗ failed",
  skipped: "↷ skipped",
  cancelled: "■ cancelled",
  "not-reached": "○ not reached",
};

export interface RunOverlay {
  status: Map<string, NodeStatus>;
  visits: Map<string, number>;
  /** Transitions taken: "FROM\u0000TO\u0000LABEL". */
  taken: Set<string>;
  /** The transition taken last. */
  last?: string;
}

interface NodeAttrs {
  name?: string;
  kind?: string;
  final?: "success" | "failure";
  agent?: string;
}
interface EdgeAttrs {
  label?: string;
  otherwise?: boolean;
  order?: number;
}

export interface Layout {
  width: number;
  height: number;
  nodes: { id: string; x: number; y: number; width: number; height: number; attrs: NodeAttrs }[];
  edges: {
    key: string;
    source: string;
    target: string;
    label: string;
    points: { x: number; y: number }[];
    labelAt?: { x: number; y: number };
  }[];
}

const edgeKey = (from: string, to: string, label: string) => `${from}\u0000${to}\u0000${label}`;

/** Lays a compiled workflow's graph out (top to bottom). */
export function layout(doc: GraphDocument): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 36, ranksep: 56, edgesep: 16, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = doc.graph.nodes ?? [];
  for (const node of nodes) {
    const attrs = (node.attributes ?? {}) as NodeAttrs;
    const sub = kindText(attrs);
    const width = Math.max(120, 9 * Math.max(node.key.length, sub.length, 12) + 28);
    g.setNode(node.key, { width, height: 64 });
  }
  const edges = doc.graph.edges ?? [];
  edges.forEach((edge, i) => {
    const attrs = (edge.attributes ?? {}) as EdgeAttrs;
    const label = edgeLabel(attrs);
    g.setEdge(
      edge.source,
      edge.target,
      {
        width: Math.min(label.length, 28) * 6.5 + 8,
        height: 16,
        labelpos: "c",
      },
      edge.key ?? `e${i}`,
    );
  });
  dagre.layout(g);
  const graph = g.graph();
  return {
    width: Math.ceil(graph.width ?? 200),
    height: Math.ceil(graph.height ?? 100),
    nodes: nodes.map((node) => {
      const n = g.node(node.key);
      return {
        id: node.key,
        x: n.x,
        y: n.y,
        width: n.width,
        height: n.height,
        attrs: (node.attributes ?? {}) as NodeAttrs,
      };
    }),
    edges: edges.map((edge, i) => {
      const key = edge.key ?? `e${i}`;
      const e = g.edge({ v: edge.source, w: edge.target, name: key });
      const label = edgeLabel((edge.attributes ?? {}) as EdgeAttrs);
      return {
        key,
        source: edge.source,
        target: edge.target,
        label,
        points: e?.points ?? [],
        ...(e &&
          typeof e.x === "number" &&
          typeof e.y === "number" && { labelAt: { x: e.x, y: e.y } }),
      };
    }),
  };
}

function edgeLabel(attrs: EdgeAttrs): string {
  if (attrs.otherwise) return "otherwise";
  return attrs.label ?? "";
}

function kindText(attrs: NodeAttrs): string {
  if (attrs.kind === "final") return attrs.final === "failure" ? "final · failure" : "final";
  return attrs.agent ? `${attrs.kind ?? "state"} · ${attrs.agent}` : (attrs.kind ?? "state");
}

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** What a run did to each state of its graph. */
export function overlayOf(doc: GraphDocument, record: RunRecord): RunOverlay {
  const status = new Map<string, NodeStatus>();
  const visits = new Map<string, number>();
  for (const node of doc.graph.nodes ?? []) {
    const name = node.key;
    const attrs = (node.attributes ?? {}) as NodeAttrs;
    const visited = record.visits?.[name] ?? 0;
    visits.set(name, visited);
    const result = record.results?.[name];
    const current = record.current === name;
    let st: NodeStatus = "not-reached";
    if (record.waiting?.state === name || (current && record.status === "waiting")) st = "waiting";
    else if (current && record.status === "running") st = "running";
    else if (current && record.status === "cancelled") st = "cancelled";
    else if (record.error?.state === name && record.error.code !== "final-failure") st = "failed";
    else if (attrs.kind === "final" && current) st = attrs.final === "failure" ? "failed" : "done";
    else if (result) {
      st =
        result.status === "succeeded" ? "done" : result.status === "skipped" ? "skipped" : "failed";
    } else if (visited > 0) st = "done";
    status.set(name, st);
  }
  const taken = new Set<string>();
  let last: string | undefined;
  for (const entry of record.history ?? []) {
    if (entry.to === undefined) continue;
    last = edgeKey(entry.state, entry.to, entry.label ?? "");
    taken.add(last);
  }
  return { status, visits, taken, ...(last !== undefined && { last }) };
}

function isTaken(overlay: RunOverlay | undefined, edge: Layout["edges"][number]): boolean {
  if (!overlay) return false;
  return overlay.taken.has(edgeKey(edge.source, edge.target, edge.label));
}

function pathOf(points: { x: number; y: number }[]): string {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  let d = `M${first!.x.toFixed(1)},${first!.y.toFixed(1)}`;
  if (rest.length === 1) return `${d} L${rest[0]!.x.toFixed(1)},${rest[0]!.y.toFixed(1)}`;
  // A smooth curve through dagre's points (quadratic segments between midpoints).
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i]!;
    const n = rest[i + 1]!;
    const mx = (p.x + n.x) / 2;
    const my = (p.y + n.y) / 2;
    d += ` Q${p.x.toFixed(1)},${p.y.toFixed(1)} ${i === rest.length - 2 ? `${n.x.toFixed(1)},${n.y.toFixed(1)}` : `${mx.toFixed(1)},${my.toFixed(1)}`}`;
  }
  return d;
}

let uid = 0;

/** The graph as an SVG element; with `overlay`, what a run did to it. */
export function drawGraph(
  doc: GraphDocument,
  laid: Layout,
  overlay?: RunOverlay,
  title = `Graph of ${doc.graph.attributes?.name ?? "the workflow"}`,
): SVGSVGElement {
  const id = `g${++uid}`;
  const summary = overlay
    ? laid.nodes
        .map((n) => {
          const st = overlay.status.get(n.id) ?? "not-reached";
          const v = overlay.visits.get(n.id) ?? 0;
          return `${n.id}: ${STATUS_TEXT[st].slice(2)}${v > 1 ? ` (${v} visits)` : ""}`;
        })
        .join("; ")
    : laid.nodes.map((n) => n.id).join(", ");
  const svg = s("svg", {
    class: "graph",
    viewBox: `0 0 ${laid.width} ${laid.height}`,
    width: laid.width,
    height: laid.height,
    role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`,
    "data-testid": "graph",
  });
  svg.append(
    s("title", { id: `${id}-title` }, title),
    s("desc", { id: `${id}-desc` }, summary),
    s(
      "defs",
      {},
      s(
        "marker",
        {
          id: `${id}-arrow`,
          viewBox: "0 0 10 10",
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: "auto-start-reverse",
        },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }),
      ),
      s(
        "marker",
        {
          id: `${id}-arrow-taken`,
          viewBox: "0 0 10 10",
          refX: 9,
          refY: 5,
          markerWidth: 6,
          markerHeight: 6,
          orient: "auto-start-reverse",
        },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow taken" }),
      ),
    ),
  );
  const edges = s("g", { class: "edges" });
  for (const edge of laid.edges) {
    const taken = isTaken(overlay, edge);
    const latest =
      taken && overlay?.last === edgeKey(edge.source, edge.target, edge.label) ? true : undefined;
    const g = s("g", {
      class: `edge${taken ? " taken" : ""}${latest ? " latest" : ""}`,
      "data-from": edge.source,
      "data-to": edge.target,
      "data-taken": taken ? "true" : "false",
    });
    g.append(
      s("path", {
        d: pathOf(edge.points),
        "marker-end": `url(#${id}-arrow${taken ? "-taken" : ""})`,
      }),
    );
    if (edge.label && edge.labelAt) {
      const text = clip(edge.label, 28);
      g.append(
        s(
          "text",
          {
            x: edge.labelAt.x,
            y: edge.labelAt.y + 4,
            "text-anchor": "middle",
            class: "edge-label",
          },
          text,
        ),
      );
    }
    edges.append(g);
  }
  svg.append(edges);
  const nodes = s("g", { class: "nodes" });
  for (const node of laid.nodes) {
    const st = overlay?.status.get(node.id);
    const visits = overlay?.visits.get(node.id) ?? 0;
    const x = node.x - node.width / 2;
    const y = node.y - node.height / 2;
    const g = s("g", {
      class: `node kind-${node.attrs.kind ?? "state"}${st ? ` status-${st}` : ""}`,
      "data-state": node.id,
      ...(st && { "data-status": st }),
      ...(overlay && { "data-visits": visits }),
    });
    const final = node.attrs.kind === "final";
    g.append(
      s("rect", {
        x,
        y,
        width: node.width,
        height: node.height,
        rx: final ? 24 : node.attrs.kind === "human" ? 2 : 8,
        class: "box",
      }),
    );
    if (final)
      g.append(
        s("rect", {
          x: x + 4,
          y: y + 4,
          width: node.width - 8,
          height: node.height - 8,
          rx: 20,
          class: "inner",
        }),
      );
    g.append(
      s("text", { x: node.x, y: y + 20, "text-anchor": "middle", class: "name" }, node.id),
      s(
        "text",
        { x: node.x, y: y + 36, "text-anchor": "middle", class: "kind" },
        clip(kindText(node.attrs), 22),
      ),
    );
    if (st)
      g.append(
        s(
          "text",
          { x: node.x, y: y + 53, "text-anchor": "middle", class: "status" },
          STATUS_TEXT[st],
        ),
      );
    if (visits > 1) {
      g.append(
        s("rect", {
          x: x + node.width - 30,
          y: y - 9,
          width: 36,
          height: 18,
          rx: 9,
          class: "visits-badge",
        }),
        s(
          "text",
          {
            x: x + node.width - 12,
            y: y + 4,
            "text-anchor": "middle",
            class: "visits",
            "data-testid": "visits",
          },
          `×${visits}`,
        ),
      );
    }
    nodes.append(g);
  }
  svg.append(nodes);
  return svg;
}
