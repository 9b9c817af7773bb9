// The worker's own promises (issue 16): with the cluster's request-identity key it serves
// only requests the cluster signed; registering with a cluster that cannot be reached says
// so with a code; the command line's mistakes are one line and exit 2.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { connect } from "node:http2";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { registerWorker, startWorker, type Worker } from "../../src/restate/worker.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const projectNode = join(root, "node_modules/.bin/node");
const node = existsSync(projectNode) ? projectNode : process.execPath;
const workers: Worker[] = [];
afterAll(async () => {
  for (const worker of workers) await worker.close();
});

/** base58 (Bitcoin's alphabet), as Restate writes its public keys. */
function base58(bytes: Uint8Array): string {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let n = BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
  let out = "";
  while (n > 0n) {
    out = alphabet[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** A request-identity public key as Restate prints one (publickeyv1_…). */
function identityKey(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return `publickeyv1_${base58(raw)}`;
}

/** GET /discover over HTTP/2, as Restate asks a deployment what it serves: the status. */
function discover(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    session.once("error", reject);
    const request = session.request({
      ":method": "GET",
      ":path": "/discover",
      accept: "application/vnd.restate.endpointmanifest.v3+json",
    });
    request.once("response", (headers) => {
      resolve(Number(headers[":status"]));
      request.close();
      session.close();
    });
    request.once("error", reject);
    request.end();
  });
}

it("with the cluster's identity key, refuses requests it did not sign", async () => {
  const open = await startWorker({ port: 0, log: () => {} });
  const guarded = await startWorker({ port: 0, identityKeys: [identityKey()], log: () => {} });
  workers.push(open, guarded);
  expect(await discover(open.url)).toBe(200);
  expect(await discover(guarded.url)).toBe(401);
});

it("says when the cluster cannot be reached, with a code", async () => {
  await expect(registerWorker("http://127.0.0.1:1", "http://127.0.0.1:9080")).rejects.toMatchObject(
    {
      code: "restate-unreachable",
    },
  );
});

it("aegis worker: a usage mistake is one line and exit 2", () => {
  const r = spawnSync(node, [join(root, "bin/aegis.js"), "worker", "--advertise", "http://x"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("--advertise goes with --register");
  expect(r.stderr).not.toContain("    at ");
});
