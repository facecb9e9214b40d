// An upstream that reports no usage (JSON or stream, or a stream cut short) is billed on an estimate, never as free.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type CatalogModel, costOf, type TokenCounts } from "../../src/catalog";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
let model: CatalogModel;
beforeAll(async () => {
  h = await startHarness({
    config: { budgets: [{ scope: "team", name: "estimated", period: "day", limitUsd: 1000 }] },
  });
  model = h.server.catalog.resolve("gpt-5-nano") as CatalogModel;
});
afterAll(() => h.close());

// "Hello there": 11 characters → ceil(11 / 4) + 4 per message = 7 prompt tokens (the parse stage's estimate).
const PROMPT_ESTIMATE = 7;
const REPLY = "An answer of exactly forty-one characters"; // 41 characters → 11 completion tokens
const hello = (extra: Record<string, unknown> = {}) => ({
  model: "gpt-5-nano",
  messages: [{ role: "user", content: "Hello there" }],
  ...extra,
});
const noUsage = { "x-sim-usage": "none", "x-sim-reply": REPLY };
const expected: TokenCounts = { prompt: PROMPT_ESTIMATE, cached: 0, completion: 11 };

interface Chunk {
  choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  spendex?: { cost_usd: number; usage_estimated?: boolean };
}

async function chunksOf(response: Response): Promise<Array<Chunk | "[DONE]">> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => (block === "data: [DONE]" ? "[DONE]" : (JSON.parse(block.slice(6)) as Chunk)));
}

describe("a JSON answer without usage", () => {
  test("is priced on the prompt estimate and the answer's characters, and marked", async () => {
    const response = await h.call("/v1/chat/completions", { json: hello(), headers: noUsage });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      usage: unknown;
      spendex: { cost_usd: number; usage_estimated?: boolean };
    };
    expect(body.usage).toEqual({ prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 });
    expect(body.spendex.usage_estimated).toBe(true);
    expect(body.spendex.cost_usd).toBeGreaterThan(0);
    expect(body.spendex.cost_usd).toBe(costOf(model, expected));
    expect(logRow(h, response.headers.get("x-request-id"))).toMatchObject({
      usageEstimated: true,
      promptTokens: 7,
      completionTokens: 11,
      costUsd: body.spendex.cost_usd,
    });
  });

  test("a reported usage is used as is and not marked", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: hello(),
      headers: { "x-sim-reply": REPLY },
    });
    const body = (await response.json()) as { usage: { prompt_tokens: number }; spendex: object };
    // The simulator counts 4 characters a token of the message text, without the per-message overhead.
    expect(body.usage.prompt_tokens).toBe(3);
    expect(body.spendex).not.toHaveProperty("usage_estimated");
    expect(logRow(h, response.headers.get("x-request-id"))).toMatchObject({ usageEstimated: false });
  });

  test("tool-call arguments count as output", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "weather",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const response = await h.call("/v1/chat/completions", {
      json: hello({ tools }),
      headers: { "x-sim-usage": "none" },
    });
    const body = (await response.json()) as {
      choices: Array<{ message: { tool_calls: Array<{ function: { name: string; arguments: string } }> } }>;
      usage: { completion_tokens: number };
      spendex: { usage_estimated?: boolean };
    };
    const call = body.choices[0]?.message.tool_calls[0]?.function;
    expect(call?.name).toBe("weather");
    const chars = (call?.name.length ?? 0) + (call?.arguments.length ?? 0);
    expect(body.usage.completion_tokens).toBe(Math.ceil(chars / 4));
    expect(body.spendex.usage_estimated).toBe(true);
  });
});

describe("a stream without usage", () => {
  test("with include_usage, the client gets an estimated usage chunk carrying the mark", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: hello({ stream: true, stream_options: { include_usage: true } }),
      headers: noUsage,
    });
    const chunks = await chunksOf(response);
    expect(chunks.at(-1)).toBe("[DONE]");
    const last = chunks.at(-2) as Chunk;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 });
    expect(last.spendex?.usage_estimated).toBe(true);
    expect(last.spendex?.cost_usd).toBe(costOf(model, expected));
    expect(logRow(h, response.headers.get("x-request-id"))).toMatchObject({
      usageEstimated: true,
      completionTokens: 11,
    });
  });

  test("without include_usage, no usage chunk; the finish chunk carries the mark and the cost", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: hello({ stream: true }),
      headers: noUsage,
    });
    const chunks = (await chunksOf(response)).filter((c): c is Chunk => c !== "[DONE]");
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    const last = chunks.at(-1) as Chunk;
    expect(last.choices[0]?.finish_reason).toBe("stop");
    expect(last.spendex).toMatchObject({ usage_estimated: true, cost_usd: costOf(model, expected) });
  });

  test("a stream cut after content is billed on what was relayed", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: hello({ stream: true }),
      headers: { "x-sim-reply": REPLY, "x-sim-fault": "cut:3" },
    });
    const chunks = (await chunksOf(response)).filter((c): c is Chunk => c !== "[DONE]");
    const relayed = chunks.map((chunk) => chunk.choices?.[0]?.delta.content ?? "").join("");
    expect(relayed.length).toBeGreaterThan(0);
    expect(relayed.length).toBeLessThan(REPLY.length);
    const row = logRow(h, response.headers.get("x-request-id"));
    const tokens = { prompt: PROMPT_ESTIMATE, cached: 0, completion: Math.ceil(relayed.length / 4) };
    expect(row).toMatchObject({
      outcome: "error_after_first_byte",
      usageEstimated: true,
      completionTokens: tokens.completion,
      costUsd: costOf(model, tokens),
    });
    expect(row?.costUsd).toBeGreaterThan(0);
  });
});

test("the budget settles the estimate, so a missing usage cannot bypass it", async () => {
  const issued = h.server.store.keys.create({ name: "estimator", env: "live", team: "estimated" });
  const costs: number[] = [];
  for (const stream of [false, true]) {
    const response = await h.call("/v1/chat/completions", {
      json: hello({ stream }),
      headers: { ...noUsage, authorization: `Bearer ${issued.key}` },
    });
    expect(response.status).toBe(200);
    await response.text();
    costs.push((logRow(h, response.headers.get("x-request-id"))?.costUsd as number) ?? 0);
  }
  expect(costs).toEqual([costOf(model, expected), costOf(model, expected)]);
  await h.server.budgets.flushSpend();
  const now = new Date();
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const stored = h.server.store.budgets.spend("team", "estimated", day);
  expect(stored.spentUsd).toBeCloseTo(2 * costOf(model, expected), 12);
});
