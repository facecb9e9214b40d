// `auto` with the shipped pieces: the ONNX classifier in models/ and policies/default.js, through the SDK.

import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({ providers: ["openai", "anthropic", "gemini"], build: { routing: true } });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

interface Spendex {
  routed_model: string;
  tier: string;
  policy: string;
  policy_revision: string;
  confidence: number;
  saved_usd: number;
  policy_error?: string;
}

async function auto(content: string): Promise<Spendex> {
  const response = await client.chat.completions.create({
    model: "auto",
    messages: [{ role: "user", content }],
  });
  return (response as unknown as { spendex: Spendex }).spendex;
}

test("small talk is simple and goes to the cheapest simple model, with a saving against gpt-5", async () => {
  const spendex = await auto("hi there, thanks a lot!");
  expect(spendex).toMatchObject({ tier: "simple", routed_model: "gpt-5-nano", policy: "default" });
  expect(spendex.policy_error).toBeUndefined();
  expect(spendex.saved_usd).toBeGreaterThan(0);
  expect(spendex.confidence).toBeGreaterThan(0.33);
  expect(spendex.policy_revision).toMatch(/^[0-9a-f]{12}$/);
});

test("a 40k-character synthesis is complex by the long-context rule and fits the routed model's window", async () => {
  const article = "The committee reviewed the annual figures and the regional reports in detail. ".repeat(
    520,
  );
  const spendex = await auto(
    `${article}\n\nCompare both documents above and write a timeline with citations.`,
  );
  expect(spendex.tier).toBe("complex");
  expect(["gpt-5", "gemini-2.5-pro", "claude-opus-4-6"]).toContain(spendex.routed_model);
});
