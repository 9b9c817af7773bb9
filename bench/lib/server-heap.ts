// The JS heap `aegis serve`'s run service keeps per run waiting at a gate: the service in
// this process (run with --expose-gc) on a fresh data dir, heap after a full GC before and
// after `runs` runs are started and stopped at their gate. Prints {before, after} in bytes.
//   node --expose-gc bench/lib/server-heap.ts [runs]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/compiler/compile.ts";
import { openRegistry } from "../../src/server/registry.ts";
import { RunService } from "../../src/server/runs.ts";
import { gate } from "./server.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const runs = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), "aegis-bench-heap-"));
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
try {
  const registry = await openRegistry(dir);
  registry.deploy(compile(gate, { filename: "gate.aegis" }).document);
  const service = await RunService.open({ data: dir, registry, concurrency: 32 });
  // One run first, so that what every run shares (the graph, compiled code) is counted before.
  await service.start({ workflow: "gate" }, { via: "bench" });
  const settled = async (n: number) => {
    while (service.counts().waiting !== n || service.counts().driving > 0)
      await new Promise((r) => setTimeout(r, 100));
  };
  await settled(1);
  const before = heap();
  for (let i = 1; i < runs + 1; i += 50) {
    const batch = Math.min(50, runs + 1 - i);
    await Promise.all(
      Array.from({ length: batch }, () => service.start({ workflow: "gate" }, { via: "bench" })),
    );
  }
  await settled(runs + 1);
  const after = heap();
  await service.close();
  registry.close();
  console.log(JSON.stringify({ before, after }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
