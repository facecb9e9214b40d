// Reasoning sent back (decision 0004): Anthropic's thinking blocks and Gemini's thought signatures into the native
// bodies, and out of OpenAI-compatible ones; a request without them costs no copy.

import { describe, expect, test } from "bun:test";
import type { ChatMessage } from "../../src/openai/types";
import { toAnthropicBody } from "../../src/providers/anthropic";
import { fromGeminiResponse, GeminiStreamTranslator, toGeminiBody } from "../../src/providers/gemini";
import { toOpenAIBody } from "../../src/providers/openai-compatible";
import { callOptions } from "./helpers";

const signed = { type: "thinking", thinking: "Plan: call the tool.", signature: "c2ln" };
const call = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: "function" as const,
  function: { name: "get_weather", arguments: '{"city":"Paris"}' },
  ...extra,
});
const loop = (assistant: Partial<ChatMessage>): ChatMessage[] => [
  { role: "user", content: "Weather?" },
  { role: "assistant", content: null, tool_calls: [call("toolu_1")], ...assistant },
  { role: "tool", tool_call_id: "toolu_1", content: "18" },
];
const tools = [{ type: "function" as const, function: { name: "get_weather" } }];

describe("Anthropic", () => {
  const body = (messages: ChatMessage[], effort = true) =>
    toAnthropicBody(
      callOptions({ messages, tools, ...(effort ? { reasoning_effort: "low" } : {}) }),
      false,
    ) as { thinking?: unknown; messages: Array<{ content: unknown[] }> };

  test("the turn's signed blocks open it, unmodified, and thinking stays on; unsigned or malformed ones are left out", () => {
    const sent = body(
      loop({ thinking_blocks: [{ ...signed, cache_control: {} }, { type: "thinking", thinking: "x" }, 7] }),
    );
    expect(sent.thinking).toEqual({ type: "adaptive", display: "summarized" });
    expect(sent.messages[1]?.content).toEqual([
      { type: "thinking", thinking: "Plan: call the tool.", signature: "c2ln" },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
    ]);
  });

  test("the turn starts at its first assistant message: a later step without blocks keeps thinking on, a first one without turns it off", () => {
    const later: ChatMessage[] = [
      { role: "assistant", content: null, tool_calls: [call("toolu_2")] },
      { role: "tool", tool_call_id: "toolu_2", content: "19" },
    ];
    expect(body([...loop({ thinking_blocks: [signed] }), ...later]).thinking).toBeDefined();
    const dropped = body([...loop({}), ...later]);
    expect(dropped.thinking).toBeUndefined();
    expect(body(loop({ thinking_blocks: [signed] }), false).messages[1]?.content).toHaveLength(1);
  });
});

describe("Gemini", () => {
  const contents = (messages: ChatMessage[], model: string) =>
    (
      toGeminiBody(callOptions({ messages, tools }, { upstreamModel: model })) as {
        contents: Array<{ parts: Array<Record<string, unknown>> }>;
      }
    ).contents;

  test("a call's signature comes from provider_specific_fields, else from its id; Gemini 3 gets the stand-in only in the current turn", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "Weather?" },
      { role: "assistant", content: null, tool_calls: [call("call_a_0")] },
      { role: "tool", tool_call_id: "call_a_0", content: "18" },
      { role: "assistant", content: "Mild." },
      { role: "user", content: "And Rome?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          call("call_b_0", { provider_specific_fields: { thought_signature: "Zmlyc3Q=" } }),
          call("call_b_1"),
        ],
      },
      { role: "tool", tool_call_id: "call_b_0", content: "20" },
      { role: "tool", tool_call_id: "call_b_1", content: "21" },
      { role: "assistant", content: null, tool_calls: [call("call_c_0__thought__c2Vjb25k")] },
      { role: "tool", tool_call_id: "call_c_0__thought__c2Vjb25k", content: "22" },
    ];
    const signatures = (model: string) =>
      contents(messages, model).map((content) => content.parts.map((part) => part.thoughtSignature));
    expect(signatures("gemini-2.5-flash")).toEqual([
      [undefined],
      [undefined],
      [undefined],
      [undefined],
      [undefined],
      ["Zmlyc3Q=", undefined],
      [undefined, undefined],
      ["c2Vjb25k"],
      [undefined],
    ]);
    // Only the first call of each step of the current turn must be signed; the earlier turn is not checked.
    expect(signatures("gemini-3-pro-preview")[1]).toEqual([undefined]);
    const current = messages.concat([
      { role: "assistant", content: null, tool_calls: [call("call_d_0")] },
      { role: "tool", tool_call_id: "call_d_0", content: "23" },
    ]);
    const parts = contents(current, "gemini-3-pro-preview").at(-2)?.parts;
    expect(parts?.[0]?.thoughtSignature).toBe("skip_thought_signature_validator");
  });

  test("signed parts out: calls (field and id), the text's signature at message level, in answers and streams", () => {
    const response = {
      responseId: "r1",
      candidates: [
        {
          content: {
            role: "model",
            parts: [
              { text: "Checking.", thoughtSignature: "dGV4dA==" },
              {
                functionCall: { name: "get_weather", args: { city: "Paris" } },
                thoughtSignature: "Y2FsbA==",
              },
              { functionCall: { name: "get_weather", args: { city: "Rome" } } },
            ],
          },
          finishReason: "STOP",
        },
      ],
    };
    const message = fromGeminiResponse(response, "gemini-3-pro-preview", "gemini").body.choices[0]!.message;
    expect(message.tool_calls?.map((c) => [c.id, c.provider_specific_fields])).toEqual([
      ["call_r1_0__thought__Y2FsbA==", { thought_signature: "Y2FsbA==" }],
      ["call_r1_1", undefined],
    ]);
    expect(message.provider_specific_fields).toEqual({ thought_signatures: ["dGV4dA=="] });
    const chunks: unknown[] = [];
    new GeminiStreamTranslator("gemini", "k", "m").event(
      { data: JSON.stringify(response), event: undefined, id: undefined },
      { enqueue: (chunk) => chunks.push(chunk) },
    );
    expect(chunks[0]).toMatchObject({
      choices: [
        {
          delta: {
            content: "Checking.",
            provider_specific_fields: { thought_signatures: ["dGV4dA=="] },
            tool_calls: [
              { index: 0, id: "call_r1_0__thought__Y2FsbA==" },
              { index: 1, id: "call_r1_1" },
            ],
          },
        },
      ],
    });
  });
});

describe("OpenAI-compatible", () => {
  test("thinking blocks, provider fields and signed ids are dropped; reasoning_content (DeepSeek needs it) stays; without them, no copy", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "hmm",
        thinking_blocks: [signed],
        provider_specific_fields: { thought_signatures: ["eA=="] },
        tool_calls: [
          call("call_r_0__thought__eQ==", { provider_specific_fields: { thought_signature: "eQ==" } }),
        ],
      },
      { role: "tool", tool_call_id: "call_r_0__thought__eQ==", content: "18" },
    ];
    const sent = toOpenAIBody(callOptions({ model: "m", messages }), false).messages;
    expect(sent[0]).toBe(messages[0] as ChatMessage);
    expect(sent[1]).toEqual({
      role: "assistant",
      content: null,
      reasoning_content: "hmm",
      tool_calls: [call("call_r_0")],
    });
    expect(sent[2]).toEqual({ role: "tool", tool_call_id: "call_r_0", content: "18" });
    expect(messages[1]?.thinking_blocks).toEqual([signed]);
    // A request without them (the hot path) keeps its messages array: a property check per message, no copy.
    const plain = { model: "m", messages: loop({ reasoning_content: "hmm" }) };
    expect(toOpenAIBody(callOptions(plain), false).messages).toBe(plain.messages);
    expect(toOpenAIBody(callOptions(plain), true).messages).toBe(plain.messages);
  });
});
