// Every Gemini finishReason of @google/genai's FinishReason -> OpenAI finish_reason, in JSON and in the stream.

import { describe, expect, test } from "bun:test";
import { ProviderError } from "../../../src/errors";
import { fromGeminiResponse, GeminiStreamTranslator, toFinishReason } from "../../../src/providers/gemini";
import { assemble, replaySse } from "../helpers";

const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 5, thoughtsTokenCount: 7 };
const answer = (parts: unknown[], finishReason?: string, extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}) }],
  responseId: "r1",
  ...extra,
});
const sse = (...events: unknown[]) =>
  events.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`).join("");

describe("toFinishReason: the values added to FinishReason since the first six", () => {
  test.each([
    ["IMAGE_PROHIBITED_CONTENT", "content_filter"],
    ["IMAGE_RECITATION", "content_filter"],
    ["LANGUAGE", "content_filter"],
    ["ESCALATION", "content_filter"],
    ["PUP_LIMITED_DISABLED", "content_filter"],
    ["MODEL_ARMOR", "content_filter"],
    ["CONTINUATION", "length"],
  ])("%s -> %s, even after a function call", (reason, finish) => {
    expect(toFinishReason(reason, false)).toBe(finish as never);
    expect(toFinishReason(reason, true)).toBe(finish as never);
  });
});

describe("a finish that left nothing usable", () => {
  test.each([
    "MALFORMED_FUNCTION_CALL",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
    "MALFORMED_RESPONSE",
    "MISSING_THOUGHT_SIGNATURE",
  ])("%s with no text and no call is a retryable 502, not an empty stop", (reason) => {
    let error: unknown;
    try {
      fromGeminiResponse(answer([], reason, { usageMetadata }), "m", "gemini");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 502, code: "upstream_bad_response", retryable: true });
    expect((error as Error).message).toContain(reason);
  });

  test("MALFORMED_FUNCTION_CALL after answer text keeps the text and ends as stop", () => {
    const { body } = fromGeminiResponse(
      answer([{ text: "Let me check." }], "MALFORMED_FUNCTION_CALL", { usageMetadata }),
      "m",
      "gemini",
    );
    expect(body.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: "Let me check." } });
  });

  test("in a stream: thought summaries then MALFORMED_FUNCTION_CALL fail the stream; text before it does not", () => {
    const translator = new GeminiStreamTranslator("gemini", "k", "m");
    expect(() =>
      replaySse(
        translator,
        sse(
          answer([{ text: "Planning", thought: true }]),
          answer([], "MALFORMED_FUNCTION_CALL", { usageMetadata }),
        ),
      ),
    ).toThrow(ProviderError);
    const { chunks, finished } = replaySse(
      new GeminiStreamTranslator("gemini", "k", "m"),
      sse(answer([{ text: "Let me check." }]), answer([], "UNEXPECTED_TOOL_CALL", { usageMetadata })),
    );
    expect(finished).toBe(true);
    expect(assemble(chunks)).toMatchObject({ content: "Let me check.", finish: "stop" });
  });
});

describe("GeminiStreamTranslator endings", () => {
  test("a finish-only candidate (no content) then a usage-only last chunk: one finish, usage from the last chunk", () => {
    const translator = new GeminiStreamTranslator("gemini", "k", "m");
    const { chunks, finished } = replaySse(
      translator,
      sse(
        answer([{ text: "Hi" }], undefined, { usageMetadata: { promptTokenCount: 12 } }),
        { candidates: [{ finishReason: "STOP" }], responseId: "r1" },
        { usageMetadata: { ...usageMetadata, cachedContentTokenCount: 8 }, responseId: "r1" },
      ),
    );
    expect(finished).toBe(true);
    const result = assemble(chunks);
    expect(result).toMatchObject({ content: "Hi", finish: "stop" });
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason).length).toBe(1);
    expect(result.usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 12,
      total_tokens: 24,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
    expect(translator.tokens()).toEqual({ prompt: 12, cached: 8, completion: 12 });
  });
});

describe("Gemini usage", () => {
  test("toolUsePromptTokenCount (tool results Gemini read, outside promptTokenCount) is billed as prompt", () => {
    const { body, tokens } = fromGeminiResponse(
      answer([{ text: "Found it." }], "STOP", {
        usageMetadata: { promptTokenCount: 20, toolUsePromptTokenCount: 300, candidatesTokenCount: 4 },
      }),
      "m",
      "gemini",
    );
    expect(tokens).toEqual({ prompt: 320, cached: 0, completion: 4 });
    expect(body.usage).toMatchObject({ prompt_tokens: 320, completion_tokens: 4, total_tokens: 324 });
  });
});
