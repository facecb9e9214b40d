// The policy contract: input and decision schemas, the converters, the editor types, the built-in policy.

import { describe, expect, test } from "bun:test";
import type { CatalogModel } from "../../src/catalog/types";
import type { Classification } from "../../src/classify/types";
import {
  builtinDecide,
  decisionError,
  isPolicyInput,
  mergeInput,
  type PolicyCandidate,
  type PolicyDecision,
  type PolicyInput,
  policyInputErrors,
  resolveCandidate,
  sampleCandidates,
  sampleInput,
  sampleInputs,
  spendexHeaders,
  toPolicyCandidate,
  toPolicyClassification,
} from "../../src/policy";
import { isWellFormedDecision, normaliseDecision } from "../../src/policy/decision";

// policies/policy.d.ts must describe exactly the contract: these fail to compile when the two drift apart.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const inputTypesAgree: Equal<Spendex.PolicyInput, PolicyInput> = true;
const decisionTypesAgree: Equal<Spendex.PolicyDecision, PolicyDecision> = true;

const patched = (patch: unknown): unknown => mergeInput(sampleInput(), patch);

describe("policy input", () => {
  test("the editor types match the contract", () => {
    expect([inputTypesAgree, decisionTypesAgree]).toEqual([true, true]);
  });

  test.each(sampleInputs().map(({ name, input }) => [name, input] as const))(
    "sample %s is valid",
    (_, input) => {
      expect(policyInputErrors(input)).toEqual([]);
    },
  );

  test.each([
    ["a missing now", { now: undefined }, "/now"],
    ["an unknown tier", { classification: { tier: "huge" } }, "/classification/tier"],
    [
      "a header outside x-spendex-*",
      { request: { headers: { authorization: "Bearer sk" } } },
      "/request/headers",
    ],
    ["an unknown field", { request: { temperature: 0.2 } }, "/request"],
    [
      "negative token counts",
      { request: { estimated_prompt_tokens: -1 } },
      "/request/estimated_prompt_tokens",
    ],
    ["a budget with an unknown period", { budgets: [{ scope: "key", period: "week" }] }, "/budgets/0"],
    [
      "a candidate id without provider",
      { candidates: [{ ...sampleCandidates()[0], id: "gpt-5" }] },
      "/candidates/0/id",
    ],
    ["a time that is not ISO", { now: "yesterday" }, "/now"],
  ])("rejects %s", (_, patch, path) => {
    const input = patched(patch) as Record<string, unknown>;
    if ((patch as { now?: unknown }).now === undefined && "now" in (patch as object)) delete input.now;
    expect(isPolicyInput(input)).toBe(false);
    expect(policyInputErrors(input).join("\n")).toContain(path);
  });
});

describe("policy decision shape", () => {
  test.each([
    [
      "a route",
      { model: "openai/gpt-5", fallbacks: ["gemini/gemini-2.5-pro"], reason: "r", tags: ["t"] },
      undefined,
    ],
    ["a reject", { reject: { status: 402, code: "budget_exceeded", message: "spent" } }, undefined],
    ["a 5xx reject", { reject: { status: 503, code: "down", message: "x" } }, "/reject/status"],
    ["a reject code with spaces", { reject: { status: 400, code: "no way", message: "x" } }, "/reject/code"],
    ["a missing model", { reason: "r" }, "/model"],
    ["an unknown field", { model: "m", fallback: ["x"] }, "fallback"],
    ["fallbacks that are not a list", { model: "m", fallbacks: "x" }, "/fallbacks"],
    ["a string", "openai/gpt-5", "must return an object, got string"],
    ["null", null, "got null"],
    ["an array", [], "got an array"],
  ])("%s", (_, value, problem) => {
    const error = decisionError(value);
    if (problem === undefined) expect(error).toBeUndefined();
    else expect(error).toContain(problem);
    expect(isWellFormedDecision(value)).toBe(problem === undefined);
  });

  test("the hand-written check agrees with the schema on generated answers", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const strings = [
      "",
      "m",
      "openai/gpt-5",
      "x".repeat(64),
      "x".repeat(65),
      "x".repeat(500),
      "x".repeat(501),
    ];
    const values: unknown[] = [null, 1, "s", true, [], {}, ...strings];
    const list = () => Array.from({ length: pick([0, 1, 8, 9, 16, 17]) }, () => pick([...strings, 3, null]));
    const fields: Record<string, () => unknown> = {
      model: () => pick([...values, ...strings]),
      fallbacks: () => (next() < 0.7 ? list() : pick(values)),
      reason: () => pick([...strings, 5, null]),
      tags: () => (next() < 0.7 ? list() : pick(values)),
      extra: () => 1,
      reject: () => ({
        status: pick([399, 400, 402, 402.5, 499, 500, "402"]),
        code: pick(["budget_exceeded", "Bad", "no way", "", "x".repeat(65), 4]),
        message: pick(strings),
        ...(next() < 0.1 ? { more: 1 } : {}),
      }),
    };
    let accepted = 0;
    for (let round = 0; round < 5000; round++) {
      const value: Record<string, unknown> = {};
      for (const [name, make] of Object.entries(fields)) if (next() < 0.45) value[name] = make();
      const fast = isWellFormedDecision(value);
      expect([round, fast]).toEqual([round, decisionError(value) === undefined]);
      if (fast) accepted++;
    }
    expect(accepted).toBeGreaterThan(50);
  });
});

describe("converters", () => {
  test("a catalog model becomes a snake_case candidate", () => {
    const model: CatalogModel = {
      id: "openai/gpt-5-mini",
      name: "gpt-5-mini",
      provider: "openai",
      upstreamName: "gpt-5-mini",
      tier: "medium",
      prices: { input: 0.25, cachedInput: 0.025, output: 2 },
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      capabilities: { tools: true, vision: true, jsonSchema: false, streaming: true },
    };
    const candidate: PolicyCandidate = toPolicyCandidate(model, { healthy: false, p50Ms: 420 });
    expect(candidate).toEqual({
      id: "openai/gpt-5-mini",
      provider: "openai",
      tier: "medium",
      prices: { input: 0.25, cached_input: 0.025, output: 2 },
      context_window: 400_000,
      capabilities: { tools: true, vision: true, json_schema: false, streaming: true },
      healthy: false,
      p50_ms: 420,
    });
  });

  test("signals get snake_case names and lose undefined values", () => {
    const classification: Classification = {
      tier: "complex",
      confidence: 0.7,
      scores: { simple: 0.1, medium: 0.2, complex: 0.7 },
      signals: {
        estimatedTokens: 900,
        turns: 2,
        userTurns: 1,
        systemChars: 0,
        lastUserChars: 120,
        codeFences: 1,
        codeTokenRatio: 0.4,
        mathDensity: 0,
        digitRatio: 0.01,
        questions: 1,
        listItems: 0,
        tools: false,
        images: false,
        jsonMode: true,
        rule: undefined,
      },
    };
    const converted = toPolicyClassification(classification);
    expect(converted.signals).toMatchObject({
      estimated_tokens: 900,
      code_token_ratio: 0.4,
      json_mode: true,
    });
    expect("rule" in converted.signals).toBe(false);
    expect(isPolicyInput({ ...sampleInput(), classification: converted })).toBe(true);
  });

  test("only x-spendex-* headers reach a policy, lower-cased", () => {
    const headers = new Headers({
      Authorization: "Bearer sk-1",
      "X-Spendex-Agent": "bot",
      "x-spendex-provider": "gemini",
    });
    expect(spendexHeaders(headers)).toEqual({ "x-spendex-agent": "bot", "x-spendex-provider": "gemini" });
    expect(spendexHeaders({ "X-Other": "1", "X-SPENDEX-TEAM": "core" })).toEqual({
      "x-spendex-team": "core",
    });
  });
});

describe("answer normalisation", () => {
  const candidates = sampleCandidates();
  test.each([
    ["an id", "openai/gpt-5", "openai/gpt-5"],
    ["a bare name", "claude-haiku-4-5", "anthropic/claude-haiku-4-5"],
    ["an unknown name", "gpt-4o", undefined],
    ["a name two providers share", "shared", undefined],
  ])("resolves %s", (_, reference, expected) => {
    const withDuplicate = [
      ...candidates,
      { ...candidates[0], id: "a/shared" },
      { ...candidates[1], id: "b/shared" },
    ] as PolicyCandidate[];
    expect(resolveCandidate(reference, withDuplicate)).toBe(expected);
  });

  test("fallbacks are resolved, deduplicated and pruned with a note", () => {
    const result = normaliseDecision(
      { model: "gpt-5-nano", fallbacks: ["gpt-5-nano", "mistral-small", "mistral/mistral-small", "gpt-4o"] },
      candidates,
    );
    expect(result).toEqual({
      ok: true,
      decision: { model: "openai/gpt-5-nano", fallbacks: ["mistral/mistral-small"] },
      notes: ['fallback "gpt-4o" is not a candidate and was dropped'],
    });
  });

  test("a model that is not a candidate is an error", () => {
    expect(normaliseDecision({ model: "openai/gpt-4o" }, candidates)).toEqual({
      ok: false,
      error: 'model "openai/gpt-4o" is not a candidate (or names several)',
    });
  });
});

describe("built-in policy", () => {
  const base = sampleInput();
  const only = (ids: string[], change: Partial<PolicyCandidate> = {}) =>
    base.candidates.filter((c) => ids.includes(c.id)).map((c) => ({ ...c, ...change }));
  test.each([
    ["cheapest of the classified tier", {}, "openai/gpt-5-nano"],
    ["medium tier", { classification: { tier: "medium" } }, "openai/gpt-5-mini"],
    [
      "vision skips mistral and honours health",
      {
        request: { images: true },
        candidates: [
          ...only(["openai/gpt-5-nano"], { healthy: false }),
          ...only(["mistral/mistral-small", "anthropic/claude-haiku-4-5"]),
        ],
      },
      "anthropic/claude-haiku-4-5",
    ],
    [
      "the next tier up when none fits",
      { candidates: only(["openai/gpt-5-mini", "openai/gpt-5"]) },
      "openai/gpt-5-mini",
    ],
    [
      "any tier (below) as a last resort",
      {
        classification: { tier: "complex" },
        candidates: only(["openai/gpt-5-nano", "gemini/gemini-2.5-flash"]),
      },
      "gemini/gemini-2.5-flash",
    ],
    [
      "the context window counts max_tokens",
      { request: { estimated_prompt_tokens: 395_000, max_tokens: 10_000 } },
      "gemini/gemini-2.5-flash-lite",
    ],
    [
      "an unhealthy candidate when nothing healthy fits",
      { candidates: only(["openai/gpt-5-nano"], { healthy: false }) },
      "openai/gpt-5-nano",
    ],
  ])("%s", (_, patch, model) => {
    const decision = builtinDecide(mergeInput(base, patch) as PolicyInput);
    expect("model" in decision ? decision.model : decision).toBe(model);
  });

  test("rejects when nothing can serve the request", () => {
    const input = mergeInput(base, {
      request: { images: true },
      candidates: only(["mistral/mistral-small"]),
    });
    expect(builtinDecide(input as PolicyInput)).toMatchObject({
      reject: { status: 400, code: "no_capable_model" },
    });
    expect(builtinDecide({ ...base, candidates: [] })).toMatchObject({
      reject: { status: 503, code: "no_candidates" },
    });
  });
});
