// The simulator's Anthropic Messages format, proved with the official `@anthropic-ai/sdk` as the client.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type { RawMessageStreamEvent, Tool } from "@anthropic-ai/sdk/resources/messages";
import { type SimulatorHandle, startSimulator } from "../../src/simulator";

let sim: SimulatorHandle;
let client: Anthropic;

const weather: Tool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string" }, days: { type: "number" }, detailed: { type: "boolean" } },
    required: ["city", "days", "detailed"],
  },
};
const time: Tool = {
  name: "get_time",
  input_schema: { type: "object", properties: { zone: { type: "string" } } },
};

beforeAll(async () => {
  sim = await startSimulator({ requireKey: "sk-ant-test" });
  client = new Anthropic({ apiKey: "sk-ant-test", baseURL: sim.url, maxRetries: 0 });
});
afterAll(async () => {
  await sim.stop();
});

const status = (error: unknown) => (error instanceof Anthropic.APIError ? error.status : undefined);

describe("anthropic format", () => {
  test("messages.create: text, stop_reason, usage, headers seen", async () => {
    const message = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      system: "You are terse.",
      messages: [{ role: "user", content: "Name three rivers in Europe" }],
    });
    expect(message.id).toStartWith("msg_");
    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.model).toBe("claude-sonnet-4-6");
    expect(message.content).toEqual([
      { type: "text", text: "Simulated reply to: Name three rivers in Europe", citations: null },
    ]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.stop_sequence).toBeNull();
    // "You are terse." (14) + "Name three rivers in Europe" (27) = 41 chars -> 11 tokens; reply 47 chars -> 12.
    expect(message.usage).toMatchObject({
      input_tokens: 11,
      output_tokens: 12,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    const record = sim.records().at(-1)!;
    expect(record).toMatchObject({ format: "anthropic", path: "/v1/messages", model: "claude-sonnet-4-6" });
    // This SDK version sends the API key as a bearer token; the simulator accepts it there or in x-api-key.
    expect(record.headers.authorization).toBe("Bearer sk-ant-test");
    expect(record.headers["anthropic-version"]).toBeString();
  });

  test("cache reads are excluded from input_tokens", async () => {
    const message = await client.messages.create(
      { model: "claude-haiku-4-5", max_tokens: 100, messages: [{ role: "user", content: "y".repeat(400) }] },
      { headers: { "x-sim-cached-tokens": "60" } },
    );
    expect(message.usage.input_tokens).toBe(40);
    expect(message.usage.cache_read_input_tokens).toBe(60);
  });

  test("messages.stream: events in order and finalMessage()", async () => {
    const stream = client.messages.stream(
      { model: "claude-sonnet-4-6", max_tokens: 256, messages: [{ role: "user", content: "Hello stream" }] },
      { headers: { "x-sim-cached-tokens": "1" } },
    );
    const events: RawMessageStreamEvent[] = [];
    stream.on("streamEvent", (event) => events.push(event));
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toBe("Simulated reply to: Hello stream");
    expect(final.content).toHaveLength(1);
    expect(final.content[0]).toMatchObject({ type: "text", text: "Simulated reply to: Hello stream" });
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage).toMatchObject({ input_tokens: 2, cache_read_input_tokens: 1, output_tokens: 8 });
    const types = events.map((event) => event.type);
    expect(types[0]).toBe("message_start");
    expect(types[1]).toBe("content_block_start");
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(types.filter((type) => type === "content_block_delta").length).toBe(5);
  });

  test("raw SSE: event/data lines, message_start usage with output_tokens 1, ping", async () => {
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": "sk-ant-test",
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: "m",
        max_tokens: 50,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    const frames = text.trim().split("\n\n");
    for (const frame of frames) expect(frame).toMatch(/^event: [a-z_]+\ndata: \{.*\}$/);
    const start = JSON.parse(frames[0]!.split("data: ")[1]!);
    expect(start.message.usage).toMatchObject({ input_tokens: 1, output_tokens: 1 });
    expect(frames[2]).toStartWith("event: ping\n");
  });

  test("tool_use: input built from the schema; streamed with input_json_delta", async () => {
    const message = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      tools: [weather, time],
      messages: [{ role: "user", content: "Weather in Oslo?" }],
    });
    expect(message.stop_reason).toBe("tool_use");
    const block = message.content[0]!;
    if (block.type !== "tool_use") throw new Error(`expected tool_use, got ${block.type}`);
    expect(block.id).toStartWith("toolu_");
    expect(block.name).toBe("get_weather");
    expect(block.input).toEqual({ city: "sim", days: 1, detailed: true });

    const stream = client.messages.stream(
      {
        model: "claude-sonnet-4-6",
        max_tokens: 256,
        tools: [weather, time],
        messages: [{ role: "user", content: "Both" }],
      },
      { headers: { "x-sim-tool-calls": "2" } },
    );
    const partials: string[] = [];
    stream.on("inputJson", (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(
      final.content.map((content) => (content.type === "tool_use" ? [content.name, content.input] : [])),
    ).toEqual([
      ["get_weather", { city: "sim", days: 1, detailed: true }],
      ["get_time", { zone: "sim" }],
    ]);
    expect(partials.length).toBeGreaterThan(2);
  });

  test("tool_choice tool / none", async () => {
    const forced = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      tools: [weather, time],
      tool_choice: { type: "tool", name: "get_time" },
      messages: [{ role: "user", content: "Now" }],
    });
    expect(forced.content[0]).toMatchObject({ type: "tool_use", name: "get_time" });
    const none = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      tools: [weather],
      tool_choice: { type: "none" },
      messages: [{ role: "user", content: "Talk" }],
    });
    expect(none.content[0]).toMatchObject({ type: "text", text: "Simulated reply to: Talk" });
  });

  test("tool_result round trip answers with text", async () => {
    const first = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      tools: [weather],
      messages: [{ role: "user", content: "Weather in Oslo?" }],
    });
    const call = first.content[0]!;
    if (call.type !== "tool_use") throw new Error("expected tool_use");
    const second = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      tools: [weather],
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "Snow, minus 4" }] },
      ],
    });
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content[0]).toMatchObject({
      text: "Simulated answer using the tool result: Snow, minus 4",
    });
  });

  test("stop_sequences and max_tokens", async () => {
    const stopped = await client.messages.create(
      {
        model: "claude-haiku-4-5",
        max_tokens: 64,
        stop_sequences: ["###"],
        messages: [{ role: "user", content: "go" }],
      },
      { headers: { "x-sim-reply": "alpha beta ### gamma" } },
    );
    expect(stopped.content[0]).toMatchObject({ text: "alpha beta " });
    expect(stopped.stop_reason).toBe("stop_sequence");
    expect(stopped.stop_sequence).toBe("###");
    const cut = await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 2,
      messages: [{ role: "user", content: "A long essay" }],
    });
    expect(cut.content[0]).toMatchObject({ text: "Simulate" });
    expect(cut.stop_reason).toBe("max_tokens");
    expect(cut.usage.output_tokens).toBe(2);
    const refused = await client.messages.create(
      { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "x" }] },
      { headers: { "x-sim-finish": "content_filter" } },
    );
    expect(refused.stop_reason).toBe("refusal");
  });

  test("errors: typed SDK errors in Anthropic's envelope, 529 overloaded, 429 retry-after", async () => {
    const ask = (fault: string) =>
      client.messages.create(
        { model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
        { headers: { "x-sim-fault": fault } },
      );
    const overloaded = await ask("529").catch((error: unknown) => error);
    expect(status(overloaded)).toBe(529);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });
    const internal = await ask("500").catch((error: unknown) => error);
    expect(internal).toBeInstanceOf(Anthropic.InternalServerError);
    const limited = await ask("429:12").catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.APIError>).headers?.get("retry-after")).toBe("12");
  });

  test("validation: max_tokens required, anthropic-version required, wrong key", async () => {
    const missing = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": "sk-ant-test",
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens: Field required" },
    });
    const noVersion = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-ant-test", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(noVersion.status).toBe(400);
    const wrong = new Anthropic({ apiKey: "sk-ant-wrong", baseURL: sim.url, maxRetries: 0 });
    const error = await wrong.messages
      .create({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  test("in-stream error event and cut surface as SDK errors", async () => {
    const errored = client.messages.stream(
      { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "one two three" }] },
      { headers: { "x-sim-fault": "error:1" } },
    );
    const overloaded = await errored.finalMessage().catch((error: unknown) => error);
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      error: { type: "overloaded_error" },
    });
    const cut = client.messages.stream(
      { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "one two three" }] },
      { headers: { "x-sim-fault": "cut:2" } },
    );
    let text = "";
    cut.on("text", (delta) => {
      text += delta;
    });
    const error = await cut.finalMessage().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe("Simulated reply");
  });

  test("tool history must pair up: a tool_result for an unknown tool_use id is a 400", async () => {
    const error = await client.messages
      .create({
        model: "claude-sonnet-4-6",
        max_tokens: 16,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_a", name: "f", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_b", content: "x" }] },
        ],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.APIError>).message).toContain(
      "unexpected `tool_use_id` found in `tool_result` blocks: toolu_b",
    );
  });

  test("extended thinking: a signed thinking block first, streamed with thinking and signature deltas", async () => {
    const request = {
      model: "claude-opus-4-6",
      max_tokens: 2048,
      thinking: { type: "adaptive" as const },
      messages: [{ role: "user" as const, content: "Why is the sky blue" }],
    };
    const message = await client.messages.create(request);
    const [thinking, text] = message.content;
    if (thinking?.type !== "thinking") throw new Error("expected a thinking block first");
    expect(thinking.thinking).toBe("Thinking about: Why is the sky blue");
    expect(thinking.signature.length).toBeGreaterThan(10);
    expect(text).toMatchObject({ type: "text", text: "Simulated reply to: Why is the sky blue" });
    // 39 characters of reply (10 tokens) + 35 of thinking (9 tokens).
    expect(message.usage.output_tokens).toBe(19);
    expect(message.usage.output_tokens_details).toEqual({ thinking_tokens: 9 });
    const stream = client.messages.stream(request);
    const thoughts: string[] = [];
    stream.on("thinking", (delta) => thoughts.push(delta));
    const final = await stream.finalMessage();
    expect(thoughts.join("")).toBe("Thinking about: Why is the sky blue");
    expect(final.content[0]).toMatchObject({
      type: "thinking",
      thinking: "Thinking about: Why is the sky blue",
    });
    expect((final.content[0] as { signature: string }).signature.length).toBeGreaterThan(10);
    expect(final.content[1]).toMatchObject({ type: "text", text: "Simulated reply to: Why is the sky blue" });
    expect(final.usage.output_tokens).toBe(19);
    expect(final.usage.output_tokens_details).toEqual({ thinking_tokens: 9 });
  });

  test("images: base64 and URL sources pass; a data URL as a URL source or a bad media type is a 400", async () => {
    type Source =
      | { type: "base64"; media_type: "image/png" | "image/jpeg" | "image/gif" | "image/webp"; data: string }
      | { type: "url"; url: string };
    const ask = (source: Source) =>
      client.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 32,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Describe this" },
              { type: "image", source },
            ],
          },
        ],
      });
    const ok = await ask({
      type: "base64",
      media_type: "image/png",
      data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    });
    expect(ok.content[0]).toMatchObject({ text: "Simulated reply to: Describe this" });
    expect((await ask({ type: "url", url: "https://example.com/a.png" })).stop_reason).toBe("end_turn");
    const dataUrl = await ask({
      type: "url",
      url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    }).catch((caught: unknown) => caught);
    expect(dataUrl).toBeInstanceOf(Anthropic.BadRequestError);
    const bmp = await ask({ type: "base64", media_type: "image/bmp" as "image/png", data: "Qk0=" }).catch(
      (caught: unknown) => caught,
    );
    expect((bmp as InstanceType<typeof Anthropic.APIError>).message).toContain("media_type");
  });
});
