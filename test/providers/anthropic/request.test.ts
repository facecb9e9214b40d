// OpenAI request -> Anthropic Messages body: messages, tools, parameters and what is refused.

import { describe, expect, test } from "bun:test";
import { SpendexError, UnsupportedError } from "../../../src/errors";
import type { ChatMessage, ChatRequest } from "../../../src/openai/types";
import { toAnthropicBody } from "../../../src/providers/anthropic";
import { callOptions } from "../helpers";

const user = (content: ChatMessage["content"]): ChatMessage => ({ role: "user", content });
const tools = [
  {
    type: "function" as const,
    function: {
      name: "get_weather",
      description: "Weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  },
];

describe("messages", () => {
  test("system and developer are hoisted; tool results merge into one user turn", () => {
    const body = toAnthropicBody(
      callOptions({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "developer", content: [{ type: "text", text: "Use metric." }] },
          user("weather in Paris and Rome?"),
          {
            role: "assistant",
            content: "",
            tool_calls: [
              {
                id: "toolu_1",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
              },
              {
                id: "toolu_2",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Rome"}' },
              },
            ],
          },
          { role: "tool", tool_call_id: "toolu_1", content: "18C" },
          { role: "tool", tool_call_id: "toolu_2", content: [{ type: "text", text: "21C" }] },
          user("thanks"),
        ],
      }),
      false,
    );
    expect(body.system).toBe("Be brief.\n\nUse metric.");
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: "21C" },
          { type: "text", text: "thanks" },
        ],
      },
    ]);
  });

  test.each([
    [
      "data URL -> base64 source",
      "data:image/png;base64,iVBORw0KGgo=",
      { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
    ],
    [
      "https URL -> url source",
      "https://example.com/cat.jpg",
      { type: "url", url: "https://example.com/cat.jpg" },
    ],
  ])("image: %s", (_name, url, source) => {
    const body = toAnthropicBody(
      callOptions({
        messages: [
          user([
            { type: "text", text: "what?" },
            { type: "image_url", image_url: { url } },
          ]),
        ],
      }),
      false,
    );
    expect((body.messages as Array<{ content: unknown[] }>)[0]!.content[1]).toEqual({
      type: "image",
      source,
    });
  });

  test.each([
    ["data:image/tiff;base64,AAAA", "messages[0].content[0].image_url"],
    ["ftp://x/y.png", "messages[0].content[0].image_url"],
  ])("image %s is refused", (url, param) => {
    expect(() =>
      toAnthropicBody(callOptions({ messages: [user([{ type: "image_url", image_url: { url } }])] }), false),
    ).toThrow(expect.objectContaining({ param }));
  });

  test("an assistant refusal part is sent back as text; an empty assistant turn is left out", () => {
    const body = toAnthropicBody(
      callOptions({
        messages: [
          user("a"),
          { role: "assistant", content: [{ type: "refusal", refusal: "I can't." }] },
          { role: "assistant", content: "" },
          user("b"),
        ],
      }),
      false,
    );
    expect((body.messages as unknown[])[1]).toEqual({
      role: "assistant",
      content: [{ type: "text", text: "I can't." }],
    });
    expect(body.messages as unknown[]).toHaveLength(3);
  });

  test("invalid tool-call arguments are a 400", () => {
    const messages: ChatMessage[] = [
      user("x"),
      {
        role: "assistant",
        tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "{oops" } }],
      },
    ];
    expect(() => toAnthropicBody(callOptions({ messages }), false)).toThrow(SpendexError);
  });
});

describe("parameters", () => {
  const messages = [user("hi")];
  test.each([
    ["defaults max_tokens", {}, { max_tokens: 1024 }],
    ["max_completion_tokens wins", { max_tokens: 10, max_completion_tokens: 20 }, { max_tokens: 20 }],
    ["temperature clamped to 1", { temperature: 1.7 }, { temperature: 1 }],
    ["temperature kept below 1", { temperature: 0.3 }, { temperature: 0.3 }],
    ["top_p alone", { top_p: 0.9 }, { top_p: 0.9 }],
    ["top_p 1 beside temperature is neutral", { temperature: 0.5, top_p: 1 }, { temperature: 0.5 }],
    ["stop string", { stop: "END" }, { stop_sequences: ["END"] }],
    ["stop list", { stop: ["a", "b"] }, { stop_sequences: ["a", "b"] }],
    ["user -> metadata.user_id", { user: "u-1" }, { metadata: { user_id: "u-1" } }],
    [
      "tools",
      { tools },
      {
        tools: [{ name: "get_weather", description: "Weather", input_schema: tools[0]!.function.parameters }],
      },
    ],
    ["tool_choice auto", { tools, tool_choice: "auto" }, { tool_choice: { type: "auto" } }],
    ["tool_choice required -> any", { tools, tool_choice: "required" }, { tool_choice: { type: "any" } }],
    ["tool_choice none", { tools, tool_choice: "none" }, { tool_choice: { type: "none" } }],
    [
      "tool_choice named -> tool",
      { tools, tool_choice: { type: "function", function: { name: "get_weather" } } },
      { tool_choice: { type: "tool", name: "get_weather" } },
    ],
    [
      "parallel_tool_calls false",
      { tools, parallel_tool_calls: false },
      { tool_choice: { type: "auto", disable_parallel_tool_use: true } },
    ],
    [
      "json_schema -> output_config.format",
      { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } },
      { output_config: { format: { type: "json_schema", schema: { type: "object" } } } },
    ],
    [
      "harmless params dropped",
      { seed: 3, store: true, metadata: { a: "b" }, stream_options: { include_usage: true }, n: 1 },
      {},
    ],
  ] as Array<[string, Partial<ChatRequest>, Record<string, unknown>]>)("%s", (_name, extra, expected) => {
    const body = toAnthropicBody(callOptions({ messages, ...extra }), false);
    expect(body).toMatchObject({ model: "upstream-model", ...expected });
    for (const key of ["seed", "store", "stream_options", "n", "max_completion_tokens", "stop", "user"]) {
      expect(body).not.toHaveProperty(key);
    }
  });

  test.each([
    ["n", 2],
    ["top_p", 0.5],
    ["logprobs", true],
    ["top_logprobs", 2],
    ["presence_penalty", 0.5],
    ["frequency_penalty", -1],
    ["logit_bias", { "1": 2 }],
    ["response_format", { type: "json_object" }],
    ["audio", { voice: "x" }],
    ["some_unknown_param", 1],
  ])("%s is refused naming the param and anthropic", (key, value) => {
    let error: unknown;
    try {
      toAnthropicBody(callOptions({ messages, temperature: 0.7, [key]: value }), false);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ status: 400, param: key });
    expect((error as Error).message).toContain("anthropic");
  });

  test("stream flag", () => {
    expect(toAnthropicBody(callOptions({ messages }), true).stream).toBe(true);
    expect(toAnthropicBody(callOptions({ messages }), false)).not.toHaveProperty("stream");
  });
});

describe("reasoning_effort -> effort, and adaptive thinking where it cannot invalidate the request", () => {
  const thinking = { type: "adaptive", display: "summarized" };
  const call = {
    id: "toolu_1",
    type: "function" as const,
    function: { name: "get_weather", arguments: '{"city":"Paris"}' },
  };
  test.each([
    ["plain", {}, thinking],
    ["temperature 1 is thinking's own", { temperature: 1 }, thinking],
    ["top_p 0.95", { top_p: 0.95 }, thinking],
    ["tool_choice auto", { tools, tool_choice: "auto" }, thinking],
    ["temperature below 1", { temperature: 0.2 }, undefined],
    ["top_k", { top_k: 5 }, undefined],
    ["top_p below 0.95", { top_p: 0.9 }, undefined],
    ["tool_choice required", { tools, tool_choice: "required" }, undefined],
    [
      "named tool_choice",
      { tools, tool_choice: { type: "function", function: { name: "get_weather" } } },
      undefined,
    ],
  ] as Array<[string, Partial<ChatRequest>, unknown]>)("%s", (_name, extra, expected) => {
    const body = toAnthropicBody(
      callOptions({ messages: [user("hi")], reasoning_effort: "high", ...extra }),
      false,
    );
    expect(body.output_config).toEqual({ effort: "high" });
    expect(body.thinking).toEqual(expected);
  });

  test("no thinking without reasoning_effort", () => {
    expect(toAnthropicBody(callOptions({ messages: [user("hi")] }), false)).not.toHaveProperty("thinking");
  });

  test("a tool loop (the last assistant turn called tools) gets no thinking: its signed block cannot be sent back", () => {
    const loop: ChatMessage[] = [
      user("weather?"),
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: "toolu_1", content: "sunny" },
    ];
    const options = callOptions({ messages: loop, tools, reasoning_effort: "low" });
    expect(toAnthropicBody(options, false)).not.toHaveProperty("thinking");
    const after: ChatMessage[] = [...loop, { role: "assistant", content: "It is sunny." }, user("thanks")];
    const next = callOptions({ messages: after, tools, reasoning_effort: "low" });
    expect(toAnthropicBody(next, false).thinking).toEqual(thinking);
  });
});
