// The simulator's Gemini batchEmbedContents, proved with the official `@google/genai` SDK as the client.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError, GoogleGenAI } from "@google/genai";
import { startSimulator } from "../../src/simulator";
import { vectorOf } from "../../src/simulator/embeddings";
import type { SimulatorHandle } from "../../src/simulator/types";

let sim: SimulatorHandle;
let client: GoogleGenAI;

beforeAll(async () => {
  sim = await startSimulator({ requireKey: "gemini-key" });
  client = new GoogleGenAI({ apiKey: "gemini-key", httpOptions: { baseUrl: sim.url } });
});
afterAll(async () => {
  await sim.stop();
});

const norm = (values: number[]) => Math.hypot(...values);

describe("gemini batchEmbedContents", () => {
  test("one vector per text, deterministic, in order, 3072 long and unit length; no usage", async () => {
    const response = await client.models.embedContent({
      model: "gemini-embedding-001",
      contents: ["alpha", "beta"],
    });
    const values = response.embeddings?.map((embedding) => embedding.values ?? []) ?? [];
    expect(values).toHaveLength(2);
    expect(values[0]).toHaveLength(3072);
    expect(values[0]).toEqual(Array.from(vectorOf("alpha", 3072)));
    expect(values[1]).toEqual(Array.from(vectorOf("beta", 3072)));
    expect(norm(values[0]!)).toBeCloseTo(1, 5);
    expect(response.usageMetadata).toBeUndefined();
    const again = await client.models.embedContent({ model: "gemini-embedding-001", contents: "alpha" });
    expect(again.embeddings?.[0]?.values).toEqual(values[0]!);
    // The SDK's own wire shape: one request per text, each naming the model, sent with the key header.
    const record = sim.records().at(-2)!;
    expect(record.path).toMatch(/^\/v1(beta)?\/models\/gemini-embedding-001:batchEmbedContents$/);
    expect(record.headers["x-goog-api-key"]).toBe("gemini-key");
    expect(record.model).toBe("gemini-embedding-001");
    const body = record.body as { requests: Array<{ model: string; content: { parts: unknown[] } }> };
    expect(body.requests.map((request) => request.model)).toEqual([
      "models/gemini-embedding-001",
      "models/gemini-embedding-001",
    ]);
    expect(body.requests[1]!.content.parts).toEqual([{ text: "beta" }]);
  });

  test("outputDimensionality cuts the full vector (Matryoshka), without renormalising", async () => {
    const response = await client.models.embedContent({
      model: "gemini-embedding-001",
      contents: "alpha",
      config: { outputDimensionality: 768 },
    });
    const values = response.embeddings?.[0]?.values ?? [];
    expect(values).toHaveLength(768);
    expect(values).toEqual(Array.from(vectorOf("alpha", 3072)).slice(0, 768));
    expect(norm(values)).toBeLessThan(0.99);
  });

  test("100 requests is the largest batch served; 101 is refused with Google's 400", async () => {
    const hundred = await client.models.embedContent({
      model: "gemini-embedding-001",
      contents: Array.from({ length: 100 }, (_, i) => `text ${i}`),
      config: { outputDimensionality: 4 },
    });
    expect(hundred.embeddings).toHaveLength(100);
    expect(hundred.embeddings?.[99]?.values).toEqual(Array.from(vectorOf("text 99", 3072)).slice(0, 4));
    const response = await fetch(`${sim.url}/v1beta/models/gemini-embedding-001:batchEmbedContents`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "gemini-key" },
      body: JSON.stringify({
        requests: Array.from({ length: 101 }, (_, i) => ({
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: `text ${i}` }] },
        })),
      }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({
      error: {
        code: 400,
        status: "INVALID_ARGUMENT",
        message: "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch",
      },
    });
  });

  test("bad requests and faults in Google's error shape", async () => {
    const fail = (promise: Promise<unknown>): Promise<ApiError> =>
      promise.then(
        () => {
          throw new Error("expected an error");
        },
        (error: unknown) => error as ApiError,
      );
    const tooWide = await fail(
      client.models.embedContent({
        model: "gemini-embedding-001",
        contents: "x",
        config: { outputDimensionality: 4000 },
      }),
    );
    expect(tooWide).toBeInstanceOf(ApiError);
    expect(tooWide.status).toBe(400);
    expect(JSON.parse(tooWide.message).error).toEqual({
      code: 400,
      status: "INVALID_ARGUMENT",
      message:
        "* BatchEmbedContentsRequest.requests[0].output_dimensionality: must be between 1 and 3072, got 4000.",
    });
    const chatModel = await fail(client.models.embedContent({ model: "gemini-2.5-flash", contents: "x" }));
    expect(chatModel.status).toBe(404);
    expect(JSON.parse(chatModel.message).error.status).toBe("NOT_FOUND");
    const tooMany = await fail(
      client.models.embedContent({
        model: "gemini-embedding-001",
        contents: Array.from({ length: 101 }, (_, i) => `text ${i}`),
      }),
    );
    expect(tooMany.status).toBe(400);
    // Google's own words for a batch above 100 (as its API answers real clients).
    expect(JSON.parse(tooMany.message).error).toEqual({
      code: 400,
      status: "INVALID_ARGUMENT",
      message: "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch",
    });
    const unavailable = await fail(
      client.models.embedContent({
        model: "gemini-embedding-001",
        contents: "x",
        config: { httpOptions: { headers: { "x-sim-fault": "503" } } },
      }),
    );
    expect(unavailable.status).toBe(503);
    expect(JSON.parse(unavailable.message).error).toEqual({
      code: 503,
      message: "The model is overloaded. Please try again later.",
      status: "UNAVAILABLE",
    });
    const badKey = await fail(
      new GoogleGenAI({ apiKey: "wrong", httpOptions: { baseUrl: sim.url } }).models.embedContent({
        model: "gemini-embedding-001",
        contents: "x",
      }),
    );
    expect(badKey.status).toBe(400);
    expect(JSON.parse(badKey.message).error.details[0].reason).toBe("API_KEY_INVALID");
  });
});
