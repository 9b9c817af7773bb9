// `branch`: no action — it only chooses, by its transitions. (A final state without an
// action is the same: the core ends the run there without executing it.)
import type { Outcome } from "./attempt.ts";

export async function executeBranch(): Promise<Outcome> {
  return { status: "succeeded" };
}
