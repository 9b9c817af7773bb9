// The action's entry point (bundled to dist/index.js).
import * as core from "@actions/core";
import { redact, run } from "./main.ts";

run().catch((error: unknown) => {
  core.setFailed(redact(error instanceof Error ? error.message : String(error)));
});
