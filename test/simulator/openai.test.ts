// The simulator's OpenAI format, proved with the official `openai` SDK as the client.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { type APIError } from "openai";
import type { ChatCompletionChunk, ChatCompletionTool } from "openai/resources/chat/completions";
import { type SimulatorHandle, startSimulator } from "../../src/simulator";

let sim: SimulatorHandle;
let client: OpenAI;

const weather: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string" },
        days: { type: "integer" },
        metric: { type: "boolean" },
        unit: { type: "string", enum: ["c", "f"] },
        note: { type: "string" },
      },
      required: ["city", "days", "metric", "unit"],
    },
  },
};
const time: ChatCompletionTool = {
  type: "function",
  function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } } } },
};

beforeAll(async () => {
  sim = await startSimulator();
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await sim.stop();
});

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("openai format", () => {
  test("plain completion: text, finish reason, usage, ids", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-5-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is the capital of France?" },
      ],
    });
    expect(completion.id).toStartWith("chatcmpl-");
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("gpt-5-mini");
    expect(completion.system_fingerprint).toBeString();
    const choice = completion.choices[0]!;
    expect(choice.message.role).toBe("assistant");
    expect(choice.message.content).toBe("Simulated reply to: What is the capital of France?");
    expect(choice.finish_reason).toBe("stop");
    // "Be brief." (9) + "What is the capital of France?" (30) = 39 chars -> 10 tokens; reply 50 chars -> 13.
    expect(completion.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 13, total_tokens: 23 });
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const record = sim.records().at(-1)!;
    expect(record).toMatchObject({ format: "openai", model: "gpt-5-mini", status: 200, stream: false });
    expect(record.headers.authorization).toBe("Bearer sk-test");
  });

  test("x-sim-reply and x-sim-cached-tokens", async () => {
    const completion = await client.chat.completions.create(
      { model: "gpt-5", messages: [{ role: "user", content: "x".repeat(400) }] },
      { headers: { "x-sim-reply": "Exactly this.", "x-sim-cached-tokens": "64" } },
    );
    expect(completion.choices[0]!.message.content).toBe("Exactly this.");
    expect(completion.usage?.prompt_tokens).toBe(100);
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(64);
  });

  test("stream without include_usage: role chunk first, no usage, no empty choices", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-5",
      stream: true,
      messages: [{ role: "user", content: "Tell me a story about a fox" }],
    });
    const chunks = await collect(stream);
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: "assistant", content: "" });
    for (const chunk of chunks) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.choices).toHaveLength(1);
      expect("usage" in chunk).toBe(false);
    }
    const text = chunks.map((chunk) => chunk.choices[0]!.delta.content ?? "").join("");
    expect(text).toBe("Simulated reply to: Tell me a story about a fox");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  test("stream with include_usage: usage: null on chunks, then a usage chunk with empty choices", async () => {
    const stream = await client.chat.completions.create(
      {
        model: "gpt-5",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "Hello there friend" }],
      },
      { headers: { "x-sim-cached-tokens": "2" } },
    );
    const chunks = await collect(stream);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 10, total_tokens: 15 });
    expect(last.usage?.prompt_tokens_details?.cached_tokens).toBe(2);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
  });

  test("tool call: arguments built from the schema, finish tool_calls", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-5",
      tools: [weather, time],
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    expect(call.id).toStartWith("call_");
    if (call.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "sim", days: 1, metric: true, unit: "c" });
  });

  test("tool_choice names the tool; none answers text", async () => {
    const chosen = await client.chat.completions.create({
      model: "gpt-5",
      tools: [weather, time],
      tool_choice: { type: "function", function: { name: "get_time" } },
      messages: [{ role: "user", content: "Time?" }],
    });
    const call = chosen.choices[0]!.message.tool_calls![0]!;
    if (call.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_time");
    // No `required` list: every property is filled.
    expect(JSON.parse(call.function.arguments)).toEqual({ zone: "sim" });
    const none = await client.chat.completions.create({
      model: "gpt-5",
      tools: [weather],
      tool_choice: "none",
      messages: [{ role: "user", content: "Just talk" }],
    });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    expect(none.choices[0]!.message.content).toBe("Simulated reply to: Just talk");
  });

  test("parallel tool calls streamed: header delta then argument fragments, per index", async () => {
    const stream = await client.chat.completions.create(
      { model: "gpt-5", stream: true, tools: [weather, time], messages: [{ role: "user", content: "Both" }] },
      { headers: { "x-sim-tool-calls": "2" } },
    );
    const chunks = await collect(stream);
    const calls = new Map<number, { id?: string; name?: string; arguments: string }>();
    for (const chunk of chunks) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        const entry = calls.get(delta.index) ?? { arguments: "" };
        if (delta.id) {
          // The header delta: id, type and name together with empty arguments.
          expect(delta.type).toBe("function");
          expect(delta.function?.arguments).toBe("");
          entry.id = delta.id;
          entry.name = delta.function?.name;
        } else {
          expect(delta.function?.name).toBeUndefined();
        }
        entry.arguments += delta.function?.arguments ?? "";
        calls.set(delta.index, entry);
      }
    }
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("tool_calls");
    expect([...calls.keys()]).toEqual([0, 1]);
    expect(calls.get(0)!.name).toBe("get_weather");
    expect(calls.get(1)!.name).toBe("get_time");
    expect(calls.get(0)!.id).not.toBe(calls.get(1)!.id);
    expect(JSON.parse(calls.get(0)!.arguments)).toEqual({ city: "sim", days: 1, metric: true, unit: "c" });
    expect(JSON.parse(calls.get(1)!.arguments)).toEqual({ zone: "sim" });
  });

  test("tool result round trip answers with text mentioning the result", async () => {
    const first = await client.chat.completions.create({
      model: "gpt-5",
      tools: [weather],
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const second = await client.chat.completions.create({
      model: "gpt-5",
      tools: [weather],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        first.choices[0]!.message,
        { role: "tool", tool_call_id: call.id, content: "Sunny and 21 degrees" },
      ],
    });
    expect(second.choices[0]!.finish_reason).toBe("stop");
    expect(second.choices[0]!.message.content).toBe(
      "Simulated answer using the tool result: Sunny and 21 degrees",
    );
  });

  test("JSON mode: json_object and json_schema give valid JSON", async () => {
    const object = await client.chat.completions.create({
      model: "gpt-5",
      response_format: { type: "json_object" },
      messages: [{ role: "user", content: "Reply in JSON" }],
    });
    expect(JSON.parse(object.choices[0]!.message.content!)).toEqual({
      reply: "Simulated reply to: Reply in JSON",
    });
    const schema = await client.chat.completions.create({
      model: "gpt-5",
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "person",
          schema: {
            type: "object",
            properties: {
              name: { type: "string" },
              age: { type: "integer" },
              tags: { type: "array", items: { type: "string" } },
            },
            required: ["name", "age", "tags"],
          },
        },
      },
      messages: [{ role: "user", content: "A person" }],
    });
    expect(JSON.parse(schema.choices[0]!.message.content!)).toEqual({ name: "sim", age: 1, tags: ["sim"] });
  });

  test("stop sequence truncates with finish stop; max_tokens truncates with finish length", async () => {
    const stopped = await client.chat.completions.create(
      { model: "gpt-5", stop: ["END", "zzz"], messages: [{ role: "user", content: "go" }] },
      { headers: { "x-sim-reply": "one two END three" } },
    );
    expect(stopped.choices[0]!.message.content).toBe("one two ");
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    const cut = await client.chat.completions.create({
      model: "gpt-5",
      max_completion_tokens: 3,
      messages: [{ role: "user", content: "Write a long essay about the sea" }],
    });
    expect(cut.choices[0]!.message.content).toBe("Simulated re");
    expect(cut.choices[0]!.finish_reason).toBe("length");
    expect(cut.usage?.completion_tokens).toBe(3);
    const legacy = await client.chat.completions.create({
      model: "gpt-5",
      max_tokens: 2,
      stream: true,
      messages: [{ role: "user", content: "Write a long essay" }],
    });
    const chunks = await collect(legacy);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("Simulate");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
  });

  test("x-sim-finish forces the finish reason", async () => {
    const completion = await client.chat.completions.create(
      { model: "gpt-5", messages: [{ role: "user", content: "hi" }] },
      { headers: { "x-sim-finish": "content_filter" } },
    );
    expect(completion.choices[0]!.finish_reason).toBe("content_filter");
  });

  test("errors surface as the SDK's typed errors", async () => {
    const ask = (fault: string) =>
      client.chat.completions.create(
        { model: "gpt-5", messages: [{ role: "user", content: "hi" }] },
        { headers: { "x-sim-fault": fault } },
      );
    const internal = await ask("500").catch((error: unknown) => error);
    expect(internal).toBeInstanceOf(OpenAI.InternalServerError);
    expect((internal as APIError).status).toBe(500);
    expect((internal as APIError).type).toBe("server_error");
    const unavailable = await ask("503").catch((error: unknown) => error);
    expect(unavailable).toBeInstanceOf(OpenAI.InternalServerError);
    expect((unavailable as APIError).status).toBe(503);
    const limited = await ask("429:7").catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as APIError).code).toBe("rate_limit_exceeded");
    expect((limited as APIError).headers?.get("retry-after")).toBe("7");
    const invalid = await client.chat.completions
      .create({ model: "gpt-5", messages: [] })
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(sim.records().at(-1)!.status).toBe(400);
  });

  test("requireKey: a wrong key gets 401 invalid_api_key", async () => {
    const guarded = await startSimulator({ requireKey: "sk-right" });
    try {
      const wrong = new OpenAI({ apiKey: "sk-wrong", baseURL: `${guarded.url}/v1`, maxRetries: 0 });
      const error = await wrong.chat.completions
        .create({ model: "gpt-5", messages: [{ role: "user", content: "hi" }] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as APIError).code).toBe("invalid_api_key");
      const right = new OpenAI({ apiKey: "sk-right", baseURL: `${guarded.url}/v1`, maxRetries: 0 });
      const ok = await right.chat.completions.create({
        model: "gpt-5",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(ok.choices[0]!.message.content).toBe("Simulated reply to: hi");
    } finally {
      await guarded.stop();
    }
  });

  test("tool history must pair up: a stray tool message and an unanswered call are 400s", async () => {
    const stray = await client.chat.completions
      .create({
        model: "gpt-5",
        messages: [
          { role: "user", content: "hi" },
          { role: "tool", tool_call_id: "call_nowhere", content: "result" },
        ],
      })
      .catch((error: unknown) => error);
    expect(stray).toBeInstanceOf(OpenAI.BadRequestError);
    expect((stray as APIError).param).toBe("messages.[1].role");
    const unanswered = await client.chat.completions
      .create({
        model: "gpt-5",
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } },
              { id: "call_2", type: "function", function: { name: "f", arguments: "{}" } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "one" },
          { role: "user", content: "and?" },
        ],
      })
      .catch((error: unknown) => error);
    expect(unanswered).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unanswered as APIError).message).toContain("did not have response messages: call_2");
  });

  test("images: URLs and image data URLs pass; other MIME types are refused with the param", async () => {
    const ask = (url: string) =>
      client.chat.completions.create({
        model: "gpt-5",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Describe this" },
              { type: "image_url", image_url: { url } },
            ],
          },
        ],
      });
    expect((await ask("https://example.com/cat.png")).choices[0]!.message.content).toBe(
      "Simulated reply to: Describe this",
    );
    expect(
      (
        await ask(
          "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
        )
      ).choices[0]!.finish_reason,
    ).toBe("stop");
    const error = await ask("data:image/bmp;base64,Qk0=").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).param).toBe("messages[0].content[1].image_url.url");
    expect((error as APIError).code).toBe("invalid_value");
  });

  test("n: several choices, each billed; streamed per choice index", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-5",
      n: 2,
      messages: [{ role: "user", content: "Two takes" }],
    });
    expect(completion.choices.map((choice) => [choice.index, choice.message.content])).toEqual([
      [0, "Simulated reply to: Two takes"],
      [1, "Simulated reply to: Two takes"],
    ]);
    expect(completion.usage?.completion_tokens).toBe(16);
    const stream = await client.chat.completions.create({
      model: "gpt-5",
      n: 2,
      stream: true,
      messages: [{ role: "user", content: "Two takes" }],
    });
    const texts = ["", ""];
    const finishes: Array<string | null> = [null, null];
    for await (const chunk of await collect(stream)) {
      const choice = chunk.choices[0]!;
      texts[choice.index] += choice.delta.content ?? "";
      if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
    }
    expect(texts).toEqual(["Simulated reply to: Two takes", "Simulated reply to: Two takes"]);
    expect(finishes).toEqual(["stop", "stop"]);
  });
});
