// Every adapter against the simulator's recorded payloads (test/fixtures/<provider>/, see its README):
// responses, streams (which must agree with the response), stream errors and error bodies.

import { describe, expect, test } from "bun:test";
import type { TokenCounts } from "../../src/catalog/types";
import { ProviderError } from "../../src/errors";
import type { StreamTranslator } from "../../src/providers";
import {
  AnthropicStreamTranslator,
  anthropicError,
  fromAnthropicResponse,
} from "../../src/providers/anthropic";
import { fromGeminiResponse, GeminiStreamTranslator, geminiError } from "../../src/providers/gemini";
import {
  fromOpenAIResponse,
  OpenAIStreamTranslator,
  openAIError,
} from "../../src/providers/openai-compatible";
import type { CompletionResult } from "../../src/providers/types";
import { assemble, fixture, fixtureJson, replaySse } from "./helpers";

interface Format {
  response(json: unknown): CompletionResult;
  translator(): StreamTranslator;
  error(status: number, body: unknown, headers?: Headers): ProviderError;
}

const FORMATS: Record<string, Format> = {
  openai: {
    response: (json) => fromOpenAIResponse(json, "openai"),
    translator: () => new OpenAIStreamTranslator("openai", "k"),
    error: (status, body, headers) => openAIError({ provider: "openai", apiKey: "k", status, body, headers }),
  },
  anthropic: {
    response: (json) => fromAnthropicResponse(json, "anthropic"),
    translator: () => new AnthropicStreamTranslator("anthropic", "k", "m"),
    error: (status, body, headers) =>
      anthropicError({ provider: "anthropic", apiKey: "k", status, body, headers }),
  },
  gemini: {
    response: (json) => fromGeminiResponse(json, "m", "gemini"),
    translator: () => new GeminiStreamTranslator("gemini", "k", "m"),
    error: (status, body, headers) => geminiError({ provider: "gemini", apiKey: "k", status, body, headers }),
  },
};
const format = (name: string) => FORMATS[name]!;
const REPLY = "Simulated reply to: What is the weather in Paris today?";
const tokens = (prompt: number, cached: number, completion: number, cacheWrite?: number): TokenCounts =>
  cacheWrite === undefined ? { prompt, cached, completion } : { prompt, cached, cacheWrite, completion };

describe("responses", () => {
  test.each([
    ["openai", "text.json", REPLY, "stop", tokens(16, 0, 14)],
    ["openai", "cached.json", REPLY, "stop", tokens(16, 8, 14)],
    ["openai", "length.json", "Simulated re", "length", tokens(16, 0, 3)],
    ["openai", "content-filter.json", undefined, "content_filter", undefined],
    ["anthropic", "text.json", REPLY, "stop", tokens(16, 0, 14, 0)],
    ["anthropic", "cached.json", REPLY, "stop", tokens(16, 8, 14, 0)],
    ["anthropic", "stop-sequence.json", "Simulated reply to: What is the weather in ", "stop", undefined],
    ["anthropic", "max-tokens.json", undefined, "length", undefined],
    ["anthropic", "refusal.json", undefined, "content_filter", undefined],
    ["gemini", "text.json", REPLY, "stop", tokens(16, 0, 14)],
    ["gemini", "thinking-cached.json", REPLY, "stop", tokens(16, 8, 38)],
    ["gemini", "json.json", '{"city":"sim","unit":"celsius"}', "stop", undefined],
    ["gemini", "max-tokens.json", "Simulated re", "length", undefined],
    ["gemini", "safety.json", undefined, "content_filter", undefined],
  ])("%s %s", async (provider, file, content, finish, expectedTokens) => {
    const result = format(provider).response(await fixtureJson(`${provider}/${file}`));
    const choice = result.body.choices[0]!;
    if (content !== undefined) expect(choice.message.content).toBe(content);
    expect(choice.finish_reason).toBe(finish as never);
    if (expectedTokens !== undefined) expect(result.tokens).toEqual(expectedTokens);
    expect(result.body.usage?.prompt_tokens).toBe(result.tokens.prompt);
    expect(result.body.usage?.completion_tokens).toBe(result.tokens.completion);
  });

  test.each([["openai"], ["anthropic"], ["gemini"]])(
    "%s tools.json: two parallel calls with JSON arguments",
    async (provider) => {
      const { body } = format(provider).response(await fixtureJson(`${provider}/tools.json`));
      const calls = body.choices[0]!.message.tool_calls!;
      expect(body.choices[0]!.finish_reason).toBe("tool_calls");
      expect(calls.map((call) => call.function.name)).toEqual(["get_weather", "get_time"]);
      expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ city: "sim", unit: "celsius" });
      expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    },
  );
});

describe("streams agree with the matching response", () => {
  test.each([
    // recorded with 4 cached tokens, unlike any JSON body
    ["openai", "text-usage.sse", "text.json", tokens(16, 4, 14)],
    ["openai", "tools.sse", "tools.json", undefined],
    ["anthropic", "text.sse", "text.json", undefined],
    ["anthropic", "cached.sse", "cached.json", undefined],
    ["anthropic", "tools.sse", "tools.json", undefined],
    ["gemini", "text.sse", "text.json", undefined],
    ["gemini", "thinking-cached.sse", "thinking-cached.json", undefined],
    ["gemini", "tools.sse", "tools.json", undefined],
  ] as Array<[string, string, string, TokenCounts | undefined]>)(
    "%s %s ~ %s",
    async (provider, sse, json, usage) => {
      const translator = format(provider).translator();
      const { chunks, finished } = replaySse(translator, await fixture(`${provider}/${sse}`));
      const { body, tokens: expected } = format(provider).response(await fixtureJson(`${provider}/${json}`));
      const message = body.choices[0]!.message;
      const streamed = assemble(chunks);
      expect(finished).toBe(true);
      expect(streamed.role).toBe("assistant");
      expect(streamed.content).toBe(message.content ?? "");
      expect(streamed.finish).toBe(body.choices[0]!.finish_reason);
      expect(streamed.calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual(
        (message.tool_calls ?? []).map((call) => [call.function.name, JSON.parse(call.function.arguments)]),
      );
      expect(chunks.at(-1)!.choices).toEqual([]);
      expect(translator.tokens()).toEqual(usage ?? expected);
    },
  );

  test("openai text.sse without usage still ends cleanly, with no usage", async () => {
    const translator = format("openai").translator();
    const { chunks, finished } = replaySse(translator, await fixture("openai/text.sse"));
    expect(finished).toBe(true);
    expect(assemble(chunks).content).toBe(REPLY);
    expect(translator.tokens()).toBeUndefined();
  });
});

describe("errors", () => {
  test.each([["openai"], ["anthropic"], ["gemini"]])(
    "%s stream-error.sse errors the stream, retryably",
    async (provider) => {
      let error: unknown;
      try {
        replaySse(format(provider).translator(), await fixture(`${provider}/stream-error.sse`));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ retryable: true });
    },
  );

  test.each([
    ["openai", 400, 400, false],
    ["openai", 429, 429, true],
    ["openai", 500, 502, true],
    ["openai", 503, 503, true],
    ["anthropic", 400, 400, false],
    ["anthropic", 429, 429, true],
    ["anthropic", 500, 502, true],
    ["anthropic", 529, 503, true],
    ["gemini", 400, 400, false],
    ["gemini", 429, 429, true],
    ["gemini", 500, 502, true],
    ["gemini", 503, 503, true],
  ])("%s error-%i.json -> %i retryable=%p, message kept", async (provider, status, expected, retryable) => {
    const body = await fixtureJson(`${provider}/error-${status}.json`);
    const headers =
      status === 429 && provider !== "gemini" ? new Headers({ "retry-after": "20" }) : undefined;
    const error = format(provider).error(status, body, headers);
    expect(error.status).toBe(expected);
    expect(error.retryable).toBe(retryable);
    expect(error.upstreamStatus).toBe(status);
    expect(error.message.length).toBeGreaterThan(`The provider '${provider}'`.length + 20);
    if (status === 429) expect(error.retryAfterSeconds).toBe(20);
  });
});
