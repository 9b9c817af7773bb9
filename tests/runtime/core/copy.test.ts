// copyValue: the engine's copy of the records it hands out.
import { describe, expect, it } from "vitest";
import { copyValue } from "../../../src/runtime/copy.ts";

describe("copyValue", () => {
  it("copies plain data deeply: changing the copy leaves the original as it was", () => {
    const original = { a: [1, { b: "x" }], c: { d: null, e: undefined }, f: true };
    const copy = copyValue(original);
    expect(copy).toStrictEqual(original);
    (copy.a[1] as { b: string }).b = "changed";
    copy.c.d = 1 as never;
    expect(original).toStrictEqual({ a: [1, { b: "x" }], c: { d: null, e: undefined }, f: true });
  });

  it("keeps an own __proto__ key as a key, without touching prototypes", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    const copy = copyValue(hostile);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(["__proto__", "ok"]);
    expect((copy as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("copies other objects (a Date) as structuredClone does", () => {
    const when = new Date("2026-11-21T00:00:00Z");
    const copy = copyValue({ when });
    expect(copy.when).toBeInstanceOf(Date);
    expect(copy.when).not.toBe(when);
    expect(copy.when.getTime()).toBe(when.getTime());
  });
});
