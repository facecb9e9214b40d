// Pure conversions of the OpenAI-compatible base against recorded payloads.

import { describe, expect, test } from "bun:test";
import {
  fromOpenAIResponse,
  OpenAIStreamTranslator,
  openAIError,
  toOpenAIBody,
} from "../../../src/providers/openai-compatible";
import { assemble, callOptions, fixture, fixtureJson, replaySse } from "../helpers";

const messages = [{ role: "user" as const, content: "hi" }];

describe("toOpenAIBody", () => {
  test.each([
    [
      "non-stream keeps unknown fields",
      { messages, foo: { bar: 1 } },
      false,
      { foo: { bar: 1 }, model: "upstream-model" },
    ],
    [
      "stream forces include_usage",
      { messages, stream: true },
      true,
      { stream: true, stream_options: { include_usage: true } },
    ],
    [
      "stream keeps other stream_options",
      { messages, stream: true, stream_options: { include_usage: false, include_obfuscation: false } },
      true,
      { stream_options: { include_usage: true, include_obfuscation: false } },
    ],
    [
      "complete() never streams",
      { messages, stream: true },
      false,
      { stream: false, stream_options: undefined },
    ],
  ])("%s", (_name, request, stream, expected) => {
    const options = callOptions(request);
    const body = toOpenAIBody(options, stream) as unknown as Record<string, unknown>;
    expect(body).toMatchObject(expected as Record<string, unknown>);
    expect(body.messages).toBe(options.request.messages);
    expect(options.request.model).toBe("client-model");
  });
});

test("fromOpenAIResponse reads cached tokens and keeps the body", async () => {
  const json = await fixtureJson("openai/adapter-completion-cached.json");
  const result = fromOpenAIResponse(json, "openai");
  expect(result.body).toBe(json as never);
  expect(result.tokens).toEqual({ prompt: 1200, cached: 1024, completion: 5 });
});

describe("OpenAIStreamTranslator", () => {
  test("tool-call stream passes through and ends at [DONE]", async () => {
    const translator = new OpenAIStreamTranslator("openai", "sk-test");
    const { chunks, finished } = replaySse(translator, await fixture("openai/adapter-stream-tool-calls.sse"));
    expect(finished).toBe(true);
    const result = assemble(chunks);
    expect(result.finish).toBe("tool_calls");
    expect(result.calls).toEqual([{ id: "call_AbC", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(JSON.parse(result.calls[0]!.arguments)).toEqual({ city: "Paris" });
    expect(translator.tokens()).toEqual({ prompt: 80, cached: 0, completion: 17 });
  });

  test("usage on the last content chunk (Mistral) is split into its own chunk", async () => {
    const translator = new OpenAIStreamTranslator("mistral", "k");
    const { chunks } = replaySse(translator, await fixture("mistral/adapter-stream-usage-on-last.sse"));
    expect(chunks).toHaveLength(4);
    expect(chunks[2]!.usage).toBeUndefined();
    expect(chunks[2]!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks[3]!.choices).toEqual([]);
    expect(chunks[3]!.usage?.completion_tokens).toBe(3);
    expect(translator.tokens()).toEqual({ prompt: 12, cached: 0, completion: 3 });
  });

  test("a body without [DONE] is incomplete", () => {
    const translator = new OpenAIStreamTranslator("openai", "k");
    const sse = 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\n';
    expect(replaySse(translator, sse).finished).toBe(false);
  });

  test("tool-call deltas without index are numbered: a new id is the next call, a known id or none its own", () => {
    const translator = new OpenAIStreamTranslator("ollama", "k");
    const calls = [
      [{ index: 0, id: "a", function: { name: "f", arguments: "" } }],
      [{ id: "a", function: { arguments: "{" } }],
      [{ function: { arguments: "}" } }],
      [
        { id: "b", function: { name: "g", arguments: "{}" } },
        { id: "c", function: { name: "h", arguments: "{}" } },
      ],
      [{ id: "b", function: { arguments: "" } }],
    ];
    const sse = calls
      .map(
        (tool_calls) =>
          `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { tool_calls }, finish_reason: null }] })}\n\n`,
      )
      .join("");
    const { chunks } = replaySse(translator, `${sse}data: [DONE]\n\n`);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.tool_calls?.map((call) => call.index))).toEqual([
      [0],
      [0],
      [0],
      [1, 2],
      [1],
    ]);
  });

  test("a mid-stream error event throws a ProviderError", () => {
    const translator = new OpenAIStreamTranslator("openai", "k");
    expect(() =>
      replaySse(translator, 'data: {"error":{"message":"boom","type":"server_error"}}\n\n'),
    ).toThrow(expect.objectContaining({ retryable: true, upstreamStatus: 500 }));
  });
});

describe("openAIError status table", () => {
  const headers = new Headers({ "retry-after": "7" });
  test.each([
    [400, 400, "invalid_request_error", false, undefined],
    [404, 404, "not_found_error", false, undefined],
    [422, 400, "invalid_request_error", false, undefined],
    [401, 502, "upstream_error", false, undefined],
    [403, 502, "upstream_error", false, undefined],
    [408, 502, "upstream_error", true, 7],
    [409, 502, "upstream_error", true, 7],
    [429, 429, "rate_limit_error", true, 7],
    [500, 502, "upstream_error", true, 7],
    [503, 503, "service_unavailable", true, 7],
    [529, 503, "service_unavailable", true, 7],
  ])("%i -> %i %s retryable=%p", (status, expectedStatus, type, retryable, retryAfter) => {
    const error = openAIError({
      provider: "openai",
      apiKey: "sk-secret-key-123456",
      status,
      headers,
      body: {
        error: { message: "Incorrect API key provided: sk-secret-key-123456", type: "x", param: null },
      },
    });
    expect(error.status).toBe(expectedStatus);
    expect(error.type).toBe(type as never);
    expect(error.retryable).toBe(retryable);
    expect(error.upstreamStatus).toBe(status);
    expect(error.retryAfterSeconds).toBe(retryAfter);
    expect(error.message).not.toContain("sk-secret");
  });

  test("429 keeps retry-after as a header too; 401 has its own code", () => {
    const rate = openAIError({ provider: "openai", apiKey: "k", status: 429, headers, body: undefined });
    expect(rate.headers["retry-after"]).toBe("7");
    expect(openAIError({ provider: "openai", apiKey: "k", status: 401, body: {} }).code).toBe(
      "upstream_auth_error",
    );
  });
});

describe("an upstream's own error code is kept only when it looks like one (it is stored in the request log)", () => {
  test.each([
    ["context_length_exceeded", "context_length_exceeded"],
    ["model_not_found", "model_not_found"],
    ["invalid.value-2", "invalid.value-2"],
    ["Your prompt 'my secret' was flagged", "upstream_invalid_request"],
    ["x".repeat(65), "upstream_invalid_request"],
    ["", "upstream_invalid_request"],
  ])("%s -> %s", (code, expected) => {
    const body = { error: { message: "m", type: "invalid_request_error", code } };
    expect(openAIError({ provider: "p", apiKey: "k", status: 400, body }).code).toBe(expected);
  });
});
