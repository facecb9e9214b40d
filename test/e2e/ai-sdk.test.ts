// The Vercel AI SDK (`ai` + `@ai-sdk/openai`, chat completions) as a client: another popular client with its own
// strict parsing of responses, chunks, usage and tool calls, through each adapter and through `auto`.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, Output, stepCountIs, streamText, tool } from "ai";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
let provider: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "anthropic", "gemini", "mistral"],
    build: { routing: true },
  });
  provider = createOpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1` });
});
afterAll(() => h.close());

const weather = tool({
  description: "Current weather in a city",
  inputSchema: jsonSchema<{ city: string }>({
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

describe.each([["gpt-5-nano"], ["claude-haiku-4-5"], ["gemini-2.5-flash"], ["mistral-small"]])(
  "%s",
  (model) => {
    test("generateText: text, finish reason and usage", async () => {
      const result = await generateText({
        model: provider.chat(model),
        prompt: "Name one prime number.",
        maxRetries: 0,
      });
      expect(result.text).toBe("Simulated reply to: Name one prime number.");
      expect(result.finishReason).toBe("stop");
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(result.response.modelId).toContain(model.split("-")[0] as string);
    });

    test("streamText: every delta arrives in order, with usage at the end", async () => {
      const result = streamText({
        model: provider.chat(model),
        prompt: "Stream a short answer, please.",
        maxRetries: 0,
      });
      const deltas: string[] = [];
      for await (const delta of result.textStream) deltas.push(delta);
      expect(deltas.length).toBeGreaterThan(2);
      expect(deltas.join("")).toBe("Simulated reply to: Stream a short answer, please.");
      expect(await result.finishReason).toBe("stop");
      const usage = await result.usage;
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThan(0);
    });

    test("tools over two steps (streamed): the call, its result, then the answer", async () => {
      const result = streamText({
        model: provider.chat(model),
        prompt: "What is the weather in Paris?",
        tools: { weather },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      const text = await result.text;
      const steps = await result.steps;
      expect(steps).toHaveLength(2);
      const [call] = steps[0]?.toolCalls ?? [];
      expect(call?.toolName).toBe("weather");
      expect(call?.input).toEqual({ city: "sim" });
      expect(steps[0]?.toolResults[0]?.output).toEqual({ city: "sim", celsius: 21 });
      expect(steps[0]?.finishReason).toBe("tool-calls");
      expect(text).toStartWith("Simulated answer using the tool result:");
    });

    test("structured output with a JSON schema", async () => {
      const result = await generateText({
        model: provider.chat(model),
        prompt: "Give me a city and its population.",
        output: Output.object({
          schema: jsonSchema<{ city: string; population: number }>({
            type: "object",
            properties: { city: { type: "string" }, population: { type: "number" } },
            required: ["city", "population"],
            additionalProperties: false,
          }),
        }),
        maxRetries: 0,
      });
      expect(result.output).toEqual({ city: "sim", population: 1 });
    });
  },
);

test("auto: the SDK gets the answer; the log names the routed model and tier", async () => {
  const result = await generateText({ model: provider.chat("auto"), prompt: "hi there!", maxRetries: 0 });
  expect(result.text).toBe("Simulated reply to: hi there!");
  const headers = result.response.headers ?? {};
  const row = logRow(h, headers["x-request-id"] ?? null);
  expect(row?.requestedModel).toBe("auto");
  expect(row?.tier).toBe("simple");
  expect(row?.routedModel).toBe(headers["x-spendex-routed-model"] as string);
  expect(result.response.modelId).toBe(row?.routedModel?.split("/")[1] as string);
});
