// Anthropic server tools (web search) in a stream: blocks and deltas an OpenAI client has no place for stay out.

import { describe, expect, test } from "bun:test";
import { AnthropicStreamTranslator, fromAnthropicResponse } from "../../../src/providers/anthropic";
import { assemble, replaySse } from "../helpers";

const event = (body: Record<string, unknown>) => `event: ${body.type}\ndata: ${JSON.stringify(body)}\n\n`;
const query = '{"query": "weather Paris"}';

/** The shape of a web-search answer from the Messages docs: server_tool_use, its result, then cited text. */
const webSearch = [
  event({
    type: "message_start",
    message: { id: "msg_ws", model: "claude-sonnet-4-6", usage: { input_tokens: 2100, output_tokens: 3 } },
  }),
  event({
    type: "content_block_start",
    index: 0,
    content_block: { type: "server_tool_use", id: "srvtoolu_01", name: "web_search", input: {} },
  }),
  event({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: query } }),
  event({ type: "content_block_stop", index: 0 }),
  event({ type: "ping" }),
  event({
    type: "content_block_start",
    index: 1,
    content_block: {
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_01",
      content: [
        { type: "web_search_result", url: "https://example.com", title: "W", encrypted_content: "ENC" },
      ],
    },
  }),
  event({ type: "content_block_stop", index: 1 }),
  event({ type: "content_block_start", index: 2, content_block: { type: "text", text: "" } }),
  event({
    type: "content_block_delta",
    index: 2,
    delta: {
      type: "citations_delta",
      citation: { type: "web_search_result_location", url: "https://example.com" },
    },
  }),
  event({ type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "Sunny, 21°C." } }),
  event({ type: "content_block_stop", index: 2 }),
  event({ type: "some_future_event", index: 2, data: "RAW" }),
];
const end = (reason: string) => [
  event({
    type: "message_delta",
    delta: { stop_reason: reason },
    usage: { output_tokens: 40, server_tool_use: { web_search_requests: 1 } },
  }),
  event({ type: "message_stop" }),
];
const clientTool = [
  event({
    type: "content_block_start",
    index: 3,
    content_block: { type: "tool_use", id: "toolu_01", name: "save_note", input: {} },
  }),
  event({
    type: "content_block_delta",
    index: 3,
    delta: { type: "input_json_delta", partial_json: '{"n":1}' },
  }),
  event({ type: "content_block_stop", index: 3 }),
];

describe("AnthropicStreamTranslator with server tools", () => {
  test("a server tool's input is not a client tool call: no tool_calls delta, the text and finish are whole", () => {
    const { chunks, finished } = replaySse(
      new AnthropicStreamTranslator("anthropic", "k", "m"),
      [...webSearch, ...end("end_turn")].join(""),
    );
    expect(finished).toBe(true);
    const result = assemble(chunks);
    expect(result.calls).toEqual([]);
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.tool_calls !== undefined)).toBe(false);
    expect(result.content).toBe("Sunny, 21°C.");
    expect(result.finish).toBe("stop");
    expect(JSON.stringify(chunks)).not.toMatch(/srvtoolu|ENC|RAW|weather Paris/);
    expect(result.usage).toMatchObject({ prompt_tokens: 2100, completion_tokens: 40 });
  });

  test("a client tool after a server tool gets only its own arguments, at index 0", () => {
    const { chunks } = replaySse(
      new AnthropicStreamTranslator("anthropic", "k", "m"),
      [...webSearch, ...clientTool, ...end("tool_use")].join(""),
    );
    const result = assemble(chunks);
    expect(result.calls).toEqual([{ id: "toolu_01", name: "save_note", arguments: '{"n":1}' }]);
    expect(result.finish).toBe("tool_calls");
  });

  test("pause_turn (the server tool loop paused) ends the answer as stop, in JSON too", () => {
    const { chunks } = replaySse(
      new AnthropicStreamTranslator("anthropic", "k", "m"),
      [...webSearch.slice(0, 4), ...end("pause_turn")].join(""),
    );
    expect(assemble(chunks)).toMatchObject({ content: "", finish: "stop", calls: [] });
    const { body } = fromAnthropicResponse(
      {
        id: "msg_ws",
        model: "claude-sonnet-4-6",
        content: [{ type: "server_tool_use", id: "srvtoolu_01", name: "web_search", input: { query: "q" } }],
        stop_reason: "pause_turn",
        usage: { input_tokens: 10, output_tokens: 5 },
      },
      "anthropic",
    );
    expect(body.choices[0]).toMatchObject({
      finish_reason: "stop",
      message: { role: "assistant", content: null },
    });
    expect(body.choices[0]?.message.tool_calls).toBeUndefined();
  });
});
