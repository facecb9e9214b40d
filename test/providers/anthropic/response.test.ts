// Anthropic responses, streams and errors -> OpenAI shapes, against recorded payloads.

import { describe, expect, test } from "bun:test";
import {
  AnthropicStreamTranslator,
  anthropicError,
  fromAnthropicResponse,
  toFinishReason,
} from "../../../src/providers/anthropic";
import { assemble, fixture, fixtureJson, replaySse } from "../helpers";

describe("fromAnthropicResponse", () => {
  test("text + parallel tool_use with cache reads and writes", async () => {
    const { body, tokens } = fromAnthropicResponse(
      await fixtureJson("anthropic/adapter-message-tool-use.json"),
      "anthropic",
    );
    const choice = body.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Let me check both cities.");
    expect(choice.message.tool_calls).toEqual([
      { id: "toolu_01A", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      {
        id: "toolu_01B",
        type: "function",
        function: { name: "get_weather", arguments: '{"city":"Rome","unit":"c"}' },
      },
    ]);
    expect(tokens).toEqual({ prompt: 1250, cached: 1000, cacheWrite: 200, completion: 42 });
    expect(body.usage).toEqual({
      prompt_tokens: 1250,
      completion_tokens: 42,
      total_tokens: 1292,
      prompt_tokens_details: { cached_tokens: 1000 },
    });
  });

  test("text blocks joined, max_tokens -> length", async () => {
    const { body, tokens } = fromAnthropicResponse(
      await fixtureJson("anthropic/adapter-message-text.json"),
      "anthropic",
    );
    expect(body.choices[0]!.message.content).toBe("Hello world");
    expect(body.choices[0]!.message.tool_calls).toBeUndefined();
    expect(body.choices[0]!.finish_reason).toBe("length");
    expect(tokens).toEqual({ prompt: 12, cached: 0, cacheWrite: 0, completion: 2 });
  });

  test("thinking blocks -> reasoning_content (redacted_thinking has no text) and, signed and whole, thinking_blocks; thinking billed in output_tokens", async () => {
    const { body, tokens } = fromAnthropicResponse(
      await fixtureJson("anthropic/adapter-message-thinking.json"),
      "anthropic",
    );
    const message = body.choices[0]!.message;
    expect(message.content).toBe("2 + 2 = 4.");
    expect(message.reasoning_content).toBe("The user wants 2+2. That is 4.");
    expect(Object.keys(message)).toEqual([
      "role",
      "content",
      "reasoning_content",
      "thinking_blocks",
      "refusal",
    ]);
    // LiteLLM's shape, in the answer's order, values untouched: what Anthropic wants back on the next turn.
    expect(message.thinking_blocks).toEqual([
      {
        type: "thinking",
        thinking: "The user wants 2+2. ",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
      },
      {
        type: "redacted_thinking",
        data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj",
      },
      { type: "thinking", thinking: "That is 4.", signature: "EqQBCgIYAhIMsig2" },
    ]);
    expect(tokens).toEqual({ prompt: 20, cached: 0, cacheWrite: 0, completion: 120 });
    expect(body.usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 120,
      total_tokens: 140,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 110 },
    });
  });

  test("an answer without thinking has no reasoning_content key", async () => {
    const { body } = fromAnthropicResponse(
      await fixtureJson("anthropic/adapter-message-text.json"),
      "anthropic",
    );
    expect(body.choices[0]!.message).not.toHaveProperty("reasoning_content");
  });

  test.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    ["model_context_window_exceeded", "length"],
  ])("stop_reason %s -> %s", (reason, finish) => {
    expect(toFinishReason(reason)).toBe(finish as never);
  });
});

describe("AnthropicStreamTranslator", () => {
  test("text then two tool calls: indexes count tool blocks from 0, ids and names on the first delta", async () => {
    const translator = new AnthropicStreamTranslator("anthropic", "k", "m");
    const { chunks, finished } = replaySse(
      translator,
      await fixture("anthropic/adapter-stream-parallel-tools.sse"),
    );
    expect(finished).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.every((chunk) => chunk.id === "msg_01S")).toBe(true);
    const result = assemble(chunks);
    expect(result.content).toBe("Checking now.");
    expect(result.finish).toBe("tool_calls");
    expect(result.calls).toEqual([
      { id: "toolu_01T1", name: "get_weather", arguments: '{"city": "Paris"}' },
      { id: "toolu_01T2", name: "get_time", arguments: '{"tz":"CET"}' },
    ]);
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas.map((delta) => delta.index)).toEqual([0, 0, 0, 1, 1]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: 600,
      completion_tokens: 89,
      total_tokens: 689,
      prompt_tokens_details: { cached_tokens: 128 },
    });
    expect(translator.tokens()).toEqual({ prompt: 600, cached: 128, cacheWrite: 0, completion: 89 });
  });

  test("thinking_delta -> delta.reasoning_content before the answer, then the signed blocks whole in one thinking_blocks delta; the answer text is unchanged", async () => {
    const translator = new AnthropicStreamTranslator("anthropic", "k", "m");
    const { chunks, finished } = replaySse(
      translator,
      await fixture("anthropic/adapter-stream-thinking.sse"),
    );
    expect(finished).toBe(true);
    const result = assemble(chunks);
    expect(result.reasoning).toBe("The user wants 2+2. That is 4.");
    expect(result.content).toBe("2 + 2 = 4.");
    expect(result.finish).toBe("stop");
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
    expect(deltas.slice(1, 3)).toEqual([
      { reasoning_content: "The user wants 2+2." },
      { reasoning_content: " That is 4." },
    ]);
    // The signature and the redacted block come once, in the complete blocks, before the answer's first text.
    expect(deltas[3]).toEqual({
      thinking_blocks: [
        {
          type: "thinking",
          thinking: "The user wants 2+2. That is 4.",
          signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
        },
        {
          type: "redacted_thinking",
          data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj",
        },
      ],
    });
    expect(deltas.slice(4, 6)).toEqual([{ content: "2 + 2" }, { content: " = 4." }]);
    expect(deltas).toHaveLength(7);
    expect(chunks.at(-1)!.usage).toMatchObject({
      completion_tokens: 120,
      completion_tokens_details: { reasoning_tokens: 110 },
    });
    expect(translator.tokens()).toEqual({ prompt: 20, cached: 0, cacheWrite: 0, completion: 120 });
  });

  test("an error event throws a retryable 529 ProviderError", async () => {
    const translator = new AnthropicStreamTranslator("anthropic", "k", "m");
    const sse = await fixture("anthropic/adapter-stream-overloaded.sse");
    expect(() => replaySse(translator, sse)).toThrow(
      expect.objectContaining({ retryable: true, upstreamStatus: 529, code: "upstream_overloaded" }),
    );
  });

  test("a stream cut before message_stop is incomplete", async () => {
    const sse = (await fixture("anthropic/adapter-stream-parallel-tools.sse")).split(
      "event: message_delta",
    )[0]!;
    expect(replaySse(new AnthropicStreamTranslator("anthropic", "k", "m"), sse).finished).toBe(false);
  });
});

describe("anthropicError", () => {
  test.each([
    [400, "invalid_request_error", 400, false],
    [401, "authentication_error", 502, false],
    [429, "rate_limit_error", 429, true],
    [500, "api_error", 502, true],
    [529, "overloaded_error", 503, true],
  ])("%i %s -> %i retryable=%p", (status, type, expected, retryable) => {
    const error = anthropicError({
      provider: "anthropic",
      apiKey: "sk-ant-api03-secret",
      status,
      headers: new Headers({ "retry-after": "3" }),
      body: { type: "error", error: { type, message: `boom sk-ant-api03-secret` } },
    });
    expect(error.status).toBe(expected);
    expect(error.retryable).toBe(retryable);
    expect(error.message).not.toContain("secret");
    if (status === 429) expect(error.retryAfterSeconds).toBe(3);
  });
});
