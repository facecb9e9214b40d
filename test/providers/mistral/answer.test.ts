// Mistral finish reasons and tool calls -> OpenAI's, in answers and stream deltas, through the dialect's hooks.

import { describe, expect, test } from "bun:test";
import type { ChatCompletion } from "../../../src/openai/types";
import { fromMistralDelta, fromMistralFinish, fromMistralMessage } from "../../../src/providers/mistral";
import { fromOpenAIResponse, OpenAIStreamTranslator } from "../../../src/providers/openai-compatible";
import { assemble, replaySse } from "../helpers";

const sse = (...chunks: unknown[]) =>
  `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("")}data: [DONE]\n\n`;
const chunk = (delta: unknown, finish: string | null = null) => ({
  id: "c",
  object: "chat.completion.chunk",
  created: 1,
  model: "mistral-small-latest",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe("fromMistralFinish", () => {
  test.each([
    ["stop", "stop"],
    ["length", "length"],
    ["tool_calls", "tool_calls"],
    ["model_length", "length"],
  ])("%s -> %s", (mistral, openai) => {
    expect(fromMistralFinish(mistral, "mistral")).toBe(openai);
  });

  test("error fails the answer as a retryable bad response", () => {
    expect(() => fromMistralFinish("error", "mistral")).toThrow(
      expect.objectContaining({ status: 502, code: "upstream_bad_response", retryable: true }),
    );
  });
});

describe("tool calls", () => {
  const call = (args: unknown, type?: string) => ({
    id: "D681PevKs",
    ...(type ? { type } : {}),
    function: { name: "get_weather", arguments: args },
    index: 0,
  });

  test("answer: object arguments become a JSON string, a missing type is function", () => {
    const json = {
      id: "c",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "",
            tool_calls: [call({ city: "Paris" }), call("{}", "function")],
          },
          finish_reason: "tool_calls",
        },
      ],
    };
    const { body } = fromOpenAIResponse(json, "mistral", fromMistralMessage, fromMistralFinish);
    const calls = (body as ChatCompletion).choices[0]!.message.tool_calls!;
    expect(calls.map((c) => [c.type, c.function.arguments])).toEqual([
      ["function", '{"city":"Paris"}'],
      ["function", "{}"],
    ]);
  });

  test("stream: a whole call with object arguments assembles to the JSON string; model_length ends as length", () => {
    const translator = new OpenAIStreamTranslator("mistral", "k", fromMistralDelta, fromMistralFinish);
    const { chunks, finished } = replaySse(
      translator,
      sse(
        chunk({ role: "assistant", content: "" }),
        chunk({ tool_calls: [call({ city: "Paris", days: 2 })], content: "" }),
        chunk({ content: "" }, "model_length"),
      ),
    );
    expect(finished).toBe(true);
    const assembled = assemble(chunks);
    expect(assembled.calls).toEqual([
      { id: "D681PevKs", name: "get_weather", arguments: '{"city":"Paris","days":2}' },
    ]);
    expect(assembled.finish).toBe("length");
    expect(chunks[1]!.choices[0]!.delta.tool_calls![0]!.type).toBe("function");
  });
});
