// Pricing what the provider bills: 1-hour cache writes above 5-minute ones, web searches per search, and a saving
// that compares tokens only. Expected numbers are worked by hand from the catalog's published prices.

import { describe, expect, test } from "bun:test";
import { Catalog, costOf, tokenCostOf } from "../../src/catalog";
import { newContext } from "../../src/gateway/context";
import { price } from "../../src/gateway/respond";

const catalog = new Catalog();
const haiku = catalog.get("anthropic/claude-haiku-4-5")!;
const sonnet = catalog.get("anthropic/claude-sonnet-4-6")!;
const gpt5 = catalog.get("openai/gpt-5")!;

describe("Anthropic prices in the catalog", () => {
  test("cache reads 0.1x, 5-minute writes 1.25x, 1-hour writes 2x input; web search $10 per 1,000", () => {
    expect(haiku.prices).toEqual({
      input: 1,
      cachedInput: 0.1,
      output: 5,
      cacheWrite: 1.25,
      cacheWrite1h: 2,
      webSearch: 10,
    });
    expect(sonnet.prices).toMatchObject({
      cachedInput: 0.3,
      cacheWrite: 3.75,
      cacheWrite1h: 6,
      webSearch: 10,
    });
    expect(catalog.get("anthropic/claude-opus-4-6")!.prices).toMatchObject({
      cachedInput: 0.5,
      cacheWrite: 6.25,
      cacheWrite1h: 10,
      webSearch: 10,
    });
  });
});

describe("costOf", () => {
  test("1-hour cache writes at 2x input, 5-minute ones at 1.25x, reads at 0.1x", () => {
    // haiku: 100 fresh x $1 + 2,000 5m writes x $1.25 + 3,000 1h writes x $2 + 500 reads x $0.10 + 200 out x $5.
    const tokens = { prompt: 5_600, cached: 500, cacheWrite: 5_000, cacheWrite1h: 3_000, completion: 200 };
    expect(costOf(haiku, tokens)).toBe(0.00965);
  });

  test("only 1-hour writes: all at 2x (sonnet: $6 per 1M)", () => {
    const tokens = { prompt: 10_000, cached: 0, cacheWrite: 10_000, cacheWrite1h: 10_000, completion: 0 };
    expect(costOf(sonnet, tokens)).toBe(0.06);
  });

  test("web searches at $0.01 each, on top of the tokens", () => {
    // 1,000 input x $1 + 100 out x $5 = $0.0015; 3 searches x $0.01 = $0.03.
    expect(costOf(haiku, { prompt: 1_000, cached: 0, completion: 100, webSearches: 3 })).toBe(0.0315);
    expect(tokenCostOf(haiku, { prompt: 1_000, cached: 0, completion: 100, webSearches: 3 })).toBe(0.0015);
  });

  test("a model without a web-search price bills none; without a 1-hour price, 1-hour writes at cacheWrite", () => {
    expect(costOf(gpt5, { prompt: 1_000_000, cached: 0, completion: 0, webSearches: 5 })).toBe(1.25);
    const custom = { ...haiku, prices: { input: 1, cachedInput: 0.1, output: 5, cacheWrite: 1.25 } };
    expect(
      costOf(custom, { prompt: 1_000, cached: 0, cacheWrite: 1_000, cacheWrite1h: 1_000, completion: 0 }),
    ).toBe(0.00125);
  });
});

describe("price (cost_usd and saved_usd)", () => {
  test("the search fee is in cost_usd, not in the saving: the baseline would have run the same searches", () => {
    const context = { ...newContext("req_billing"), pinned: false };
    const tokens = { prompt: 1_000, cached: 0, completion: 100, webSearches: 2 };
    price(context, haiku, tokens, gpt5, () => 0);
    // haiku: 1,000 x $1 + 100 x $5 = $0.0015, + 2 x $0.01; gpt-5: 1,000 x $1.25 + 100 x $10 = $0.00225.
    expect(context.costUsd).toBe(0.0215);
    expect(context.savedUsd).toBe(0.00075);
  });
});
