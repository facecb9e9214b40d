// OpenAI embeddings request <-> Gemini batchEmbedContents: the pure conversions, and the adapter's batches of 100.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ProviderError, UnsupportedError } from "../../../src/errors";
import { createAdapter, DEFAULT_TIMEOUTS, type ProviderAdapter } from "../../../src/providers";
import { watchedCalls } from "../../../src/providers/core/upstream";
import { fromGeminiEmbeddings, toBase64, toGeminiEmbedBody } from "../../../src/providers/gemini";
import { MAX_BATCH, MAX_IN_FLIGHT } from "../../../src/providers/gemini/embeddings";
import type { EmbeddingResult } from "../../../src/providers/types";
import { startSimulator } from "../../../src/simulator";
import { vectorOf } from "../../../src/simulator/embeddings";
import type { SimulatorHandle } from "../../../src/simulator/types";

describe("request", () => {
  test("one request per text, the model named in each, dimensions -> outputDimensionality, user dropped", () => {
    expect(
      toGeminiEmbedBody(
        {
          model: "gemini-embedding-001",
          input: ["a", "b"],
          dimensions: 8,
          user: "u",
          encoding_format: "base64",
        },
        "models/gemini-embedding-001",
      ),
    ).toEqual({
      requests: [
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "a" }] },
          outputDimensionality: 8,
        },
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "b" }] },
          outputDimensionality: 8,
        },
      ],
    });
  });

  test.each([
    [{ input: [1, 2] }, "input"],
    [{ input: [[1], [2]] }, "input"],
    [{ input: "a", extra: true }, "extra"],
  ])("%j is refused naming %s", (body, param) => {
    let thrown: unknown;
    try {
      toGeminiEmbedBody({ model: "m", ...body }, "gemini-embedding-001");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsupportedError);
    expect((thrown as UnsupportedError).param).toBe(param);
  });
});

describe("response", () => {
  const options = { model: "models/gemini-embedding-001", count: 2, base64: false, provider: "gemini" };

  test("embeddings -> OpenAI's list, float32 values; no usage unless Google sends usageMetadata", () => {
    const json = { embeddings: [{ values: [0.1, -0.5] }, { values: [1, 0] }] };
    expect(fromGeminiEmbeddings(json, options)).toEqual({
      body: {
        object: "list",
        model: "gemini-embedding-001",
        data: [
          { object: "embedding", index: 0, embedding: [Math.fround(0.1), -0.5] },
          { object: "embedding", index: 1, embedding: [1, 0] },
        ],
      },
      promptTokens: undefined,
    });
    const counted = fromGeminiEmbeddings({ ...json, usageMetadata: { promptTokenCount: 7 } }, options);
    expect(counted.promptTokens).toBe(7);
    expect(counted.body.usage).toEqual({ prompt_tokens: 7, total_tokens: 7 });
  });

  test("base64 is little-endian float32", () => {
    expect(toBase64([1, -2])).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]).toString("base64"));
    const answer = fromGeminiEmbeddings(
      { embeddings: [{ values: [1] }, { values: [-2] }] },
      { ...options, base64: true },
    );
    expect(answer.body.data).toEqual([
      { object: "embedding", index: 0, embedding: "AACAPw==" },
      { object: "embedding", index: 1, embedding: "AAAAwA==" },
    ]);
  });

  test.each([
    [{ embeddings: [{ values: [1] }] }],
    [{ embeddings: [{ values: [1] }, { values: "x" }] }],
    [{}],
  ])("a malformed answer %j is a retryable upstream_bad_response", (json) => {
    let thrown: unknown;
    try {
      fromGeminiEmbeddings(json, options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderError);
    expect((thrown as ProviderError).code).toBe("upstream_bad_response");
    expect((thrown as ProviderError).retryable).toBe(true);
  });
});

const texts = (count: number) => Array.from({ length: count }, (_, i) => `text ${i}`);
const connection = { name: "gemini", kind: "gemini" as const, apiKey: "gemini-key" };
const embedOptions = (
  input: unknown,
  extra: Record<string, unknown> = {},
  signal = new AbortController().signal,
) => ({
  body: { model: "gemini-embedding-001", input, ...extra },
  upstreamModel: "gemini-embedding-001",
  signal,
  timeouts: DEFAULT_TIMEOUTS,
});
type Sent = { requests: Array<{ content: { parts: Array<{ text: string }> } }> };
const sentTexts = (body: unknown) => (body as Sent).requests.map((request) => request.content.parts[0]!.text);
const vectors = (result: EmbeddingResult) =>
  (result.body.data as Array<{ index: number; embedding: number[] }>).map((item) => item.embedding);

describe("batches of 100 against the simulator", () => {
  let sim: SimulatorHandle;
  let adapter: ProviderAdapter;
  beforeAll(async () => {
    sim = await startSimulator({ requireKey: "gemini-key" });
    adapter = createAdapter({ ...connection, baseUrl: sim.url });
  });
  afterAll(() => sim.stop());

  test("the limits: 100 texts a call (Google's), 4 calls in flight", () => {
    expect(MAX_BATCH).toBe(100);
    expect(MAX_IN_FLIGHT).toBe(4);
  });

  test("100 texts: one call, the body as toGeminiEmbedBody builds it", async () => {
    const calls = sim.records().length;
    const result = await adapter.embed!(embedOptions(texts(100), { dimensions: 16 }));
    expect(sim.records().length).toBe(calls + 1);
    expect(sim.records().at(-1)!.body).toEqual(
      toGeminiEmbedBody({ input: texts(100), dimensions: 16 }, "gemini-embedding-001"),
    );
    expect(result.body.data.map((item) => (item as { index: number }).index)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  test("250 texts: calls of 100, 100 and 50; 250 vectors, index 0..249, each its own text's", async () => {
    const input = texts(250);
    const calls = sim.records().length;
    const result = await adapter.embed!(embedOptions(input, { dimensions: 16, encoding_format: "float" }));
    const sent = sim.records().slice(calls);
    expect(sent).toHaveLength(3);
    // Sent concurrently, so the simulator may see them in any order; together they are the input, split at 100s.
    const batches = sent.map((record) => sentTexts(record.body)).sort((a, b) => a.length - b.length);
    expect(batches.map((batch) => batch.length)).toEqual([50, 100, 100]);
    const byFirst = [...batches].sort((a, b) => input.indexOf(a[0]!) - input.indexOf(b[0]!));
    expect(byFirst.flat()).toEqual(input);
    expect(
      sent.every((record) => record.path === "/v1beta/models/gemini-embedding-001:batchEmbedContents"),
    ).toBe(true);
    expect(result.body.object).toBe("list");
    expect(result.body.model).toBe("gemini-embedding-001");
    expect(result.body.data.map((item) => (item as { index: number }).index)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    expect(vectors(result)).toEqual(input.map((text) => Array.from(vectorOf(text, 3072)).slice(0, 16)));
    // The simulator sends no usage, so none is reported (the gateway estimates).
    expect(result.promptTokens).toBeUndefined();
    expect(result.body.usage).toBeUndefined();
    expect(result.upstreamHeaders).toBeInstanceOf(Headers);
    // Each vector is the one a request for its text alone gets, at the edges of every batch.
    for (const i of [0, 99, 100, 199, 200, 249]) {
      const alone = await adapter.embed!(
        embedOptions(input[i], { dimensions: 16, encoding_format: "float" }),
      );
      expect(vectors(result)[i]).toEqual(vectors(alone)[0]!);
    }
    expect(watchedCalls()).toBe(0);
  });

  test("base64: the same vectors, in order", async () => {
    const input = texts(201);
    const result = await adapter.embed!(embedOptions(input, { dimensions: 4, encoding_format: "base64" }));
    const decoded = (result.body.data as Array<{ embedding: string }>).map((item) => {
      const bytes = Buffer.from(item.embedding, "base64");
      return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    });
    expect(decoded).toEqual(input.map((text) => Array.from(vectorOf(text, 3072)).slice(0, 4)));
  });
});

/** A fetch that answers each batch by its first text's number, as `answer` says; records every call and signal. */
function fakeGemini(answer: (first: number, size: number, signal: AbortSignal) => Promise<Response>) {
  const seen: Array<{ first: number; size: number; signal: AbortSignal }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    const sent = sentTexts(JSON.parse(init.body as string));
    const first = Number(sent[0]!.slice(5));
    const signal = init.signal as AbortSignal;
    seen.push({ first, size: sent.length, signal });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await answer(first, sent.length, signal);
    } finally {
      inFlight--;
    }
  }) as unknown as typeof fetch;
  return { fetchImpl, seen, maxInFlight: () => maxInFlight };
}

const ok = (size: number, usage?: number) =>
  Response.json({
    embeddings: Array.from({ length: size }, () => ({ values: [1, 2] })),
    ...(usage === undefined ? {} : { usageMetadata: { promptTokenCount: usage } }),
  });
/** Waits until the signal aborts, then rejects as fetch does (with the abort reason). */
const hang = (signal: AbortSignal) =>
  new Promise<Response>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("batches: concurrency, failures, usage", () => {
  test("1000 texts: 10 calls of 100, never more than 4 in flight, indexes 0..999", async () => {
    const fake = fakeGemini(async (_, size) => {
      await later(5);
      return ok(size);
    });
    const adapter = createAdapter({ ...connection, baseUrl: "http://gemini.test" }, fake.fetchImpl);
    const result = await adapter.embed!(embedOptions(texts(1000)));
    expect(fake.seen.map((call) => call.size)).toEqual(Array(10).fill(100));
    expect(fake.seen.map((call) => call.first).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i * 100),
    );
    expect(fake.maxInFlight()).toBe(4);
    expect(result.body.data.map((item) => (item as { index: number }).index)).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  test("a failed batch fails the call with its error; batches in flight are aborted, no more are sent", async () => {
    const fake = fakeGemini(async (first, size, signal) => {
      if (first === 100) {
        await later(5);
        return Response.json(
          { error: { code: 500, status: "INTERNAL", message: "Internal error encountered." } },
          { status: 500 },
        );
      }
      if (first < 400) return hang(signal);
      return ok(size);
    });
    const adapter = createAdapter({ ...connection, baseUrl: "http://gemini.test" }, fake.fetchImpl);
    const error = await rejection(adapter.embed!(embedOptions(texts(600))));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).provider).toBe("gemini");
    expect((error as ProviderError).upstreamStatus).toBe(500);
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as ProviderError).message).toContain("Internal error encountered.");
    // Batches 0, 2 and 3 were in flight and were aborted; 4 and 5 (texts 400..599) were never sent.
    expect(fake.seen.map((call) => call.first)).toEqual([0, 100, 200, 300]);
    expect(fake.seen.filter((call) => call.first !== 100).map((call) => call.signal.aborted)).toEqual([
      true,
      true,
      true,
    ]);
    expect(watchedCalls()).toBe(0);
  });

  test("a client abort aborts every batch in flight and rejects with the client's reason", async () => {
    const fake = fakeGemini((_, __, signal) => hang(signal));
    const adapter = createAdapter({ ...connection, baseUrl: "http://gemini.test" }, fake.fetchImpl);
    const client = new AbortController();
    const pending = rejection(adapter.embed!(embedOptions(texts(300), {}, client.signal)));
    await later(5);
    const reason = new Error("client went away");
    client.abort(reason);
    expect(await pending).toBe(reason);
    expect(fake.seen.map((call) => call.signal.aborted)).toEqual([true, true, true]);
    expect(watchedCalls()).toBe(0);
  });

  test("the list has one total deadline: batches of later rounds do not restart it", async () => {
    // Every batch takes 30 ms; 600 texts are 2 rounds (4 + 2 batches), 60 ms in all, over a total of 45 ms that each
    // batch alone would meet.
    const fake = fakeGemini(async (_, size, signal) => {
      await Promise.race([later(30), hang(signal)]);
      return ok(size);
    });
    const adapter = createAdapter({ ...connection, baseUrl: "http://gemini.test" }, fake.fetchImpl);
    const timeouts = { ...DEFAULT_TIMEOUTS, totalMs: 45 };
    const error = await rejection(adapter.embed!({ ...embedOptions(texts(600)), timeouts }));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
    expect((error as ProviderError).message).toContain("did not finish within the total time limit");
    expect(fake.seen.map((call) => call.first)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(fake.seen.filter((call) => call.first >= 400).every((call) => call.signal.aborted)).toBe(true);
    expect(watchedCalls()).toBe(0);
    // The same list with room for both rounds is answered.
    const answered = await adapter.embed!({
      ...embedOptions(texts(600)),
      timeouts: { ...timeouts, totalMs: 5_000 },
    });
    expect(answered.body.data).toHaveLength(600);
  });

  test("usage is the sum when every batch reports it, none when one does not", async () => {
    const counted = fakeGemini(async (_, size) => ok(size, size * 2));
    const all = await createAdapter({ ...connection, baseUrl: "http://gemini.test" }, counted.fetchImpl)
      .embed!(embedOptions(texts(250)));
    expect(all.promptTokens).toBe(500);
    expect(all.body.usage).toEqual({ prompt_tokens: 500, total_tokens: 500 });
    const partly = fakeGemini(async (first, size) => ok(size, first === 200 ? undefined : size));
    const some = await createAdapter({ ...connection, baseUrl: "http://gemini.test" }, partly.fetchImpl)
      .embed!(embedOptions(texts(250)));
    expect(some.promptTokens).toBeUndefined();
    expect(some.body.usage).toBeUndefined();
  });

  test("a batch answering too few embeddings fails the call as upstream_bad_response", async () => {
    const fake = fakeGemini(async (first, size) => ok(first === 100 ? size - 1 : size));
    const adapter = createAdapter({ ...connection, baseUrl: "http://gemini.test" }, fake.fetchImpl);
    const error = await rejection(adapter.embed!(embedOptions(texts(250))));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("upstream_bad_response");
  });
});
