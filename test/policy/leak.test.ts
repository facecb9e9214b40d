// 10,000 decisions leave nothing behind: QuickJS heap, WebAssembly memory and handles stay where they were.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createPolicyEngine, sampleInput, sampleInputs } from "../../src/policy";
import { DEFAULT_LIMITS, SandboxHost } from "../../src/policy/sandbox";
import { type EncodedInput, InputEncoder } from "../../src/policy/transport";

const DEFAULT_POLICY = readFileSync(resolve(import.meta.dir, "../../policies/default.js"), "utf8");

test("a compiled policy's heap does not grow over 10,000 decisions", async () => {
  // This test is about memory, not time: a host GC pause in a loaded run must not fail a call.
  const host = await SandboxHost.create({ ...DEFAULT_LIMITS, deadlineMs: 1000 });
  const policy = host.compile("default.js", DEFAULT_POLICY);
  const encoder = new InputEncoder();
  const inputs = sampleInputs().map(({ input }) => encoder.encode(input));
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const result = policy.call(inputs[i % inputs.length] as EncodedInput);
      if (!result.ok) throw new Error(result.message);
    }
  };
  run(500);
  const before = policy.memoryUsage();
  const memoryBefore = host.memoryBytes();
  run(10_000);
  const after = policy.memoryUsage();
  // Cyclic garbage waits for QuickJS's collector, so allow a little slack; a leak would be 10,000s of objects.
  expect(after.objects - before.objects).toBeLessThanOrEqual(64);
  expect(after.bytes - before.bytes).toBeLessThanOrEqual(64 * 1024);
  expect(host.memoryBytes()).toBe(memoryBefore);
  // QuickJS refuses to free a runtime that still owns objects: a clean dispose means no handle leaked.
  expect(policy.dispose()).toBe(true);
  host.close();
});

test("the engine's module memory is stable over 10,000 decisions", async () => {
  const engine = await createPolicyEngine({ dir: resolve(import.meta.dir, "../../policies") });
  const input = sampleInput();
  for (let i = 0; i < 500; i++) engine.decide("default", input);
  const before = engine.stats();
  let fallbacks = 0;
  for (let i = 0; i < 10_000; i++) if (engine.decide("default", input).builtin) fallbacks++;
  expect(engine.stats()).toEqual(before);
  // A decision may rarely overrun 5 ms of CPU when the host pauses for GC; it falls back, it does not leak.
  expect(fallbacks).toBeLessThan(10);
  engine.close();
});
