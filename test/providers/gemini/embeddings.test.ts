// OpenAI embeddings request <-> Gemini batchEmbedContents: the pure conversions.

import { describe, expect, test } from "bun:test";
import { ProviderError, UnsupportedError } from "../../../src/errors";
import { fromGeminiEmbeddings, toBase64, toGeminiEmbedBody } from "../../../src/providers/gemini";

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
