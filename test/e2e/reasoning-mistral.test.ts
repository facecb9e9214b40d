// End to end: a Magistral model's thinking chunks come back as reasoning_content strings through the official
// `openai` SDK, JSON and streaming; ordinary Mistral answers are unchanged; reasoning_effort is mapped per model.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import OpenAI, { type APIError } from "openai";
import { estimateTokens } from "../../src/simulator/reply";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
let aiSdk: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  h = await startHarness({
    providers: ["mistral"],
    // No Magistral model ships in the catalog: this test points mistral-large at one.
    config: { models: [{ id: "mistral/mistral-large", upstreamName: "magistral-medium-2509" }] },
  });
  const baseURL = `${h.listen()}/v1`;
  client = new OpenAI({ apiKey: h.key, baseURL, maxRetries: 0 });
  aiSdk = createOpenAI({ apiKey: h.key, baseURL });
});
afterAll(() => h.close());

const MAGISTRAL = "mistral-large";
const PROMPT = "Why is the sky blue?";
const ANSWER = `Simulated reply to: ${PROMPT}`;
const THOUGHT = `Thinking about: ${PROMPT}`;
const ANSWER_TOKENS = estimateTokens(ANSWER.length);
const THOUGHT_TOKENS = estimateTokens(THOUGHT.length);
const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: PROMPT }];
type Reasoned = { reasoning_content?: string };
type Delta = OpenAI.Chat.ChatCompletionChunk.Choice.Delta & Reasoned;

/** What an OpenAI client assembles from a stream, failing on any delta whose content is not a string. */
async function collect(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
  let reasoning = "";
  let text = "";
  let firstReasoning = -1;
  let firstText = -1;
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta as Delta | undefined;
    if (delta?.content != null && typeof delta.content !== "string") {
      throw new Error(`a non-string delta.content: ${JSON.stringify(delta.content)}`);
    }
    if (delta?.reasoning_content) {
      reasoning += delta.reasoning_content;
      if (firstReasoning < 0) firstReasoning = chunks.length;
    }
    if (delta?.content) {
      text += delta.content;
      if (firstText < 0) firstText = chunks.length;
    }
    chunks.push(chunk);
  }
  return { chunks, reasoning, text, firstReasoning, firstText };
}

describe("Magistral (always reasons)", () => {
  test("non-streaming: content and reasoning_content are strings; thinking billed as completion", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MAGISTRAL, messages })
      .withResponse();
    const message = data.choices[0]?.message as OpenAI.Chat.ChatCompletionMessage & Reasoned;
    expect(message.content).toBe(ANSWER);
    expect(message.reasoning_content).toBe(THOUGHT);
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage?.completion_tokens).toBe(ANSWER_TOKENS + THOUGHT_TOKENS);
    expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + ANSWER_TOKENS + THOUGHT_TOKENS);
    expect(h.sim.records().at(-1)?.model).toBe("magistral-medium-2509");
    const row = logRow(h, response.headers.get("x-request-id"));
    expect(row?.completionTokens).toBe(ANSWER_TOKENS + THOUGHT_TOKENS);
  });

  test("streaming: string deltas only, reasoning first, the answer whole", async () => {
    const stream = await client.chat.completions.create({ model: MAGISTRAL, messages, stream: true });
    const { chunks, reasoning, text, firstReasoning, firstText } = await collect(stream);
    expect(reasoning).toBe(THOUGHT);
    expect(text).toBe(ANSWER);
    expect(firstReasoning).toBeGreaterThanOrEqual(0);
    expect(firstReasoning).toBeLessThan(firstText);
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  test("streaming with include_usage: the usage chunk counts the thinking", async () => {
    const stream = await client.chat.completions.create({
      model: MAGISTRAL,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, text } = await collect(stream);
    expect(text).toBe(ANSWER);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBe(ANSWER_TOKENS + THOUGHT_TOKENS);
  });

  test("the Vercel AI SDK (strict schemas: content must be a string) reads the answer, JSON and streamed", async () => {
    const generated = await generateText({ model: aiSdk.chat(MAGISTRAL), prompt: PROMPT, maxRetries: 0 });
    expect(generated.text).toBe(ANSWER);
    expect(generated.usage.outputTokens).toBe(ANSWER_TOKENS + THOUGHT_TOKENS);
    const streamed = streamText({ model: aiSdk.chat(MAGISTRAL), prompt: PROMPT, maxRetries: 0 });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe(ANSWER);
    expect(await streamed.finishReason).toBe("stop");
  });

  test("reasoning_effort that asks for thinking is dropped (Mistral refuses it on Magistral)", async () => {
    const data = await client.chat.completions.create({
      model: MAGISTRAL,
      messages,
      reasoning_effort: "high",
    });
    const message = data.choices[0]?.message as OpenAI.Chat.ChatCompletionMessage & Reasoned;
    expect(message.content).toBe(ANSWER);
    expect(message.reasoning_content).toBe(THOUGHT);
    expect(h.sim.records().at(-1)?.body).not.toHaveProperty("reasoning_effort");
  });

  test("an assistant turn sent back with its reasoning_content reaches Magistral without it (Mistral 422s on it)", async () => {
    const first = await client.chat.completions.create({ model: MAGISTRAL, messages });
    const turn = first.choices[0]?.message as OpenAI.Chat.ChatCompletionMessage & Reasoned;
    expect(turn.reasoning_content).toBe(THOUGHT);
    const next = "And at sunset?";
    const second = await client.chat.completions.create({
      model: MAGISTRAL,
      messages: [
        ...messages,
        turn as OpenAI.Chat.ChatCompletionAssistantMessageParam,
        { role: "user", content: next },
      ],
    });
    expect(second.choices[0]?.message.content).toBe(`Simulated reply to: ${next}`);
    const sent = (h.sim.records().at(-1)!.body as { messages: unknown[] }).messages;
    expect(sent[1]).toEqual({ role: "assistant", content: ANSWER });
  });

  test("reasoning_effort 'none' is refused with a 400 naming it: Magistral cannot stop reasoning", async () => {
    const calls = h.sim.records().length;
    const error = (await client.chat.completions
      .create({ model: MAGISTRAL, messages, reasoning_effort: "none" })
      .catch((caught: unknown) => caught)) as APIError;
    expect(error.status).toBe(400);
    expect(error.code).toBe("unsupported_parameter");
    expect(error.param).toBe("reasoning_effort");
    expect(h.sim.records().length).toBe(calls);
  });
});

describe("ordinary Mistral models", () => {
  test("a plain answer is unchanged: string content, no reasoning_content key", async () => {
    const data = await client.chat.completions.create({ model: "mistral-small", messages });
    const message = data.choices[0]!.message;
    expect(message.content).toBe(ANSWER);
    expect(message).not.toHaveProperty("reasoning_content");
    expect(data.usage?.completion_tokens).toBe(ANSWER_TOKENS);
    const stream = await client.chat.completions.create({ model: "mistral-small", messages, stream: true });
    const streamed = await collect(stream);
    expect(streamed.text).toBe(ANSWER);
    expect(streamed.reasoning).toBe("");
  });

  test("reasoning_effort reaches an adjustable model as sent; its thinking maps the same way", async () => {
    const data = await client.chat.completions.create({
      model: "mistral-small",
      messages,
      reasoning_effort: "high",
    });
    expect(h.sim.records().at(-1)?.body).toMatchObject({ reasoning_effort: "high" });
    const message = data.choices[0]?.message as OpenAI.Chat.ChatCompletionMessage & Reasoned;
    expect(message.content).toBe(ANSWER);
    expect(message.reasoning_content).toBe(THOUGHT);
  });
});
