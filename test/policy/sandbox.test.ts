// Sandbox abuse: every attack is stopped within its limit, answered by the built-in, and the next decision works.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPolicyEngine, type PolicyEngine, type PolicyErrorEvent, sampleInput } from "../../src/policy";

const GOOD = `function route(input) { return { model: "openai/gpt-5-nano", reason: "good" }; }`;
const body = (code: string) => `function route(input) {\n${code}\n}\n`;

/** [name, policy body, the error it must produce]. */
const ATTACKS: Array<[string, string, RegExp]> = [
  ["an endless loop", "while (true) {}", /exceeded the 5 ms deadline at while-true\.js:\d+/],
  ["catastrophic backtracking", `return { model: String(/(a+)+$/.test("a".repeat(40) + "b")) };`, /deadline/],
  ["string doubling", `let s = "x"; while (true) s += s;`, /string too long|out of memory/],
  ["a growing array", "const a = []; while (true) a.push(new Array(1e5).fill(1));", /out of memory/],
  ["typed arrays", "const a = []; while (true) a.push(new Uint8Array(1 << 20));", /out of memory/],
  ["one huge ArrayBuffer", "return { model: String(new ArrayBuffer(2 ** 30).byteLength) };", /out of memory/],
  [
    "deep recursion",
    "const down = (n) => down(n + 1) + 1; return down(0);",
    /stack overflow \(limit 256 KiB\)/,
  ],
  [
    "Object.prototype tampering",
    `Object.prototype.model = "openai/gpt-5"; return {};`,
    /TypeError: .*not extensible/,
  ],
  [
    "Array.prototype tampering",
    "Array.prototype.find = () => undefined; return {};",
    /TypeError: 'find' is read-only/,
  ],
  ["a new global", "globalThis.leak = 1; return {};", /TypeError/],
  [
    "mutating the input",
    `input.candidates[0].healthy = false; return { model: "openai/gpt-5" };`,
    /read-only/,
  ],
  ["Math.random", "return { model: String(Math.random()) };", /Math\.random is disabled/],
  ["a pending promise", `Promise.resolve().then(() => 1); return { model: "openai/gpt-5" };`, /synchronous/],
  ["a thrown string", `throw "nope";`, /nope/],
  [
    "an error whose message never ends",
    `const e = new Error("x"); Object.defineProperty(e, "message", { get() { while (true) {} } }); throw e;`,
    /deadline/,
  ],
  ["a model that is not a candidate", `return { model: "openai/gpt-4o" };`, /not a candidate/],
  [
    "a malformed answer",
    `return { model: "openai/gpt-5", fallbacks: "gemini" };`,
    /malformed decision at \/fallbacks/,
  ],
  ["a 5xx reject", `return { reject: { status: 500, code: "boom", message: "x" } };`, /\/reject\/status/],
  ["no answer", "return undefined;", /must return an object, got undefined/],
  [
    "a huge answer",
    `return { model: "openai/gpt-5", reason: "x".repeat(1e6) };`,
    /characters of JSON \(limit 65536\)/,
  ],
  [
    "a promise, then a throw",
    `Promise.resolve().then(() => 1); throw new Error("after");`,
    /Error: after at /,
  ],
];

const slug = (name: string) =>
  name === "an endless loop" ? "while-true" : name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();

let dir: string;
let engine: PolicyEngine;
const events: PolicyErrorEvent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spendex-sandbox-"));
  writeFileSync(join(dir, "good.js"), GOOD);
  for (const [name, code] of ATTACKS) writeFileSync(join(dir, `${slug(name)}.js`), body(code));
  writeFileSync(
    join(dir, "globals.js"),
    body(`const names = ["fetch", "require", "process", "Bun", "std", "os", "setTimeout", "setInterval", "queueMicrotask",
      "XMLHttpRequest", "WebSocket", "Deno", "module", "exports", "importScripts", "WeakRef", "FinalizationRegistry"];
    const reachable = names.filter((name) => typeof globalThis[name] !== "undefined");
    return { model: "openai/gpt-5-nano", tags: reachable };`),
  );
  writeFileSync(
    join(dir, "clock.js"),
    body(`return { model: "openai/gpt-5-nano", tags: [String(Date.now()), new Date().toISOString(), String(Date()).slice(0, 15),
      String(new Date(0).constructor.now()), String(Date.now === Date.prototype.constructor.now)] };`),
  );
  writeFileSync(
    join(dir, "persist.js"),
    `let calls = 0;
    const memo = [];
    function route(input) {
      calls += 1;
      memo.push(calls);
      const tampered = Array.prototype.find.name !== "find" || ({}).model !== undefined || "leak" in globalThis;
      try { Array.prototype.find = function hacked() {}; } catch {}
      try { Object.prototype.model = "x"; } catch {}
      try { globalThis.leak = 1; } catch {}
      return { model: "openai/gpt-5-nano", tags: [String(calls), String(memo.length), String(tampered)] };
    }`,
  );
  writeFileSync(
    join(dir, "frozen.js"),
    body(`const thawed = [];
    const walk = (value, path) => {
      if (value === null || typeof value !== "object") return;
      if (!Object.isFrozen(value)) thawed.push(path);
      for (const key of Object.keys(value)) walk(value[key], path + "." + key);
    };
    walk(input, "input");
    return { model: "openai/gpt-5-nano", tags: thawed.slice(0, 16) };`),
  );
  engine = await createPolicyEngine({ dir, onError: (event) => events.push(event) });
});

afterAll(() => {
  engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("attacks fall back to the built-in, and the next decision works", () => {
  test.each(ATTACKS)("%s", (name, _, error) => {
    const input = sampleInput();
    const outcome = engine.decide(slug(name), input);
    expect(outcome.builtin).toBe(true);
    expect(outcome.error).toMatch(error);
    expect(outcome.decision).toEqual({
      model: "openai/gpt-5-nano",
      fallbacks: ["mistral/mistral-small", "gemini/gemini-2.5-flash-lite"],
      reason: "builtin: cheapest healthy simple candidate (classified simple)",
    });
    // Limits stop each attack quickly: 5 ms of CPU, or 100 ms of wall time on a starved machine.
    expect(outcome.elapsedUs).toBeLessThan(1_000_000);
    expect(events.at(-1)).toMatchObject({ policy: slug(name), phase: "decide" });

    const next = engine.decide("good", input);
    expect(next).toMatchObject({ builtin: false, decision: { model: "openai/gpt-5-nano", reason: "good" } });
    expect(next.error).toBeUndefined();
    expect(engine.decide(slug(name), input).builtin).toBe(true);
  });
});

describe("isolation", () => {
  test("no host global is reachable", () => {
    const outcome = engine.decide("globals", sampleInput());
    expect(outcome).toMatchObject({ builtin: false, decision: { tags: [] } });
  });

  test("Date reads the input's now, in every form", () => {
    const input = { ...sampleInput(), now: "2026-11-26T14:00:00.000Z" };
    const at = String(Date.parse(input.now));
    const outcome = engine.decide("clock", input);
    expect(outcome.decision).toMatchObject({ tags: [at, input.now, "Thu Nov 26 2026", at, "true"] });
    const later = String(Date.parse("2030-01-01T00:00:00.000Z"));
    expect(engine.decide("clock", { ...input, now: "2030-01-01T00:00:00.000Z" }).decision).toMatchObject({
      tags: [later, "2030-01-01T00:00:00.000Z", "Tue Jan 01 2030", later, "true"],
    });
  });

  test("top-level state and prototype tampering do not survive to the next decision", () => {
    for (let round = 0; round < 3; round++) {
      const outcome = engine.decide("persist", sampleInput());
      expect(outcome).toMatchObject({ builtin: false, decision: { tags: ["1", "1", "false"] } });
    }
  });

  test("the whole input arrives frozen, candidates included", () => {
    for (let round = 0; round < 2; round++) {
      const input = { ...sampleInput(), budgets: [{ ...sampleBudgetLike() }] };
      expect(engine.decide("frozen", input).decision).toMatchObject({ tags: [] });
    }
  });

  test("a memory bomb moves every policy to a fresh module", async () => {
    await Bun.sleep(50); // the spare module loads in the background
    const before = engine.stats();
    expect(engine.decide("typed-arrays", sampleInput()).error).toMatch(/out of memory/);
    const after = engine.stats();
    expect(after.moduleGeneration).toBeGreaterThan(before.moduleGeneration);
    expect(after.moduleMemoryBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(engine.decide("good", sampleInput())).toMatchObject({ builtin: false });
  });
});

function sampleBudgetLike() {
  return {
    scope: "key" as const,
    name: "dev-key",
    limit_usd: 10,
    spent_usd: 1,
    remaining_usd: 9,
    period: "day" as const,
    resets_at: "2026-11-27T00:00:00.000Z",
  };
}
