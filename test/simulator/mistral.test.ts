// The simulator's OpenAI-format path, proved with the official `@mistralai/mistralai` SDK (POST /v1/chat/completions).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Mistral } from "@mistralai/mistralai";
import { MistralError } from "@mistralai/mistralai/models/errors";
import { type SimulatorHandle, startSimulator } from "../../src/simulator";

let sim: SimulatorHandle;
let client: Mistral;

beforeAll(async () => {
  sim = await startSimulator({ requireKey: "mistral-key" });
  client = new Mistral({ apiKey: "mistral-key", serverURL: sim.url, retryConfig: { strategy: "none" } });
});
afterAll(async () => {
  await sim.stop();
});

describe("mistral client on the openai format", () => {
  test("complete: text and usage", async () => {
    const response = await client.chat.complete({
      model: "mistral-small-latest",
      messages: [{ role: "user", content: "Bonjour tout le monde" }],
    });
    expect(response.choices[0]?.message?.content).toBe("Simulated reply to: Bonjour tout le monde");
    expect(response.choices[0]!.finishReason).toBe("stop");
    expect(response.usage).toMatchObject({ promptTokens: 6, completionTokens: 11, totalTokens: 17 });
    expect(sim.records().at(-1)!.path).toBe("/v1/chat/completions");
  });

  test("stream: text deltas and finish reason", async () => {
    const stream = await client.chat.stream({
      model: "mistral-small-latest",
      messages: [{ role: "user", content: "Stream this please" }],
    });
    let text = "";
    let finish: string | null | undefined;
    for await (const event of stream) {
      const choice = event.data.choices[0];
      if (typeof choice?.delta.content === "string") text += choice.delta.content;
      if (choice?.finishReason) finish = choice.finishReason;
    }
    expect(text).toBe("Simulated reply to: Stream this please");
    expect(finish).toBe("stop");
  });

  test("tool call", async () => {
    const response = await client.chat.complete({
      model: "mistral-large-latest",
      tools: [
        {
          type: "function",
          function: {
            name: "lookup",
            parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
          },
        },
      ],
      messages: [{ role: "user", content: "Look it up" }],
    });
    const call = response.choices[0]?.message?.toolCalls?.[0];
    if (!call) throw new Error("expected a tool call");
    expect(call.function.name).toBe("lookup");
    expect(JSON.parse(call.function.arguments as string)).toEqual({ query: "sim" });
    expect(response.choices[0]!.finishReason).toBe("tool_calls");
  });

  test("stream: usage rides on the finish chunk, tool calls arrive whole with 9-character ids", async () => {
    const stream = await client.chat.stream(
      {
        model: "mistral-large-latest",
        tools: [
          { type: "function", function: { name: "a", parameters: { type: "object", properties: {} } } },
          { type: "function", function: { name: "b", parameters: { type: "object", properties: {} } } },
        ],
        messages: [{ role: "user", content: "Call both" }],
      },
      { headers: { "x-sim-tool-calls": "2" } },
    );
    const events = [];
    for await (const event of stream) events.push(event.data);
    const withCalls = events.filter((chunk) => chunk.choices[0]?.delta.toolCalls);
    expect(withCalls).toHaveLength(1);
    const calls = withCalls[0]!.choices[0]!.delta.toolCalls!;
    expect(calls.map((call) => call.function.name)).toEqual(["a", "b"]);
    expect(calls.map((call) => call.function.arguments)).toEqual(["{}", "{}"]);
    for (const call of calls) expect(call.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    const last = events.at(-1)!;
    expect(last.choices[0]!.finishReason).toBe("tool_calls");
    expect(last.usage).toMatchObject({ promptTokens: 3, totalTokens: 5, completionTokens: 2 });
    expect(events.slice(0, -1).every((chunk) => chunk.usage === undefined)).toBe(true);
  });

  test("tool result round trip with Mistral's ids; OpenAI-style ids are refused", async () => {
    const tool = {
      type: "function" as const,
      function: {
        name: "lookup",
        parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
      },
    };
    const first = await client.chat.complete({
      model: "mistral-small-latest",
      tools: [tool],
      messages: [{ role: "user", content: "Find" }],
    });
    const call = first.choices[0]?.message?.toolCalls?.[0];
    if (!call?.id) throw new Error("expected a tool call with an id");
    const answer = await client.chat.complete({
      model: "mistral-small-latest",
      tools: [tool],
      messages: [
        { role: "user", content: "Find" },
        { role: "assistant", content: "", toolCalls: [call] },
        { role: "tool", toolCallId: call.id, name: "lookup", content: "Found it" },
      ],
    });
    expect(answer.choices[0]?.message?.content).toBe("Simulated answer using the tool result: Found it");
    const refused = await client.chat
      .complete({
        model: "mistral-small-latest",
        messages: [
          { role: "user", content: "Find" },
          { role: "assistant", content: "", toolCalls: [{ ...call, id: "call_abc123def456" }] },
          { role: "tool", toolCallId: "call_abc123def456", content: "Found it" },
        ],
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MistralError);
    expect((refused as MistralError).statusCode).toBe(400);
    expect((refused as MistralError).body).toContain("must be a-z, A-Z, 0-9, with a length of 9");
  });

  test("unknown fields get Mistral's 422; faults use Mistral's flat error body", async () => {
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer mistral-key", "content-type": "application/json" },
      body: JSON.stringify({
        model: "mistral-small-latest",
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      object: "error",
      type: "invalid_request_message_error",
      message: { detail: [{ type: "extra_forbidden", loc: ["body", "stream_options"] }] },
    });
    const limited = await client.chat
      .complete(
        { model: "mistral-small-latest", messages: [{ role: "user", content: "hi" }] },
        { headers: { "x-sim-fault": "429:2" } },
      )
      .catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(MistralError);
    expect((limited as MistralError).statusCode).toBe(429);
    expect(JSON.parse((limited as MistralError).body)).toMatchObject({
      object: "error",
      type: "rate_limited",
    });
    expect((limited as MistralError).headers.get("retry-after")).toBe("2");
  });

  test("x-sim-dialect: openai turns the Mistral dialect off for a Mistral model name", async () => {
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: "Bearer mistral-key",
        "content-type": "application/json",
        "x-sim-dialect": "openai",
      },
      body: JSON.stringify({ model: "mistral-small-latest", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(((await response.json()) as { id: string }).id).toStartWith("chatcmpl-");
  });
});

describe("reasoning models: thinking as content chunks the official SDK parses", () => {
  const messages = [{ role: "user" as const, content: "Why is the sky blue?" }];
  const THOUGHT = "Thinking about: Why is the sky blue?";
  const ANSWER = "Simulated reply to: Why is the sky blue?";

  test("Magistral complete: content is [ThinkChunk, TextChunk]; thinking counts in completion tokens", async () => {
    const response = await client.chat.complete({ model: "magistral-medium-2509", messages });
    expect(response.choices[0]?.message?.content).toEqual([
      { type: "thinking", thinking: [{ type: "text", text: THOUGHT }] },
      { type: "text", text: ANSWER },
    ]);
    // 40 characters of answer (10 tokens) plus 36 of thought (9 tokens).
    expect(response.usage).toMatchObject({ promptTokens: 5, completionTokens: 19, totalTokens: 24 });
  });

  test("Magistral stream: thinking-chunk arrays, one delta ending the thinking and starting the answer, then strings", async () => {
    const stream = await client.chat.stream({ model: "magistral-small-2509", messages });
    let thought = "";
    let answer = "";
    let mixed = 0;
    for await (const event of stream) {
      const content = event.data.choices[0]?.delta.content;
      if (typeof content === "string") answer += content;
      else if (Array.isArray(content)) {
        if (content.some((chunk) => chunk.type === "text")) mixed += 1;
        for (const chunk of content) {
          if (chunk.type === "thinking") {
            for (const inner of chunk.thinking) if (inner.type === "text") thought += inner.text;
          } else if (chunk.type === "text") answer += chunk.text;
        }
      }
    }
    expect(thought).toBe(THOUGHT);
    expect(answer).toBe(ANSWER);
    expect(mixed).toBe(1);
  });

  test("reasoning_effort: thinking on an adjustable model unless 'none'; refused on Magistral", async () => {
    const high = await client.chat.complete({
      model: "mistral-small-latest",
      messages,
      reasoningEffort: "high",
    });
    expect(Array.isArray(high.choices[0]?.message?.content)).toBe(true);
    const none = await client.chat.complete({
      model: "mistral-small-latest",
      messages,
      reasoningEffort: "none",
    });
    expect(none.choices[0]?.message?.content).toBe(ANSWER);
    const refused = await client.chat
      .complete({ model: "magistral-medium-latest", messages, reasoningEffort: "high" })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MistralError);
    expect((refused as MistralError).statusCode).toBe(400);
    expect((refused as MistralError).body).toContain("reasoning_effort");
  });
});
