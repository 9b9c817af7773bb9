// Durations past what setTimeout holds (2^31-1 ms, about 24.8 days): Node fires such a
// timer after 1 ms, which would end a `timeout 30d` state at once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import { startTimer } from "../../../src/runtime/timer.ts";
import { compileSource } from "./helpers.ts";

const DAY = 86_400_000;

describe("startTimer()", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits the whole of a delay longer than 2^31-1 ms, in steps", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    startTimer(30 * DAY, fired);
    vi.advanceTimersByTime(1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(29 * DAY);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("can be cancelled, also between its steps", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const cancel = startTimer(30 * DAY, fired);
    vi.advanceTimersByTime(25 * DAY);
    cancel();
    vi.advanceTimersByTime(10 * DAY);
    expect(fired).not.toHaveBeenCalled();
  });
});

describe("a state with a timeout of 30 days", () => {
  it("is not ended by its timer when its agent takes 50 ms", async () => {
    const workflow = compileSource(`workflow long {
  agent slow = function("slow")
  start WORK
  state WORK = agent slow timeout 30d retry 2 backoff 40d {
    prompt "x"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`);
    const engine = createEngine({
      store: new MemoryStore(),
      functions: { slow: () => new Promise((resolve) => setTimeout(() => resolve("ok"), 50)) },
    });
    const record = await (await engine.start(workflow)).result();
    expect(record.results.WORK).toMatchObject({ status: "succeeded", output: "ok" });
    expect(record.status).toBe("succeeded");
  });
});
