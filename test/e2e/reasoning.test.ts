// End to end: reasoning_effort on Anthropic and Gemini comes back as reasoning_content through the official SDK.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { estimateTokens } from "../../src/simulator/reply";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({ providers: ["anthropic", "gemini"] });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

const PROMPT = "Why is the sky blue?";
const ANSWER = `Simulated reply to: ${PROMPT}`;
const THOUGHT = `Thinking about: ${PROMPT}`;
/** The simulator's thought tokens: Anthropic counts the thinking text, Gemini reports min(budget, 24). */
const THOUGHT_TOKENS: Record<string, number> = {
  "claude-sonnet-4-6": estimateTokens(THOUGHT.length),
  "gemini-2.5-flash": 24,
};
type Reasoned = { reasoning_content?: string };

describe.each(["claude-sonnet-4-6", "gemini-2.5-flash"])("%s with reasoning_effort", (model) => {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: PROMPT }];

  test("non-streaming: reasoning_content beside the unchanged answer; thinking billed as completion", async () => {
    const plain = await client.chat.completions.create({ model, messages });
    expect(plain.choices[0]?.message).not.toHaveProperty("reasoning_content");
    const { data, response } = await client.chat.completions
      .create({ model, messages, reasoning_effort: "low" })
      .withResponse();
    const message = data.choices[0]?.message as OpenAI.Chat.ChatCompletionMessage & Reasoned;
    expect(message.content).toBe(ANSWER);
    expect(message.reasoning_content).toBe(THOUGHT);
    expect(data.choices[0]?.finish_reason).toBe("stop");
    const thought = THOUGHT_TOKENS[model]!;
    expect(data.usage?.completion_tokens).toBe((plain.usage?.completion_tokens ?? 0) + thought);
    expect(data.usage?.completion_tokens_details?.reasoning_tokens).toBe(thought);
    const row = logRow(h, response.headers.get("x-request-id"));
    expect(row?.completionTokens).toBe(data.usage?.completion_tokens);
  });

  test("streaming: reasoning deltas first, the answer unchanged, every chunk has a choice", async () => {
    const stream = await client.chat.completions.create({
      model,
      messages,
      reasoning_effort: "low",
      stream: true,
    });
    let reasoning = "";
    let text = "";
    let firstReasoning = -1;
    let firstText = -1;
    let index = 0;
    for await (const chunk of stream) {
      expect(chunk.choices).toHaveLength(1);
      const delta = chunk.choices[0]!.delta as OpenAI.Chat.ChatCompletionChunk.Choice.Delta & Reasoned;
      if (delta.reasoning_content) {
        reasoning += delta.reasoning_content;
        if (firstReasoning < 0) firstReasoning = index;
      }
      if (delta.content) {
        text += delta.content;
        if (firstText < 0) firstText = index;
      }
      index += 1;
    }
    expect(reasoning).toBe(THOUGHT);
    expect(text).toBe(ANSWER);
    expect(firstReasoning).toBeGreaterThanOrEqual(0);
    expect(firstReasoning).toBeLessThan(firstText);
  });

  test("streaming with include_usage: the usage chunk counts the thinking", async () => {
    const stream = await client.chat.completions.create({
      model,
      messages,
      reasoning_effort: "low",
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices.length === 1)).toBe(true);
    const answerTokens = estimateTokens(ANSWER.length);
    expect(last.usage?.completion_tokens).toBe(answerTokens + THOUGHT_TOKENS[model]!);
  });
});
