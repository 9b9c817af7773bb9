// A new run's id, the same wherever a run starts (the engine, the server, a Restate client):
// `<workflow>-<yyyymmdd-hhmmss>-<12 hex>`, readable in listings and sortable by time.
import { randomBytes } from "node:crypto";

export function newRunId(workflow: string, at: number = Date.now()): string {
  const slug = workflow.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[-]+/, "") || "run";
  const time = new Date(at).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  // 6 random bytes: thousands of runs started in the same second must not collide.
  return `${slug}-${time}-${randomBytes(6).toString("hex")}`;
}
