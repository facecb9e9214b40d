// The catalog: name resolution, tiers cheapest first, and pricing with cached and cache-write tokens.

import { describe, expect, test } from "bun:test";
import { Catalog, costOf } from "../../src/catalog";

const catalog = new Catalog();

describe("catalog", () => {
  test.each([
    ["gpt-5", "openai/gpt-5"],
    ["openai/gpt-5", "openai/gpt-5"],
    ["claude-sonnet-4-6", "anthropic/claude-sonnet-4-6"],
    ["mistral-large", "mistral/mistral-large"],
  ])("%s resolves to %s", (name, id) => {
    expect(catalog.resolve(name)?.id).toBe(id);
  });

  test("unknown names resolve to nothing", () => {
    expect(catalog.resolve("gpt-4o-ultra")).toBeUndefined();
  });

  test("tiers list models cheapest first, restricted to providers and needs", () => {
    const all = new Set(["openai", "anthropic", "gemini", "mistral"]);
    expect(catalog.inTier("simple", all).map((m) => m.id)).toEqual([
      "openai/gpt-5-nano",
      "mistral/mistral-small",
      "gemini/gemini-2.5-flash-lite",
      "anthropic/claude-haiku-4-5",
    ]);
    const big = { tools: false, vision: false, jsonSchema: false, contextTokens: 500_000 };
    expect(catalog.inTier("complex", all, big).map((m) => m.id)).toEqual(["gemini/gemini-2.5-pro"]);
  });

  test.each([
    ["openai/gpt-5", { prompt: 1_000_000, cached: 0, completion: 0 }, 1.25],
    ["openai/gpt-5", { prompt: 1_000_000, cached: 1_000_000, completion: 0 }, 0.125],
    [
      "openai/gpt-5-mini",
      { prompt: 2_000, cached: 1_000, completion: 500 },
      (1000 * 0.25 + 1000 * 0.025 + 500 * 2) / 1e6,
    ],
    [
      "anthropic/claude-sonnet-4-6",
      { prompt: 3_000, cached: 1_000, cacheWrite: 1_000, completion: 100 },
      (1000 * 3 + 1000 * 0.3 + 1000 * 3.75 + 100 * 15) / 1e6,
    ],
  ] as const)("cost of %s", (id, tokens, usd) => {
    expect(costOf(catalog.get(id)!, tokens)).toBeCloseTo(usd, 12);
  });
});
