// The budget reservation covers what a request can really cost: `n` choices are each up to the output limit.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  // gpt-5-nano output is $0.40 / 1M tokens: 1,000 output tokens are $0.0004 a choice.
  h = await startHarness({
    providers: ["openai"],
    config: { budgets: [{ scope: "key", name: "test", period: "day", limitUsd: 0.001 }] },
  });
});
afterAll(() => h.close());

const ask = (n: number) =>
  h.call("/v1/chat/completions", {
    json: { model: "gpt-5-nano", max_tokens: 1_000, n, messages: [{ role: "user", content: "Hi" }] },
  });

test.each([
  [1, 200],
  [2, 200],
  [3, 402],
  [8, 402],
])("n=%d with max_tokens 1000 under a $0.001 budget → %d", async (n, status) => {
  const response = await ask(n);
  expect(response.status).toBe(status);
  const body = (await response.json()) as { choices?: unknown[]; error?: { type: string; code: string } };
  if (status === 200) expect(body.choices).toHaveLength(n);
  else {
    expect(body.error).toMatchObject({ type: "billing_error", code: "budget_exceeded" });
    expect(response.headers.get("x-should-retry")).toBe("false");
    expect(logRow(h, response.headers.get("x-request-id"))).toMatchObject({
      status: 402,
      errorCode: "budget_exceeded",
    });
  }
});
