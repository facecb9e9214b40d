// POST /v1/embeddings on Gemini (batchEmbedContents) through the official openai SDK: vectors, base64, dimensions,
// estimated usage and cost, the log row, refusals and retries.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { vectorOf } from "../../src/simulator/embeddings";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({ providers: ["gemini"] });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());
afterEach(() => h.sim.setFaults({}));

interface Spendex {
  routed_model: string;
  provider: string;
  cost_usd: number;
  request_id: string;
  usage_estimated?: boolean;
  fallbacks?: Array<{ model: string; status: number }>;
}
const spendexOf = (body: unknown) => (body as { spendex: Spendex }).spendex;
const PRICE = 0.15; // USD per 1M input tokens, gemini-embedding-001

describe("gemini embeddings through the openai SDK", () => {
  test("float and base64 decode to the same vector; estimated usage, cost and the log row", async () => {
    const input = "The quick brown fox jumps over the lazy dog";
    const floats = await client.embeddings.create({
      model: "gemini-embedding-001",
      input,
      encoding_format: "float",
    });
    // Without encoding_format the SDK asks for base64 and decodes the float32 bytes itself.
    const decoded = await client.embeddings.create({ model: "gemini-embedding-001", input });
    const expected = Array.from(vectorOf(input, 3072));
    expect(floats.object).toBe("list");
    expect(floats.model).toBe("gemini-embedding-001");
    expect(floats.data).toEqual([{ object: "embedding", index: 0, embedding: expected }]);
    expect(decoded.data[0]!.embedding).toEqual(expected);
    // Gemini reports no tokens: 43 characters estimated at 4 a token → 11, billed and marked as an estimate.
    expect(floats.usage).toEqual({ prompt_tokens: 11, total_tokens: 11 });
    const spendex = spendexOf(floats);
    expect(spendex).toMatchObject({
      routed_model: "gemini-embedding-001",
      provider: "gemini",
      usage_estimated: true,
    });
    expect(spendex.cost_usd).toBeCloseTo((11 * PRICE) / 1e6, 12);
    const sent = h.sim.records().at(-2)!;
    expect(sent.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(sent.headers["x-goog-api-key"]).toBe("test-gemini-key");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: input }] } }],
    });
    expect(logRow(h, spendex.request_id)).toMatchObject({
      endpoint: "embeddings",
      requestedModel: "gemini-embedding-001",
      routedModel: "gemini/gemini-embedding-001",
      provider: "gemini",
      tier: null,
      status: 200,
      outcome: "complete",
      promptTokens: 11,
      completionTokens: 0,
      usageEstimated: true,
    });
    expect(logRow(h, spendex.request_id)?.costUsd).toBeCloseTo(spendex.cost_usd, 12);
  });

  test("a batch in one upstream call, dimensions → outputDimensionality, user dropped", async () => {
    const calls = h.sim.records().length;
    const answer = await client.embeddings.create({
      model: "gemini/gemini-embedding-001",
      input: ["one", "two", "three"],
      dimensions: 256,
      user: "alice",
      encoding_format: "float",
    });
    expect(h.sim.records().length).toBe(calls + 1);
    expect(answer.data.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(answer.data.map((item) => item.embedding)).toEqual(
      ["one", "two", "three"].map((text) => Array.from(vectorOf(text, 3072)).slice(0, 256)),
    );
    // 3, 3 and 5 characters → 1 + 1 + 2 estimated tokens.
    expect(answer.usage.prompt_tokens).toBe(4);
    expect(spendexOf(answer).cost_usd).toBeCloseTo((4 * PRICE) / 1e6, 12);
    const body = h.sim.records().at(-1)!.body as { requests: Array<Record<string, unknown>> };
    expect(body.requests.map((request) => request.outputDimensionality)).toEqual([256, 256, 256]);
    expect(JSON.stringify(body)).not.toContain("alice");
    const base64 = await client.embeddings.create({
      model: "gemini-embedding-001",
      input: ["one", "two", "three"],
      dimensions: 256,
    });
    expect(base64.data.map((item) => item.embedding)).toEqual(answer.data.map((item) => item.embedding));
  });

  test("250 inputs: three upstream calls (100, 100, 50), 250 embeddings in order, float and base64", async () => {
    const input = Array.from({ length: 250 }, (_, i) => `chunk ${i} of a long document`);
    const expected = input.map((text) => Array.from(vectorOf(text, 3072)));
    const calls = h.sim.records().length;
    const floats = await client.embeddings.create({
      model: "gemini-embedding-001",
      input,
      encoding_format: "float",
    });
    const sent = h.sim.records().slice(calls);
    expect(
      sent.map((record) => (record.body as { requests: unknown[] }).requests.length).sort((a, b) => a - b),
    ).toEqual([50, 100, 100]);
    expect(floats.data).toHaveLength(250);
    expect(floats.data.map((item) => item.index)).toEqual(input.map((_, i) => i));
    expect(floats.data.map((item) => item.embedding)).toEqual(expected);
    // Estimated usage for the whole list: 250 texts of 25 or 26 characters → 7 tokens each.
    expect(floats.usage).toEqual({ prompt_tokens: 1750, total_tokens: 1750 });
    expect(spendexOf(floats)).toMatchObject({ provider: "gemini", usage_estimated: true });
    expect(spendexOf(floats).fallbacks).toBeUndefined();
    // The SDK's default: base64, decoded by the SDK into the same vectors.
    const decoded = await client.embeddings.create({ model: "gemini-embedding-001", input });
    expect(decoded.data.map((item) => item.index)).toEqual(input.map((_, i) => i));
    expect(decoded.data.map((item) => item.embedding)).toEqual(expected);
  });

  test("one failed batch fails the attempt; the whole request is retried and answered", async () => {
    h.sim.setFaults({ "gemini-embedding-001": { kind: "status", status: 503, times: 1 } });
    const input = Array.from({ length: 150 }, (_, i) => `retry ${i}`);
    const answer = await client.embeddings.create({
      model: "gemini-embedding-001",
      input,
      dimensions: 8,
      encoding_format: "float",
    });
    expect(spendexOf(answer).fallbacks?.map((f) => [f.model, f.status])).toEqual([
      ["gemini/gemini-embedding-001", 503],
      ["gemini/gemini-embedding-001", 200],
    ]);
    expect(answer.data.map((item) => item.embedding)).toEqual(
      input.map((text) => Array.from(vectorOf(text, 3072)).slice(0, 8)),
    );
  });

  test("the base64 answer is little-endian float32, as OpenAI sends it", async () => {
    const response = await h.call("/v1/embeddings", {
      json: { model: "gemini-embedding-001", input: "abc", dimensions: 4, encoding_format: "base64" },
    });
    const body = (await response.json()) as { data: Array<{ embedding: string }> };
    const bytes = Buffer.from(body.data[0]!.embedding, "base64");
    expect(bytes.length).toBe(16);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const values = [0, 1, 2, 3].map((i) => view.getFloat32(i * 4, true));
    expect(values).toEqual(Array.from(vectorOf("abc", 3072)).slice(0, 4));
  });

  test("a 503 is retried on the same model and listed in fallbacks", async () => {
    h.sim.setFaults({ "gemini-embedding-001": { kind: "status", status: 503, times: 1 } });
    const answer = await client.embeddings.create({ model: "gemini-embedding-001", input: "retry me" });
    expect(spendexOf(answer).fallbacks?.map((f) => [f.model, f.status])).toEqual([
      ["gemini/gemini-embedding-001", 503],
      ["gemini/gemini-embedding-001", 200],
    ]);
    expect(answer.data[0]!.embedding).toEqual(Array.from(vectorOf("retry me", 3072)));
  });
});

describe("refusals", () => {
  test.each([
    [
      "token ids",
      { input: [1, 2, 3] },
      "input",
      "The provider 'gemini' does not support 'input': Gemini embeds text only, not token ids; send strings.",
    ],
    [
      "token-id arrays",
      { input: [[1, 2], [3]] },
      "input",
      "The provider 'gemini' does not support 'input': Gemini embeds text only, not token ids; send strings.",
    ],
    [
      "an unknown field",
      { input: "x", task_type: "RETRIEVAL_QUERY" },
      "task_type",
      "The provider 'gemini' does not support 'task_type': the Gemini embeddings API has no equivalent.",
    ],
  ])("%s: 400 unsupported_parameter, nothing sent upstream", async (_, fields, param, message) => {
    const calls = h.sim.records().length;
    const response = await h.call("/v1/embeddings", { json: { model: "gemini-embedding-001", ...fields } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { type: "invalid_request_error", code: "unsupported_parameter", param, message },
    });
    expect(h.sim.records().length).toBe(calls);
  });

  test("Google's own 400 is passed on with its message", async () => {
    const response = await h.call("/v1/embeddings", {
      json: { model: "gemini-embedding-001", input: "x", dimensions: 4000 },
    });
    expect(response.status).toBe(400);
    const error = ((await response.json()) as { error: { message: string; code: string } }).error;
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.message).toContain("output_dimensionality: must be between 1 and 3072");
  });
});
