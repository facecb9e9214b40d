// End to end: a two-step tool loop with reasoning_effort through the official `openai` SDK, on Claude and on Gemini
// 2.5 and 3. The client pushes back the message it got; the second step works only because Anthropic's signed
// thinking block, or Gemini's thought signature, came back unmodified (the simulator checks both as the APIs do).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { callSignature, thinkingSignature } from "../../src/simulator/replay";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: ["anthropic", "gemini"],
    // gemini-2.5-pro answered by a Gemini 3 model, which refuses a function call without its signature.
    config: { models: [{ id: "gemini/gemini-2.5-pro", upstreamName: "gemini-3-pro-preview" }] },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

type Message = OpenAI.Chat.ChatCompletionMessage & {
  reasoning_content?: string;
  thinking_blocks?: Array<Record<string, string>>;
};
type Call = OpenAI.Chat.ChatCompletionMessageFunctionToolCall & {
  provider_specific_fields?: { thought_signature?: string };
};

const PROMPT = "What is the weather in Paris?";
const tools: OpenAI.Chat.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];
const RESULT = '{"celsius":18}';

/** One step: the answer's message, as `create` returns it or as the SDK's stream helper assembles it. */
async function step(model: string, messages: OpenAI.Chat.ChatCompletionMessageParam[], stream: boolean) {
  const body = { model, messages, tools, reasoning_effort: "low" as const };
  const completion = stream
    ? await client.chat.completions.stream(body).finalChatCompletion()
    : await client.chat.completions.create(body);
  return { message: completion.choices[0]!.message as Message, finish: completion.choices[0]!.finish_reason };
}

/** The tool loop as an agent writes it: the answer's message pushed back as it came, then the tool's result. */
async function toolLoop(model: string, stream: boolean) {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: PROMPT }];
  const first = await step(model, messages, stream);
  expect(first.finish).toBe("tool_calls");
  const call = first.message.tool_calls?.[0] as Call;
  messages.push(first.message as OpenAI.Chat.ChatCompletionMessageParam);
  messages.push({ role: "tool", tool_call_id: call.id, content: RESULT });
  const since = h.sim.records().length;
  const second = await step(model, messages, stream);
  const sent = h.sim.records().slice(since).at(-1)?.body as Record<string, unknown>;
  return { first: first.message, call, second, sent };
}

describe.each([false, true])("stream: %p", (stream) => {
  test("Claude: the signed thinking block comes back as thinking_blocks and opens the next step's assistant turn", async () => {
    const { first, call, second, sent } = await toolLoop("claude-sonnet-4-6", stream);
    const thought = `Thinking about: ${PROMPT}`;
    expect(first.thinking_blocks).toEqual([
      { type: "thinking", thinking: thought, signature: thinkingSignature(thought) },
    ]);
    // Anthropic ids need no signature: unchanged, and nothing Gemini's on the call.
    expect(call.id).toMatch(/^toolu_[A-Za-z0-9]+$/);
    expect(call.provider_specific_fields).toBeUndefined();
    // The second step thinks (it did not before: an open tool loop turned thinking off) and answers the result.
    expect(second.finish).toBe("stop");
    expect(second.message.content).toBe(`Simulated answer using the tool result: ${RESULT}`);
    // (The SDK's stream helper keeps only the last fragment of an unknown delta field such as reasoning_content.)
    expect(second.message.reasoning_content ?? "").not.toBe("");
    const messages = sent.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    expect(sent.thinking).toEqual({ type: "adaptive", display: "summarized" });
    expect(messages[1]?.content[0]).toEqual({
      type: "thinking",
      thinking: thought,
      signature: thinkingSignature(thought),
    });
    expect(messages[1]?.content[1]).toMatchObject({ type: "tool_use", id: call.id, name: "get_weather" });
  });

  test.each([
    ["gemini-2.5-flash", "gemini-2.5-flash"],
    ["gemini-2.5-pro", "gemini-3-pro-preview"],
  ])(
    "%s (upstream %s): the call's thought signature rides in the call and goes back on its part",
    async (model, upstream) => {
      const { call, second, sent } = await toolLoop(model, stream);
      const signature = callSignature({ name: "get_weather", args: { city: "sim" } });
      expect(call.provider_specific_fields).toEqual({ thought_signature: signature });
      expect(call.id).toMatch(/^call_[A-Za-z0-9]+_0__thought__/);
      expect(call.id.endsWith(`__thought__${signature}`)).toBe(true);
      expect(second.finish).toBe("stop");
      expect(second.message.content).toBe(`Simulated answer using the tool result: ${RESULT}`);
      const contents = sent.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
      expect(contents[1]).toEqual({
        role: "model",
        parts: [
          { functionCall: { name: "get_weather", args: { city: "sim" } }, thoughtSignature: signature },
        ],
      });
      expect(h.sim.records().at(-1)?.model).toBe(upstream);
    },
  );
});
