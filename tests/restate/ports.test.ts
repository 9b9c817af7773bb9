// A free port picked for a server can be taken by another process before the server binds
// it; startRestate then starts afresh on other ports. The first server here fails as such a
// server does (through AEGIS_RESTATE_SERVER, a wrapper around the real binary).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { restateServerBinary } from "../../scripts/restate/binaries.ts";
import { startRestate } from "../../scripts/restate/restate.ts";

const scratch = mkdtempSync(join(tmpdir(), "aegis-restate-ports-"));
afterAll(() => {
  delete process.env.AEGIS_RESTATE_SERVER;
  rmSync(scratch, { recursive: true, force: true });
});

it("starts again on other ports when a port was taken", async () => {
  const failed = join(scratch, "failed");
  const wrapper = join(scratch, "restate-server.sh");
  writeFileSync(
    wrapper,
    [
      "#!/bin/sh",
      `if [ ! -e '${failed}' ]; then`,
      `  touch '${failed}'`,
      `  echo "Failed: [http-ingress-server] failed binding to address '127.0.0.1:8080': Address in use (os error 98)"`,
      "  exit 1",
      "fi",
      `exec '${restateServerBinary()}' "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(wrapper, 0o755);
  process.env.AEGIS_RESTATE_SERVER = wrapper;

  const dir = join(scratch, "deployment");
  const restate = await startRestate({ dir });
  try {
    expect(existsSync(failed)).toBe(true);
    const [node] = restate.nodes;
    expect((await fetch(`${node!.adminUrl}/health`)).status).toBe(200);
    // The log is the second server's alone.
    expect(readFileSync(node!.logFile, "utf8")).not.toContain("Address in use");
  } finally {
    await restate.stop();
  }
});
