// One conformance suite over every adapter, against the provider simulator speaking each real wire format.
// An adapter opts in with one line in SUITE.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BUILTIN_MODELS, costOf } from "../../src/catalog";
import { ProviderError } from "../../src/errors";
import type { ChatMessage, ChatRequest, FunctionTool } from "../../src/openai/types";
import { createAdapter, type ProviderAdapter, type ProviderKind } from "../../src/providers";
import { type SimulatorHandle, startSimulator } from "../../src/simulator";
import { assemble, callOptions, drain } from "./helpers";

interface Conformant {
  kind: ProviderKind;
  /** The catalog model (for pricing) and the upstream model name sent to the simulator. */
  model: string;
  upstreamModel: string;
  /** Appended to the simulator URL: OpenAI-format base URLs include /v1, native ones do not. */
  basePath: string;
  /** Set while the simulator cannot speak this format yet: the cases become todos. */
  pending?: string;
  /** False for upstreams that never report prompt-cache reads (Mistral): cached tokens are then 0. */
  reportsCache?: false;
}

const SUITE: Conformant[] = [
  { kind: "openai", model: "openai/gpt-5-mini", upstreamModel: "gpt-5-mini", basePath: "/v1" },
  { kind: "openai-compatible", model: "openai/gpt-5-nano", upstreamModel: "llama-3.3-70b", basePath: "/v1" },
  {
    kind: "mistral",
    model: "mistral/mistral-small",
    upstreamModel: "mistral-small-latest",
    basePath: "/v1",
    reportsCache: false,
  },
  { kind: "anthropic", model: "anthropic/claude-haiku-4-5", upstreamModel: "claude-haiku-4-5", basePath: "" },
  { kind: "gemini", model: "gemini/gemini-2.5-flash", upstreamModel: "gemini-2.5-flash", basePath: "" },
];

const KEY = "sk-sim-conformance-key";
let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ requireKey: KEY });
});
afterAll(async () => {
  await sim.stop();
});

const weather: FunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    },
  },
};
const time: FunctionTool = {
  type: "function",
  function: {
    name: "get_time",
    description: "Local time in a timezone",
    parameters: { type: "object", properties: { tz: { type: "string" } }, required: ["tz"] },
  },
};
const user = (content: ChatMessage["content"]): ChatMessage => ({ role: "user", content });
// A 1x1 PNG.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe.each(SUITE)("$kind adapter", (entry) => {
  const run = entry.pending === undefined ? test : test.todo;
  let adapter: ProviderAdapter;
  beforeAll(() => {
    adapter = createAdapter({
      name: entry.kind,
      kind: entry.kind,
      baseUrl: `${sim.url}${entry.basePath}`,
      apiKey: KEY,
    });
  });
  const options = (
    request: Partial<ChatRequest> & Pick<ChatRequest, "messages">,
    headers?: Record<string, string>,
  ) => callOptions(request, { upstreamModel: entry.upstreamModel, passHeaders: headers });
  const complete = async (
    request: Partial<ChatRequest> & Pick<ChatRequest, "messages">,
    headers?: Record<string, string>,
  ) => (await adapter.complete(options(request, headers))).body.choices[0]!;
  const streamed = async (
    request: Partial<ChatRequest> & Pick<ChatRequest, "messages">,
    headers?: Record<string, string>,
  ) => {
    const result = await adapter.stream(options({ ...request, stream: true }, headers));
    const chunks = await drain(result.chunks);
    return { chunks, tokens: result.tokens(), ...assemble(chunks) };
  };

  run("plain: text, finish and usage; model and key sent as the provider expects", async () => {
    const result = await adapter.complete(options({ messages: [user("Hello there, simulator")] }));
    const choice = result.body.choices[0]!;
    expect(choice.message.role).toBe("assistant");
    expect(choice.message.content).toBe("Simulated reply to: Hello there, simulator");
    expect(choice.finish_reason).toBe("stop");
    expect(result.body.usage?.prompt_tokens).toBe(result.tokens.prompt);
    expect(result.tokens.prompt).toBeGreaterThan(0);
    expect(result.tokens.completion).toBeGreaterThan(0);
    expect(sim.records().at(-1)!.model).toBe(entry.upstreamModel);
  });

  run("system prompt reaches the upstream (counted in the prompt)", async () => {
    const messages = [user("Short question")];
    const bare = await adapter.complete(options({ messages }));
    const system = "You are a very careful assistant who answers in one sentence.";
    const withSystem = await adapter.complete(
      options({ messages: [{ role: "system", content: system }, ...messages] }),
    );
    expect(withSystem.body.choices[0]!.message.content).toBe("Simulated reply to: Short question");
    expect(withSystem.tokens.prompt).toBeGreaterThan(bare.tokens.prompt);
    expect(JSON.stringify(sim.records().at(-1)!.body)).toContain(system);
  });

  run("multi-turn: answers the last user turn", async () => {
    const choice = await complete({
      messages: [
        user("first question"),
        { role: "assistant", content: "first answer" },
        user("second question"),
      ],
    });
    expect(choice.message.content).toBe("Simulated reply to: second question");
  });

  run("tools: a call with JSON-string arguments", async () => {
    const choice = await complete({
      messages: [user("Weather in Paris?")],
      tools: [weather],
      tool_choice: "auto",
    });
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    expect(call.id.length).toBeGreaterThan(0);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "sim" });
  });

  run("tool results: the call and its result sent back", async () => {
    const first = await complete({ messages: [user("Weather in Paris?")], tools: [weather] });
    const call = first.message.tool_calls![0]!;
    const choice = await complete({
      tools: [weather],
      messages: [
        user("Weather in Paris?"),
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "18C and sunny" },
      ],
    });
    expect(choice.finish_reason).toBe("stop");
    // Gemini carries results as objects ({ result: ... }), which the simulator echoes as JSON.
    expect(choice.message.content).toStartWith("Simulated answer using the tool result: ");
    expect(choice.message.content).toContain("18C and sunny");
  });

  run("parallel tool calls: distinct ids, both tools", async () => {
    const choice = await complete(
      { messages: [user("Weather and time?")], tools: [weather, time] },
      { "x-sim-tool-calls": "2" },
    );
    const calls = choice.message.tool_calls!;
    expect(calls.map((call) => call.function.name)).toEqual(["get_weather", "get_time"]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    expect(JSON.parse(calls[1]!.function.arguments)).toEqual({ tz: "sim" });
  });

  run("streaming text: role first, deltas, finish, then a usage chunk", async () => {
    const result = await streamed({ messages: [user("Stream me a reply please")] });
    expect(result.role).toBe("assistant");
    expect(result.content).toBe("Simulated reply to: Stream me a reply please");
    expect(result.finish).toBe("stop");
    const last = result.chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBe(result.tokens?.completion);
    expect(result.tokens!.prompt).toBeGreaterThan(0);
    expect(
      result.chunks.slice(0, -1).every((chunk) => chunk.choices.length === 1 && chunk.usage == null),
    ).toBe(true);
  });

  run("streaming tool calls: indexes, ids and assembled arguments", async () => {
    const result = await streamed(
      { messages: [user("Weather and time?")], tools: [weather, time] },
      { "x-sim-tool-calls": "2" },
    );
    expect(result.finish).toBe("tool_calls");
    expect(result.calls.map((call) => call.name)).toEqual(["get_weather", "get_time"]);
    expect(result.calls.every((call) => call.id.length > 0)).toBe(true);
    expect(JSON.parse(result.calls[0]!.arguments)).toEqual({ city: "sim" });
    expect(JSON.parse(result.calls[1]!.arguments)).toEqual({ tz: "sim" });
  });

  run("images: a data URL reaches the upstream as inline image data", async () => {
    const choice = await complete({
      messages: [
        user([
          { type: "text", text: "Describe this" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
        ]),
      ],
    });
    expect(choice.message.content).toBe("Simulated reply to: Describe this");
    expect(JSON.stringify(sim.records().at(-1)!.body)).toContain(PNG);
  });

  run("JSON mode: json_schema answers parse to the schema", async () => {
    const schema = {
      type: "object",
      properties: { answer: { type: "string" }, score: { type: "integer" } },
      required: ["answer", "score"],
      additionalProperties: false,
    };
    const choice = await complete({
      messages: [user("Rate this")],
      response_format: { type: "json_schema", json_schema: { name: "rating", schema, strict: true } },
    });
    expect(JSON.parse(choice.message.content!)).toEqual({ answer: "sim", score: 1 });
  });

  run("stop sequences end the answer before the sequence", async () => {
    const headers = { "x-sim-reply": "alpha beta STOP gamma" };
    const choice = await complete({ messages: [user("go")], stop: ["STOP"] }, headers);
    expect(choice.message.content).toBe("alpha beta ");
    expect(choice.finish_reason).toBe("stop");
    const result = await streamed({ messages: [user("go")], stop: "STOP" }, headers);
    expect(result.content).toBe("alpha beta ");
  });

  run("usage and cost: cached tokens priced at the cached price, stream and non-stream agree", async () => {
    const messages = [user("a fairly long prompt ".repeat(40))];
    const headers = { "x-sim-cached-tokens": "64" };
    const result = await adapter.complete(options({ messages }, headers));
    const stream = await streamed({ messages }, headers);
    const cached = entry.reportsCache === false ? 0 : 64;
    expect(result.tokens.cached).toBe(cached);
    expect(result.tokens.prompt).toBeGreaterThan(64);
    expect(result.body.usage?.prompt_tokens_details?.cached_tokens ?? 0).toBe(cached);
    expect({ ...stream.tokens, cacheWrite: undefined }).toEqual({ ...result.tokens, cacheWrite: undefined });
    const model = BUILTIN_MODELS.find((candidate) => candidate.id === entry.model)!;
    const { prices } = model;
    const expected =
      ((result.tokens.prompt - cached) * prices.input +
        cached * prices.cachedInput +
        result.tokens.completion * prices.output) /
      1e6;
    expect(costOf(model, result.tokens)).toBeCloseTo(expected, 9);
  });

  describe("error mapping", () => {
    test.each([
      ["500", 502, true, undefined],
      ["503", 503, true, undefined],
      ["429:7", 429, true, 7],
      ["529", 503, true, undefined],
    ])("fault %s -> status %i retryable=%p", async (fault, status, retryable, retryAfter) => {
      if (entry.pending !== undefined) return;
      const error = await rejection(
        adapter.complete(options({ messages: [user("x")] }, { "x-sim-fault": fault })),
      );
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ status, retryable, upstreamStatus: Number(fault.split(":")[0]) });
      expect((error as ProviderError).retryAfterSeconds).toBe(retryAfter);
    });

    run("a wrong provider key -> 502 upstream_auth_error, not retryable, key not echoed", async () => {
      const wrong = createAdapter({
        name: entry.kind,
        kind: entry.kind,
        baseUrl: `${sim.url}${entry.basePath}`,
        apiKey: "sk-wrong-key-0123456789",
      });
      const error = await rejection(wrong.complete(options({ messages: [user("x")] })));
      expect(error).toMatchObject({ status: 502, code: "upstream_auth_error", retryable: false });
      expect((error as Error).message).not.toContain("sk-wrong");
    });

    run("an error event mid-stream -> the stream errors with a retryable ProviderError", async () => {
      const error = await rejection(
        streamed({ messages: [user("one two three four five")] }, { "x-sim-fault": "error:2:529" }),
      );
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ retryable: true });
    });
  });

  run("client abort mid-stream cancels the upstream request", async () => {
    const before = sim.abortedCount();
    const client = new AbortController();
    const result = await adapter.stream(
      callOptions(
        { messages: [user("word ".repeat(50))], stream: true },
        { upstreamModel: entry.upstreamModel, signal: client.signal, passHeaders: { "x-sim-tps": "20" } },
      ),
    );
    const reader = result.chunks.getReader();
    await reader.read();
    client.abort(new Error("client went away"));
    expect(((await rejection(reader.read())) as Error).message).toBe("client went away");
    for (let i = 0; i < 50 && sim.abortedCount() === before; i++) await Bun.sleep(10);
    expect(sim.abortedCount()).toBe(before + 1);
  });

  run("cut stream -> the stream errors with a retryable stream_interrupted", async () => {
    const error = await rejection(
      streamed({ messages: [user("one two three four five six")] }, { "x-sim-fault": "cut:2" }),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "stream_interrupted", retryable: true, upstreamStatus: 0 });
  });

  run("hang -> first-byte timeout, retryable, and the upstream is released", async () => {
    const before = sim.abortedCount();
    const error = await rejection(
      adapter.complete(
        callOptions(
          { messages: [user("x")] },
          {
            upstreamModel: entry.upstreamModel,
            passHeaders: { "x-sim-fault": "hang" },
            timeouts: { firstByteMs: 50 },
          },
        ),
      ),
    );
    expect(error).toMatchObject({ code: "upstream_timeout", retryable: true, upstreamStatus: 0 });
    for (let i = 0; i < 50 && sim.abortedCount() === before; i++) await Bun.sleep(10);
    expect(sim.abortedCount()).toBe(before + 1);
  });
});
