// A policy that keeps failing expensively is paused: the built-in answers at once until the pause ends, then the
// policy is tried again; a good decision clears the count, and a new revision starts fresh.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPolicyEngine, type PolicyErrorEvent, sampleInput } from "../../src/policy";

const dir = mkdtempSync(join(tmpdir(), "spendex-breaker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Loops forever only when the caller's metadata says so: the same revision can fail and succeed.
writeFileSync(
  join(dir, "moody.js"),
  `function route(input) {
  if (input.request.metadata.mood === "loop") while (true) {}
  return { model: "openai/gpt-5-nano", reason: "fine" };
}
`,
);

const withMood = (mood: string) => {
  const input = sampleInput();
  return { ...input, request: { ...input.request, metadata: { mood } } };
};

test("three expensive failures in a row pause the policy; it runs again after the pause", async () => {
  const events: PolicyErrorEvent[] = [];
  const engine = await createPolicyEngine({
    dir,
    limits: { deadlineMs: 5 },
    breaker: { failures: 3, pauseMs: 150 },
    onError: (event) => events.push(event),
  });
  try {
    // Two timeouts, then a good decision: the count starts over.
    for (let i = 0; i < 2; i++) expect(engine.decide("moody", withMood("loop")).error).toMatch(/deadline/);
    expect(engine.decide("moody", withMood("calm"))).toMatchObject({
      builtin: false,
      decision: { reason: "fine" },
    });
    for (let i = 0; i < 3; i++) expect(engine.decide("moody", withMood("loop")).error).toMatch(/deadline/);
    expect(events.filter((event) => event.message.startsWith("paused"))).toHaveLength(1);

    // Paused: even a request the policy would answer well gets the built-in, without running the policy.
    const paused = engine.decide("moody", withMood("calm"));
    expect(paused.builtin).toBe(true);
    expect(paused.error).toMatch(/^policy "moody" is paused for 1 s more after 3 failures in a row/);
    expect(paused.elapsedUs).toBeLessThan(2_000);

    await Bun.sleep(200);
    expect(engine.decide("moody", withMood("calm"))).toMatchObject({
      builtin: false,
      decision: { reason: "fine" },
    });
    // Cleared by that success: one more timeout does not pause again.
    expect(engine.decide("moody", withMood("loop")).error).toMatch(/deadline/);
    expect(engine.decide("moody", withMood("calm")).builtin).toBe(false);
  } finally {
    engine.close();
  }
});

test("a thrown error is cheap and never pauses a policy", async () => {
  writeFileSync(join(dir, "thrower.js"), `function route() { throw new Error("nope"); }\n`);
  const engine = await createPolicyEngine({
    dir,
    only: ["thrower"],
    breaker: { failures: 2, pauseMs: 60_000 },
  });
  try {
    for (let i = 0; i < 5; i++) expect(engine.decide("thrower", sampleInput()).error).toMatch(/Error: nope/);
  } finally {
    engine.close();
  }
});
