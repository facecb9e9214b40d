// Gemini's published prices (ai.google.dev/gemini-api/docs/pricing): context-cache reads at 10% of input, and
// Gemini 2.5 Pro's long-prompt tier, where a prompt over 200k tokens bills the whole request at $2.50 input,
// $0.25 cached input and $15 output per 1M. Expected numbers are worked by hand, never by the code under test.

import { describe, expect, test } from "bun:test";
import { Catalog, costOf, pricesFor, tokenCostOf } from "../../src/catalog";
import { worstCaseUsd } from "../../src/gateway/budgets";
import { newContext } from "../../src/gateway/context";
import { price } from "../../src/gateway/respond";

const catalog = new Catalog();
const pro = catalog.get("gemini/gemini-2.5-pro")!;
const flash = catalog.get("gemini/gemini-2.5-flash")!;
const lite = catalog.get("gemini/gemini-2.5-flash-lite")!;
const gpt5 = catalog.get("openai/gpt-5")!;

describe("Gemini prices in the catalog", () => {
  test("cache reads at 10% of input; only 2.5 Pro has a tier above 200k tokens", () => {
    expect(pro.prices).toEqual({
      input: 1.25,
      cachedInput: 0.125,
      output: 10,
      above: { tokens: 200_000, input: 2.5, cachedInput: 0.25, output: 15 },
    });
    expect(flash.prices).toEqual({ input: 0.3, cachedInput: 0.03, output: 2.5 });
    expect(lite.prices).toEqual({ input: 0.1, cachedInput: 0.01, output: 0.4 });
  });
});

describe("costOf with a long-prompt tier", () => {
  test("a 200,000-token prompt is still the lower tier", () => {
    // 200,000 x $1.25 + 1,000 x $10 = $0.25 + $0.01.
    expect(costOf(pro, { prompt: 200_000, cached: 0, completion: 1_000 })).toBe(0.26);
  });

  test("200,001 tokens bills the whole request at the higher tier, output included", () => {
    // 200,001 x $2.50 + 1,000 x $15 = $0.5000025 + $0.015.
    expect(costOf(pro, { prompt: 200_001, cached: 0, completion: 1_000 })).toBe(0.5150025);
  });

  test("cached tokens at the tier's cached price; the threshold counts cached tokens as prompt", () => {
    // 250,000 prompt, 150,000 cached: 100,000 x $2.50 + 150,000 x $0.25 + 2,000 x $15 = 0.25 + 0.0375 + 0.03.
    const tokens = { prompt: 250_000, cached: 150_000, completion: 2_000 };
    expect(costOf(pro, tokens)).toBe(0.3175);
    expect(tokenCostOf(pro, tokens)).toBe(0.3175);
  });

  test("below the threshold, cached tokens at $0.125 (10%, not 25%)", () => {
    // 100,000 prompt, 80,000 cached: 20,000 x $1.25 + 80,000 x $0.125 + 500 x $10 = 0.025 + 0.01 + 0.005.
    expect(costOf(pro, { prompt: 100_000, cached: 80_000, completion: 500 })).toBe(0.04);
  });

  test("Flash and Flash-Lite have one price at any prompt size", () => {
    // flash: 300,000 x $0.30 + 100,000 cached x $0.03 + 1,000 x $2.50 = 0.09 + 0.003 + 0.0025.
    expect(costOf(flash, { prompt: 400_000, cached: 100_000, completion: 1_000 })).toBe(0.0955);
    // lite: 500,000 x $0.10 + 1,000 x $0.40 = 0.05 + 0.0004.
    expect(costOf(lite, { prompt: 500_000, cached: 0, completion: 1_000 })).toBe(0.0504);
  });

  test("pricesFor keeps extra prices and only swaps the tiered ones", () => {
    const custom = {
      input: 1,
      cachedInput: 0.1,
      output: 5,
      webSearch: 10,
      above: { tokens: 10, input: 2, cachedInput: 0.2, output: 6 },
    };
    expect(pricesFor(custom, 10)).toBe(custom);
    expect(pricesFor(custom, 11)).toMatchObject({ input: 2, cachedInput: 0.2, output: 6, webSearch: 10 });
  });
});

describe("saved_usd and budget reservations use the tier", () => {
  test("saved_usd compares gpt-5 to the tiered Pro price", () => {
    const context = { ...newContext("req_gemini_tier"), pinned: false };
    const tokens = { prompt: 300_000, cached: 0, completion: 1_000 };
    price(context, pro, tokens, gpt5, () => 0);
    // pro: 300,000 x $2.50 + 1,000 x $15 = $0.765; gpt-5: 300,000 x $1.25 + 1,000 x $10 = $0.385.
    expect(context.costUsd).toBe(0.765);
    expect(context.savedUsd).toBe(-0.38);
  });

  test("worstCaseUsd prices an estimated prompt over 200k at the higher tier", () => {
    // 250,000 x $2.50 + 4,000 x $15 = 0.625 + 0.06; at or under 200k: 200,000 x $1.25 + 4,000 x $10 = 0.25 + 0.04.
    expect(worstCaseUsd([pro], 250_000, 4_000)).toBeCloseTo(0.685, 12);
    expect(worstCaseUsd([pro], 200_000, 4_000)).toBeCloseTo(0.29, 12);
  });
});
