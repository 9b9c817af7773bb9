// Hash routes: #/runs (the default), #/runs/<id>, #/workflows, #/workflows/<name>, each with
// an optional query (#/runs?workflow=release&status=waiting).

export interface Route {
  /** The path's segments, decoded: ["runs", "release-…"]. */
  path: string[];
  query: URLSearchParams;
}

export function currentRoute(hash = location.hash): Route {
  const text = hash.replace(/^#\/?/, "");
  const [path = "", search = ""] = text.split("?", 2);
  const segments = path
    .split("/")
    .filter((p) => p !== "")
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { path: segments.length > 0 ? segments : ["runs"], query: new URLSearchParams(search) };
}

/** The hash of a route: href("runs", id) → "#/runs/<id>". */
export function href(...parts: (string | Record<string, string | undefined>)[]): string {
  let query = "";
  const path: string[] = [];
  for (const part of parts) {
    if (typeof part === "string") path.push(encodeURIComponent(part));
    else {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(part)) if (v) params.set(k, v);
      const text = params.toString();
      if (text) query = `?${text}`;
    }
  }
  return `#/${path.join("/")}${query}`;
}
