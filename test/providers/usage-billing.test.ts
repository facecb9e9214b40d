// OpenAI and Gemini usage -> cost_usd, pinned: cached tokens at the model's cached-input price, reasoning/thinking
// tokens billed once, as output. Expected costs are worked by hand from the catalog's prices.

import { describe, expect, test } from "bun:test";
import { Catalog, costOf } from "../../src/catalog";
import { toTokenCounts as geminiTokens } from "../../src/providers/gemini";
import { tokensFromUsage } from "../../src/providers/openai-compatible";

const catalog = new Catalog();

describe("OpenAI usage", () => {
  test("cached_tokens at the cached-input price; reasoning_tokens already inside completion_tokens, billed once", () => {
    const tokens = tokensFromUsage({
      prompt_tokens: 2_000,
      completion_tokens: 500,
      total_tokens: 2_500,
      prompt_tokens_details: { cached_tokens: 1_500 },
      completion_tokens_details: { reasoning_tokens: 400 },
    });
    expect(tokens).toEqual({ prompt: 2_000, cached: 1_500, completion: 500 });
    // gpt-5: 500 fresh x $1.25 + 1,500 cached x $0.125 + 500 out x $10 per 1M.
    expect(costOf(catalog.get("openai/gpt-5")!, tokens)).toBe(0.0058125);
  });
});

describe("Gemini usage", () => {
  test("cachedContentTokenCount (inside promptTokenCount) at the cached price; thoughts billed as output", () => {
    const tokens = geminiTokens({
      promptTokenCount: 1_000,
      cachedContentTokenCount: 800,
      candidatesTokenCount: 100,
      thoughtsTokenCount: 300,
    });
    expect(tokens).toEqual({ prompt: 1_000, cached: 800, completion: 400 });
    // gemini-2.5-flash: 200 fresh x $0.30 + 800 cached x $0.03 + 400 out x $2.50 per 1M = $0.001084.
    expect(costOf(catalog.get("gemini/gemini-2.5-flash")!, tokens)).toBe(0.001084);
  });
});
