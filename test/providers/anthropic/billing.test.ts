// Anthropic usage -> what Anthropic bills: 1-hour cache writes (cache_creation.ephemeral_1h_input_tokens) at 2x
// input, web searches (server_tool_use.web_search_requests) at $0.01 each, and the OpenAI usage a client reads.
// Expected costs are worked by hand from claude-haiku-4-5's prices: input $1, reads $0.10, 5m writes $1.25,
// 1h writes $2, output $5 per 1M tokens; $10 per 1,000 searches.

import { describe, expect, test } from "bun:test";
import { Catalog, costOf } from "../../../src/catalog";
import { AnthropicStreamTranslator, fromAnthropicResponse } from "../../../src/providers/anthropic";
import { replaySse } from "../helpers";

const haiku = new Catalog().get("anthropic/claude-haiku-4-5")!;

const usage = {
  input_tokens: 100,
  cache_read_input_tokens: 500,
  cache_creation_input_tokens: 5_000,
  cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 3_000 },
  output_tokens: 200,
  server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 },
};
// 100 x $1 + 500 x $0.10 + 2,000 x $1.25 + 3,000 x $2 + 200 x $5 = $0.00965, + 2 searches x $0.01.
const COST = 0.02965;

const message = {
  id: "msg_b",
  type: "message",
  role: "assistant",
  model: "claude-haiku-4-5",
  content: [{ type: "text", text: "Sunny." }],
  stop_reason: "end_turn",
  usage,
};

describe("Anthropic billing", () => {
  test("a message: 1-hour writes and web searches kept for pricing; cost_usd as billed", () => {
    const { body, tokens } = fromAnthropicResponse(message, "anthropic");
    expect(tokens).toEqual({
      prompt: 5_600,
      cached: 500,
      cacheWrite: 5_000,
      cacheWrite1h: 3_000,
      webSearches: 2,
      completion: 200,
    });
    expect(costOf(haiku, tokens)).toBe(COST);
    // LiteLLM's shape: prompt_tokens counts input + cache reads + cache writes; cached_tokens is the reads.
    expect(body.usage).toEqual({
      prompt_tokens: 5_600,
      completion_tokens: 200,
      total_tokens: 5_800,
      prompt_tokens_details: { cached_tokens: 500 },
    });
  });

  test("only the breakdown (no cache_creation_input_tokens): the writes are its sum", () => {
    const { cache_creation_input_tokens: _, ...rest } = usage;
    const { tokens } = fromAnthropicResponse({ ...message, usage: rest }, "anthropic");
    expect(tokens).toMatchObject({ prompt: 5_600, cacheWrite: 5_000, cacheWrite1h: 3_000 });
    expect(costOf(haiku, tokens)).toBe(COST);
  });

  test("no breakdown: every write at the 5-minute rate (what the API says when it gives no TTL split)", () => {
    const { tokens } = fromAnthropicResponse(
      { ...message, usage: { input_tokens: 100, cache_creation_input_tokens: 1_000, output_tokens: 0 } },
      "anthropic",
    );
    expect(tokens).toEqual({ prompt: 1_100, cached: 0, cacheWrite: 1_000, completion: 0 });
    // 100 x $1 + 1,000 x $1.25.
    expect(costOf(haiku, tokens)).toBe(0.00135);
  });

  test("web fetches cost only their tokens", () => {
    const { tokens } = fromAnthropicResponse(
      {
        ...message,
        usage: { input_tokens: 1_000, output_tokens: 0, server_tool_use: { web_fetch_requests: 4 } },
      },
      "anthropic",
    );
    expect(costOf(haiku, tokens)).toBe(0.001);
  });

  test("a stream: message_start's cache breakdown and message_delta's server_tool_use both priced", () => {
    const event = (body: Record<string, unknown>) => `event: ${body.type}\ndata: ${JSON.stringify(body)}\n\n`;
    const { cache_creation, cache_creation_input_tokens, cache_read_input_tokens, input_tokens } = usage;
    const sse = [
      event({
        type: "message_start",
        message: {
          id: "msg_s",
          model: "claude-haiku-4-5",
          usage: {
            input_tokens,
            cache_read_input_tokens,
            cache_creation_input_tokens,
            cache_creation,
            output_tokens: 1,
          },
        },
      }),
      event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Sunny." } }),
      event({ type: "content_block_stop", index: 0 }),
      event({
        type: "message_delta",
        delta: { stop_reason: "end_turn" },
        usage: { output_tokens: 200, server_tool_use: { web_search_requests: 2 } },
      }),
      event({ type: "message_stop" }),
    ].join("");
    const translator = new AnthropicStreamTranslator("anthropic", "key", "claude-haiku-4-5");
    const { chunks } = replaySse(translator, sse);
    const tokens = translator.tokens()!;
    expect(tokens).toMatchObject({ prompt: 5_600, cacheWrite1h: 3_000, webSearches: 2, completion: 200 });
    expect(costOf(haiku, tokens)).toBe(COST);
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: 5_600,
      prompt_tokens_details: { cached_tokens: 500 },
    });
  });
});
