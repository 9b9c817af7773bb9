// CPU profiles of aegis (node --cpu-prof) on the loop scenario and on build, summarised as
// text in bench/profiles/: the top self-time functions.   node bench/profile.ts [loop|build]
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const bench = dirname(fileURLToPath(import.meta.url));
const root = join(bench, "..");
const out = join(bench, "profiles");
mkdirSync(out, { recursive: true });

const jobs: Record<string, string> = {
  loop: `import { aegis } from "./lib/aegis.ts"; const r = aegis.loop(${process.env.PROFILE_LOOP_VISITS ?? 5000}); await r.run();`,
  build: `import { compile } from "./lib/aegis.ts"; import { chainSource } from "./lib/aegis-sources.ts"; const s = chainSource(10000); compile(s); compile(s);`,
};

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const only = process.argv.slice(2);
for (const [name, code] of Object.entries(jobs)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const dir = join(bench, ".tmp-prof", name);
  rmSync(dir, { recursive: true, force: true });
  const script = join(bench, `.prof-${name}.ts`);
  writeFileSync(script, code);
  const r = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, script], {
    cwd: bench,
    stdio: "inherit",
  });
  rmSync(script);
  if (r.status !== 0) throw new Error(`profile ${name} failed`);
  const file = join(dir, readdirSync(dir)[0]!);
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  renameSync(file, join(out, `${name}.cpuprofile`));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const key = (n: Node) => {
    const u = n.callFrame.url;
    const url = u.startsWith("file:") ? relative(root, fileURLToPath(u)) : u;
    return `${n.callFrame.functionName || "(anonymous)"}  ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ""}`;
  };
  const fn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    fn.set(key(n), (fn.get(key(n)) ?? 0) + us);
    const f = n.callFrame.url
      ? key(n).split("  ")[1]!.replace(/:\d+$/, "")
      : n.callFrame.functionName;
    byFile.set(f, (byFile.get(f) ?? 0) + us);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(
        ([f, us]) =>
          `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${f}`,
      );
  const text = [
    `aegis CPU profile: ${name} — ${code}`,
    `total sampled ${(total / 1000).toFixed(0)} ms; node ${process.version}; raw profile: bench/profiles/${name}.cpuprofile (open in Chrome DevTools)`,
    "",
    "top 40 functions by self time:",
    ...top(fn, 40),
    "",
    "self time by file:",
    ...top(byFile, 25),
  ].join("\n");
  writeFileSync(join(out, `${name}.txt`), `${text}\n`);
  console.log(text, "\n");
}
rmSync(join(bench, ".tmp-prof"), { recursive: true, force: true });
