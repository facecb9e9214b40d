// POST /v1/embeddings through the official openai and Mistral SDKs: vectors, usage, cost, log row, errors, retries, budgets.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { Mistral } from "@mistralai/mistralai";
import OpenAI from "openai";
import type { BudgetView } from "../../src/gateway";
import { type Harness, logRow, startHarness } from "../support/harness";
import { parseExposition } from "../support/prometheus";

let h: Harness;
let client: OpenAI;
let base: string;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "mistral"],
    config: { budgets: [{ scope: "key", name: "test", period: "day", limitUsd: 5 }] },
  });
  base = h.listen();
  client = new OpenAI({ apiKey: h.key, baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());
afterEach(() => h.sim.setFaults({}));

type Spendex = { routed_model: string; provider: string; cost_usd: number; request_id: string };
const spendexOf = (body: unknown) => (body as { spendex: Spendex }).spendex;

async function post(path: string, json: unknown, headers: Record<string, string> = {}) {
  const response = await h.call(path, { json, headers });
  return {
    response,
    body: (await response.json()) as {
      error: { code: string; message: string };
      usage: { prompt_tokens: number };
    },
  };
}

describe("embeddings through the openai SDK", () => {
  test("float and base64 answers decode to the same vector; usage, cost and the log row", async () => {
    const input = "The quick brown fox jumps over the lazy dog";
    const floats = await client.embeddings.create({
      model: "text-embedding-3-small",
      input,
      encoding_format: "float",
    });
    // The SDK decodes base64 into numbers itself: both answers must be the same float32 vector.
    const decoded = await client.embeddings.create({ model: "text-embedding-3-small", input });
    expect(floats.data).toHaveLength(1);
    expect(floats.data[0]!.embedding).toHaveLength(1536);
    expect(decoded.data[0]!.embedding).toEqual(floats.data[0]!.embedding);
    const norm = Math.hypot(...floats.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 5);
    // 43 characters → 11 tokens in the simulator; $0.02 per 1M tokens.
    expect(floats.usage).toEqual({ prompt_tokens: 11, total_tokens: 11 });
    const spendex = spendexOf(floats);
    expect(spendex).toMatchObject({ routed_model: "text-embedding-3-small", provider: "openai" });
    expect(spendex.cost_usd).toBeCloseTo((11 * 0.02) / 1e6, 12);
    expect(spendex.request_id).toMatch(/^req_[0-9a-f]{32}$/);
    // The upstream got the body untouched but for the model, and the provider's key, not the client's.
    const sent = h.sim.records().at(-1)!;
    expect(sent.path).toBe("/v1/embeddings");
    expect(sent.headers.authorization).toBe("Bearer test-openai-key");
    const row = logRow(h, spendex.request_id);
    expect(row).toMatchObject({
      endpoint: "embeddings",
      requestedModel: "text-embedding-3-small",
      routedModel: "openai/text-embedding-3-small",
      provider: "openai",
      tier: null,
      status: 200,
      outcome: "complete",
      promptTokens: 11,
      completionTokens: 0,
      stream: false,
    });
    expect(row?.costUsd).toBeCloseTo(spendex.cost_usd, 12);
  });

  test("a batch of inputs, dimensions honoured, headers like chat's", async () => {
    const { data, response } = await client.embeddings
      .create({ model: "openai/text-embedding-3-large", input: ["one", "two", "three"], dimensions: 256 })
      .withResponse();
    expect(data.data.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(data.data.every((item) => item.embedding.length === 256)).toBe(true);
    expect(data.data[0]!.embedding).not.toEqual(data.data[1]!.embedding);
    // 3, 3 and 5 characters → 1 + 1 + 2 tokens in the simulator.
    expect(data.usage.prompt_tokens).toBe(4);
    expect(spendexOf(data).cost_usd).toBeCloseTo((4 * 0.13) / 1e6, 12);
    expect(response.headers.get("x-request-id")).toBe(spendexOf(data).request_id);
    expect(response.headers.get("x-spendex-routed-model")).toBe("openai/text-embedding-3-large");
    expect(response.headers.get("x-spendex-tier")).toBeNull();
    expect(response.headers.get("server-timing")).toContain("dispatch;dur=");
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("10000");
  });

  test("unknown fields go upstream untouched; /embeddings without /v1 works too", async () => {
    const { response, body } = await post("/embeddings", {
      model: "text-embedding-ada-002",
      input: [1, 2, 3, 4],
      custom_field: { kept: true },
    });
    expect(response.status).toBe(200);
    expect(body.usage.prompt_tokens).toBe(4);
    expect(h.sim.records().at(-1)!.body).toEqual({
      model: "text-embedding-ada-002",
      input: [1, 2, 3, 4],
      custom_field: { kept: true },
    });
  });

  test("a 503 is retried on the same model and listed in fallbacks; no other model is tried", async () => {
    h.sim.setFaults({ "text-embedding-3-small": { kind: "status", status: 503, times: 1 } });
    const answer = await client.embeddings.create({ model: "text-embedding-3-small", input: "retry me" });
    const fallbacks = (
      answer as unknown as { spendex: { fallbacks: Array<{ model: string; status: number }> } }
    ).spendex.fallbacks;
    expect(fallbacks.map((f) => [f.model, f.status])).toEqual([
      ["openai/text-embedding-3-small", 503],
      ["openai/text-embedding-3-small", 200],
    ]);
    h.sim.setFaults({ "text-embedding-3-small": { kind: "status", status: 503, times: 5 } });
    const { response, body } = await post("/v1/embeddings", { model: "text-embedding-3-small", input: "x" });
    expect(response.status).toBe(503);
    expect(body.error.code).toBe("provider_unavailable");
    expect(body.error.message).not.toContain("mistral");
  });
});

describe("errors", () => {
  test("401 without a key, like chat", async () => {
    const response = await h.server.app.handle(
      new Request("http://spendex.local/v1/embeddings", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "text-embedding-3-small", input: "x" }),
      }),
    );
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });

  test.each([
    ["a chat model on embeddings", "/v1/embeddings", { model: "gpt-5-nano", input: "x" }, "wrong_model_kind"],
    ["auto on embeddings", "/v1/embeddings", { model: "auto", input: "x" }, "wrong_model_kind"],
    [
      "an embedding model on chat",
      "/v1/chat/completions",
      { model: "text-embedding-3-small", messages: [{ role: "user", content: "hi" }] },
      "wrong_model_kind",
    ],
    ["an empty input", "/v1/embeddings", { model: "text-embedding-3-small", input: [] }, "invalid_request"],
    [
      "an empty string in a batch",
      "/v1/embeddings",
      { model: "text-embedding-3-small", input: ["a", ""] },
      "invalid_request",
    ],
    [
      "an object input",
      "/v1/embeddings",
      { model: "text-embedding-3-small", input: { a: 1 } },
      "invalid_request",
    ],
    [
      "a bad encoding_format",
      "/v1/embeddings",
      { model: "text-embedding-3-small", input: "x", encoding_format: "int8" },
      "invalid_request",
    ],
    [
      "zero dimensions",
      "/v1/embeddings",
      { model: "text-embedding-3-small", input: "x", dimensions: 0 },
      "invalid_request",
    ],
  ])("%s → 400 %s, no upstream call", async (_name, path, json, code) => {
    const before = h.sim.records().length;
    const { response, body } = await post(path, json);
    expect(response.status).toBe(400);
    expect(body.error.code).toBe(code);
    expect(h.sim.records().length).toBe(before);
  });

  test("an unknown model → 404 model_not_found, logged as an embeddings row", async () => {
    const { response, body } = await post("/v1/embeddings", { model: "no-such-embedder", input: "x" });
    expect(response.status).toBe(404);
    expect(body.error.code).toBe("model_not_found");
    expect(logRow(h, response.headers.get("x-request-id"))).toMatchObject({
      endpoint: "embeddings",
      status: 404,
      outcome: "failed",
      errorCode: "model_not_found",
    });
  });

  test("/v1/models lists embedding models without a tier", async () => {
    const body = (await (await h.call("/v1/models")).json()) as { data: Array<Record<string, unknown>> };
    const small = body.data.find((model) => model.id === "openai/text-embedding-3-small");
    expect(small).toMatchObject({ kind: "embedding", dimensions: 1536, owned_by: "openai" });
    expect(small?.tier).toBeUndefined();
    expect(body.data.find((model) => model.id === "mistral/mistral-embed")).toBeDefined();
  });
});

describe("budgets", () => {
  const view = async () => {
    const views = (await h.server.budgets.applicable({ key: "test" })) as BudgetView[];
    return views.find((v) => v.scope === "key" && v.name === "test")!;
  };

  test("settled from usage.prompt_tokens, nothing left reserved", async () => {
    const before = (await view()).spent_usd;
    const answer = await client.embeddings.create({
      model: "text-embedding-3-large",
      input: "x".repeat(400),
    });
    const after = await view();
    expect(answer.usage.prompt_tokens).toBe(100);
    expect(after.spent_usd - before).toBeCloseTo((100 * 0.13) / 1e6, 12);
    expect(after.reserved_usd).toBe(0);
  });

  test("a request whose estimate does not fit gets 402", async () => {
    const limited = await startHarness({
      config: { budgets: [{ scope: "key", name: "test", period: "day", limitUsd: 0.000001 }] },
    });
    try {
      const response = await limited.call("/v1/embeddings", {
        json: { model: "text-embedding-3-large", input: "y".repeat(400) },
      });
      expect(response.status).toBe(402);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("budget_exceeded");
      expect(limited.sim.records()).toHaveLength(0);
    } finally {
      await limited.close();
    }
  });
});

test("mistral-embed through the Mistral SDK", async () => {
  const mistral = new Mistral({ apiKey: h.key, serverURL: base, retryConfig: { strategy: "none" } });
  const answer = await mistral.embeddings.create({
    model: "mistral-embed",
    inputs: ["Embed this.", "And this."],
  });
  expect(answer.data).toHaveLength(2);
  expect(answer.data[0]!.embedding).toHaveLength(1024);
  expect(answer.usage.promptTokens).toBe(6);
  expect(h.sim.records().at(-1)!.headers.authorization).toBe("Bearer test-mistral-key");
  h.server.store.log.flush();
  const rows = (await h.server.store.log.read()).filter((r) => r.routedModel === "mistral/mistral-embed");
  expect(rows.at(-1)).toMatchObject({
    endpoint: "embeddings",
    provider: "mistral",
    promptTokens: 6,
    status: 200,
  });
  expect(rows.at(-1)?.costUsd).toBeCloseTo((6 * 0.1) / 1e6, 12);
});

describe("metrics", () => {
  test("embeddings requests are counted apart from chat, by endpoint", async () => {
    const scrape = async () => parseExposition(await (await h.call("/metrics")).text());
    const labels = {
      endpoint: "embeddings",
      provider: "openai",
      model: "openai/text-embedding-3-small",
      tier: "",
      routing: "pinned",
      code: "200",
      outcome: "complete",
    };
    const before = (await scrape()).value("spendex_requests_total", labels) ?? 0;
    await client.embeddings.create({ model: "text-embedding-3-small", input: "count me" });
    const after = await scrape();
    expect(after.value("spendex_requests_total", labels)).toBe(before + 1);
    expect(after.select("spendex_requests_total", { endpoint: "embeddings", tier: "simple" })).toEqual([]);
  });
});
