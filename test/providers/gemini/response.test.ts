// Gemini responses, streams and errors -> OpenAI shapes, against recorded payloads.

import { describe, expect, test } from "bun:test";
import {
  fromGeminiResponse,
  GeminiStreamTranslator,
  geminiError,
  toFinishReason,
} from "../../../src/providers/gemini";
import { assemble, fixture, fixtureJson, replaySse } from "../helpers";

describe("fromGeminiResponse", () => {
  test("parallel function calls -> tool_calls with unique ids; thoughts billed as output", async () => {
    const { body, tokens } = fromGeminiResponse(
      await fixtureJson("gemini/adapter-generate-tools.json"),
      "m",
      "gemini",
    );
    const choice = body.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      {
        id: "call_resp42_0",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
      },
      {
        id: "call_resp42_1",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Rome"}' },
      },
    ]);
    expect(tokens).toEqual({ prompt: 90, cached: 64, completion: 40 });
    expect(body.usage).toMatchObject({
      prompt_tokens: 90,
      completion_tokens: 40,
      prompt_tokens_details: { cached_tokens: 64 },
    });
  });

  test("thought parts are reasoning_content, not content; MAX_TOKENS -> length", async () => {
    const { body, tokens } = fromGeminiResponse(
      await fixtureJson("gemini/adapter-generate-text-thoughts.json"),
      "m",
      "gemini",
    );
    expect(body.choices[0]!.message.content).toBe("Hello there");
    expect(body.choices[0]!.message.reasoning_content).toBe("thinking about it");
    expect(body.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 30 });
    expect(body.choices[0]!.finish_reason).toBe("length");
    expect(body.model).toBe("gemini-2.5-pro");
    expect(tokens).toEqual({ prompt: 10, cached: 0, completion: 32 });
  });

  test("a blocked prompt (no candidates) -> content_filter", () => {
    const { body } = fromGeminiResponse({ promptFeedback: { blockReason: "SAFETY" } }, "m", "gemini");
    expect(body.choices[0]!.finish_reason).toBe("content_filter");
  });

  test.each([
    ["STOP", false, "stop"],
    ["STOP", true, "tool_calls"],
    ["MAX_TOKENS", false, "length"],
    ["SAFETY", false, "content_filter"],
    ["RECITATION", false, "content_filter"],
    ["BLOCKLIST", false, "content_filter"],
    ["PROHIBITED_CONTENT", false, "content_filter"],
    ["SPII", false, "content_filter"],
  ])("finishReason %s (tools=%p) -> %s", (reason, tools, finish) => {
    expect(toFinishReason(reason, tools)).toBe(finish as never);
  });
});

describe("GeminiStreamTranslator", () => {
  test("thought parts -> delta.reasoning_content; the answer text is unchanged; thoughts billed as output", async () => {
    const translator = new GeminiStreamTranslator("gemini", "k", "m");
    const { chunks, finished } = replaySse(translator, await fixture("gemini/adapter-stream-thoughts.sse"));
    expect(finished).toBe(true);
    const result = assemble(chunks);
    expect(result.reasoning).toBe("**Adding numbers**\n\nThe user wants 2+2. That is 4.");
    expect(result.content).toBe("2 + 2 = 4.");
    expect(chunks[0]!.choices[0]!.delta).toEqual({
      role: "assistant",
      reasoning_content: "**Adding numbers**\n\nThe user wants 2+2.",
    });
    expect(chunks[1]!.choices[0]!.delta).toEqual({ reasoning_content: " That is 4.", content: "2 + 2" });
    expect(translator.tokens()).toEqual({ prompt: 8, cached: 0, completion: 57 });
  });

  test("a response without thought parts has no reasoning_content", async () => {
    const { chunks } = replaySse(
      new GeminiStreamTranslator("gemini", "k", "m"),
      await fixture("gemini/adapter-stream-text.sse"),
    );
    expect(chunks.some((chunk) => "reasoning_content" in (chunk.choices[0]?.delta ?? {}))).toBe(false);
  });

  test("text stream: role first, finish, then usage at the end of the body", async () => {
    const translator = new GeminiStreamTranslator("gemini", "k", "m");
    const { chunks, finished } = replaySse(translator, await fixture("gemini/adapter-stream-text.sse"));
    expect(finished).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const result = assemble(chunks);
    expect(result.content).toBe("Hello world!");
    expect(result.finish).toBe("stop");
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(translator.tokens()).toEqual({ prompt: 8, cached: 0, completion: 8 });
  });

  test("function calls stream as whole tool-call deltas with running indexes", async () => {
    const translator = new GeminiStreamTranslator("gemini", "k", "m");
    const { chunks } = replaySse(translator, await fixture("gemini/adapter-stream-tool-calls.sse"));
    const result = assemble(chunks);
    expect(result.finish).toBe("tool_calls");
    expect(result.calls).toEqual([
      { id: "call_s2_0", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "call_s2_1", name: "get_time", arguments: '{"tz":"CET"}' },
    ]);
  });

  test("a body ending before any finishReason is incomplete", async () => {
    const sse = (await fixture("gemini/adapter-stream-text.sse")).split("\n\n").slice(0, 2).join("\n\n");
    expect(replaySse(new GeminiStreamTranslator("gemini", "k", "m"), `${sse}\n\n`).finished).toBe(false);
  });

  test("an error object mid-stream throws a ProviderError from its code", () => {
    const sse = 'data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}\n\n';
    expect(() => replaySse(new GeminiStreamTranslator("gemini", "k", "m"), sse)).toThrow(
      expect.objectContaining({ retryable: true, upstreamStatus: 503 }),
    );
  });
});

describe("geminiError", () => {
  test("429 takes its delay from RetryInfo", async () => {
    const error = geminiError({
      provider: "gemini",
      apiKey: "k",
      status: 429,
      body: await fixtureJson("gemini/adapter-error-429.json"),
    });
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 17 });
  });

  test("an invalid API key (400 API_KEY_INVALID) is an upstream auth error", async () => {
    const error = geminiError({
      provider: "gemini",
      apiKey: "AIzaSyDUMMY",
      status: 400,
      body: await fixtureJson("gemini/adapter-error-api-key.json"),
    });
    expect(error).toMatchObject({ status: 502, code: "upstream_auth_error", retryable: false });
  });

  test.each([
    [400, 400, false],
    [403, 502, false],
    [404, 404, false],
    [500, 502, true],
    [503, 503, true],
    [504, 502, true],
  ])("%i -> %i retryable=%p", (status, expected, retryable) => {
    const error = geminiError({
      provider: "gemini",
      apiKey: "k",
      status,
      body: { error: { code: status, message: "x" } },
    });
    expect(error.status).toBe(expected);
    expect(error.retryable).toBe(retryable);
  });
});
