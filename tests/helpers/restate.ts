// Real Restate servers for a test file: started in beforeAll (each file its own servers, on
// free ports, in a temporary directory) and stopped in afterAll, which removes the directory.
import { afterAll, beforeAll } from "vitest";
import { type Restate, type StartOptions, startRestate } from "../../scripts/restate/restate.ts";

export type { Restate, RestateNode } from "../../scripts/restate/restate.ts";

/** Call at the top of a file or describe block; the returned function gives the servers. */
export function useRestate(
  options: Pick<StartOptions, "nodes" | "partitions"> = {},
): () => Restate {
  let restate: Restate | undefined;
  beforeAll(async () => {
    restate = await startRestate(options);
  });
  afterAll(async () => {
    await restate?.stop();
  });
  return () => {
    if (!restate) throw new Error("Restate did not start (see the beforeAll error)");
    return restate;
  };
}
