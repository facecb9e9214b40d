// The input transport: what crosses into the sandbox is exactly the input, and the candidate cache sees every change.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TSchema } from "@sinclair/typebox";
import {
  type PolicyCandidate,
  PolicyCandidateSchema,
  sampleBudget,
  sampleCandidates,
  sampleInput,
  sampleInputs,
} from "../../src/policy";
import { DEFAULT_LIMITS, SandboxHost, type SandboxPolicy } from "../../src/policy/sandbox";
import { InputEncoder, sameCandidates } from "../../src/policy/transport";

/** Every leaf path of a TypeBox object schema. */
function leafPaths(schema: TSchema, prefix: string[] = []): string[][] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (properties === undefined) return [prefix];
  return Object.entries(properties).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

test.each(leafPaths(PolicyCandidateSchema).map((path) => [path.join("."), path] as const))(
  "a change to candidate field %s is seen",
  (_, path) => {
    const before = sampleCandidates();
    const after = structuredClone(before);
    let holder = after[3] as unknown as Record<string, unknown>;
    for (const key of path.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
    const last = path.at(-1) as string;
    const value = holder[last];
    holder[last] =
      typeof value === "boolean" ? !value : typeof value === "number" ? value + 1 : `${String(value)}x`;
    expect(sameCandidates(before, after)).toBe(false);
    expect(sameCandidates(before, structuredClone(before))).toBe(true);
  },
);

let host: SandboxHost;
let echo: SandboxPolicy;
beforeAll(async () => {
  // These tests check what crosses, not the limits: a generous deadline keeps a cold first call on a loaded
  // CI machine from timing out.
  host = await SandboxHost.create({ ...DEFAULT_LIMITS, deadlineMs: 1_000 });
  echo = host.compile("echo.js", "function route(input) { return input; }");
});
afterAll(() => {
  echo.dispose();
  host.close();
});

test.each(sampleInputs().map(({ name, input }) => [name, input] as const))(
  "sample %s crosses intact",
  (_, input) => {
    const encoder = new InputEncoder();
    const withBudget = {
      ...input,
      budgets: [...input.budgets, sampleBudget({ scope: "team", name: "core" })],
    };
    for (const value of [input, withBudget, input]) {
      const result = echo.call(encoder.encode(value));
      expect(result.ok ? "ok" : result.message).toBe("ok");
      if (result.ok) expect(JSON.parse(result.text)).toEqual(value);
    }
  },
);

test("a caller mutating its candidate list in place is still seen", () => {
  const encoder = new InputEncoder();
  const input = sampleInput();
  const first = echo.call(encoder.encode(input));
  (input.candidates[0] as PolicyCandidate).healthy = false;
  const second = echo.call(encoder.encode(input));
  expect(first.ok && JSON.parse(first.text).candidates[0].healthy).toBe(true);
  expect(second.ok && JSON.parse(second.text).candidates[0].healthy).toBe(false);
});

test("every field crosses to its own place (distinct values everywhere)", () => {
  const input = {
    ...sampleInput(),
    request: {
      model: "auto",
      message_count: 11,
      estimated_prompt_tokens: 12,
      max_tokens: 13,
      stream: true,
      tools: false,
      tool_choice: { type: "function" as const, name: "lookup" },
      images: true,
      json_mode: "json_schema" as const,
      metadata: { feature: "f" },
      user: "u",
      headers: { "x-spendex-provider": "p" },
    },
    classification: {
      tier: "medium" as const,
      confidence: 0.5,
      scores: { simple: 0.1, medium: 0.2, complex: 0.3 },
      signals: { estimated_tokens: 14, code_fences: 0, language: "en" },
    },
    key: { id: "k-id", name: "k-name", team: "k-team", env: null },
    agent: "agent-1",
    budgets: [
      sampleBudget({ scope: "agent", name: "agent-1" }),
      sampleBudget({ scope: "team", name: "core" }),
    ],
    now: "2027-01-02T03:04:05.000Z",
  };
  const result = echo.call(new InputEncoder().encode(input));
  expect(result.ok).toBe(true);
  if (result.ok) expect(JSON.parse(result.text)).toStrictEqual(JSON.parse(JSON.stringify(input)));
});

test("interleaved candidate lists (more than the slots) each arrive as sent", () => {
  const encoder = new InputEncoder();
  const lists = Array.from({ length: 6 }, (_, index) =>
    sampleCandidates().map((candidate) => ({ ...candidate, p50_ms: index * 10 })),
  );
  for (let round = 0; round < 30; round++) {
    // Mostly the first two lists, now and then the others: slots are reused and evicted.
    const index = round % 3 === 2 ? 2 + (round % 4) : round % 2;
    const input = { ...sampleInput(), candidates: lists[index] as PolicyCandidate[] };
    const result = echo.call(encoder.encode(input));
    expect(result.ok).toBe(true);
    if (result.ok) expect(JSON.parse(result.text).candidates).toEqual(lists[index]);
  }
});

test("health and p50 changes on a held list each arrive as sent, and so does going back", () => {
  const encoder = new InputEncoder();
  const base = sampleCandidates();
  const variants = [
    base,
    base.map((candidate, index) => (index === 3 ? { ...candidate, healthy: false } : candidate)),
    base.map((candidate, index) =>
      index === 3 ? { ...candidate, healthy: false, p50_ms: null } : candidate,
    ),
    base.map((candidate, index) => (index % 2 === 0 ? { ...candidate, p50_ms: 12.5 } : candidate)),
    base,
    base,
  ];
  for (const candidates of variants) {
    const result = echo.call(encoder.encode({ ...sampleInput(), candidates }));
    expect(result.ok).toBe(true);
    if (result.ok) expect(JSON.parse(result.text).candidates).toEqual(candidates);
  }
});

test("a tier outside the schema and a NUL in now still cross as sent; changed strings are seen", () => {
  const encoder = new InputEncoder();
  const base = sampleInput();
  const odd = {
    ...base,
    classification: { ...base.classification, tier: "weird" as "simple" },
    now: "2026-11-26T14:00:00.000Z\0",
  };
  const otherUser = { ...base, request: { ...base.request, user: "user-43", metadata: { a: "b" } } };
  for (const value of [base, odd, base, otherUser, otherUser, base]) {
    const result = echo.call(encoder.encode(value));
    expect(result.ok).toBe(true);
    if (result.ok) expect(JSON.parse(result.text)).toEqual(value);
  }
});

test("records kept between decisions are deep-frozen even when a caller nests objects the schema forbids", async () => {
  const host = await SandboxHost.create({ ...DEFAULT_LIMITS, deadlineMs: 1_000 });
  const policy = host.compile(
    "nested.js",
    `function route(input) {
      const nested = input.request.metadata.nested;
      let thawed = Object.isFrozen(nested) ? "frozen" : "thawed";
      try { nested.x = (nested.x || 0) + 1; } catch { thawed += "-refused"; }
      return { model: "openai/gpt-5-nano", tags: [thawed, String(nested.x)] };
    }`,
  );
  try {
    const encoder = new InputEncoder();
    const base = sampleInput();
    const input = {
      ...base,
      request: { ...base.request, metadata: { nested: {} } as unknown as Record<string, string> },
    };
    for (let round = 0; round < 3; round++) {
      const result = policy.call(encoder.encode(input));
      expect(result.ok ? JSON.parse(result.text).tags : result.message).toEqual([
        "frozen-refused",
        "undefined",
      ]);
    }
  } finally {
    policy.dispose();
    host.close();
  }
});
