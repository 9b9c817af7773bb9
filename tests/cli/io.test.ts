// The command line writes to its file descriptors directly (src/cli/io.ts), and hands over to
// Node's stream when a descriptor would block: nothing lost, nothing out of order.
import { PassThrough } from "node:stream";
import { expect, it } from "vitest";
import { descriptorWriter } from "../../src/cli/io.ts";

it("writes through the descriptor, all of each text, in order", () => {
  const written: string[] = [];
  // A descriptor that takes at most 3 bytes a write.
  const write = (_fd: number, bytes: Uint8Array) => {
    written.push(Buffer.from(bytes.subarray(0, 3)).toString());
    return Math.min(3, bytes.length);
  };
  const stream = new PassThrough();
  const out = descriptorWriter(1, () => stream, write);
  out("hello, ");
  out("wörld\n");
  expect(written.join("")).toBe("hello, wörld\n");
  expect(stream.read()).toBeNull();
});

it("hands the rest, and every later text, to the stream once the descriptor would block", () => {
  let taken = "";
  let calls = 0;
  const write = (_fd: number, bytes: Uint8Array) => {
    calls++;
    if (calls > 2) throw Object.assign(new Error("EAGAIN"), { code: "EAGAIN" });
    taken += Buffer.from(bytes.subarray(0, 4)).toString();
    return Math.min(4, bytes.length);
  };
  const stream = new PassThrough();
  const out = descriptorWriter(1, () => stream, write);
  out("0123456789");
  out("abc");
  expect(calls).toBe(3);
  expect(taken + String(stream.read())).toBe("0123456789abc");
});

it("throws what is not a full or closed descriptor", () => {
  const write = () => {
    throw Object.assign(new Error("EBADF"), { code: "EBADF" });
  };
  const out = descriptorWriter(9, () => new PassThrough(), write);
  expect(() => out("x")).toThrow("EBADF");
});
