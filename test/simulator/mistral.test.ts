// The simulator's OpenAI-format path, proved with the official `@mistralai/mistralai` SDK (POST /v1/chat/completions).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Mistral } from "@mistralai/mistralai";
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
});
