// Mistral reasoning (Magistral) content chunks -> OpenAI `content` / `reasoning_content` strings, in answers and
// stream deltas; plain string content untouched.

import { describe, expect, test } from "bun:test";
import { ProviderError } from "../../../src/errors";
import type { ChatCompletion } from "../../../src/openai/types";
import { fromMistralDelta, fromMistralMessage } from "../../../src/providers/mistral";
import { fromOpenAIResponse, OpenAIStreamTranslator } from "../../../src/providers/openai-compatible";
import { assemble, fixture, fixtureJson, replaySse } from "../helpers";

const thinking = (...texts: string[]) => ({
  type: "thinking",
  thinking: texts.map((text) => ({ type: "text", text })),
});
const text = (value: string) => ({ type: "text", text: value });
type Holder = { content?: unknown; reasoning_content?: string };

describe("fromMistralMessage / fromMistralDelta", () => {
  test.each<[string, unknown, Holder, Holder]>([
    [
      "thinking then text",
      [thinking("a", "b"), text("answer")],
      { content: "answer", reasoning_content: "ab" },
      { content: "answer", reasoning_content: "ab" },
    ],
    [
      "thinking only",
      [thinking("hmm")],
      { content: "", reasoning_content: "hmm" },
      { reasoning_content: "hmm" },
    ],
    ["several text chunks are joined", [text("a"), text("b")], { content: "ab" }, { content: "ab" }],
    [
      "a closing thinking chunk without text adds no reasoning",
      [{ type: "thinking", thinking: [], closed: true }, text("go")],
      { content: "go" },
      { content: "go" },
    ],
    [
      "citations (reference, tool_reference inside thinking) carry no text and are left out",
      [
        {
          type: "thinking",
          thinking: [
            { type: "tool_reference", tool: "web_search", title: "Sky" },
            { type: "text", text: "t" },
          ],
        },
        text("x"),
        { type: "reference", reference_ids: [1] },
      ],
      { content: "x", reasoning_content: "t" },
      { content: "x", reasoning_content: "t" },
    ],
    ["an empty array", [], { content: "" }, {}],
  ])("%s", (_name, content, message, delta) => {
    const fromMessage: Holder = { content: structuredClone(content) };
    fromMistralMessage(fromMessage, "mistral");
    expect(fromMessage).toEqual(message);
    const fromDelta: Holder = { content: structuredClone(content) };
    fromMistralDelta(fromDelta, "mistral");
    expect(fromDelta).toEqual(delta);
  });

  test.each([["plain"], [""]])("string content %p stays as it is, with no reasoning_content key", (value) => {
    const message = { role: "assistant", content: value, tool_calls: null };
    fromMistralMessage(message, "mistral");
    expect(message).toEqual({ role: "assistant", content: value, tool_calls: null });
    const delta: Holder = { content: value };
    fromMistralDelta(delta, "mistral");
    expect(Object.keys(delta)).toEqual(["content"]);
  });

  test("null content (a tool call delta) stays null", () => {
    const delta: Holder = { content: null };
    fromMistralDelta(delta, "mistral");
    expect(delta).toEqual({ content: null });
  });

  test.each([["image_url"], ["document_url"], ["file"], ["input_audio"], [undefined]])(
    "a '%s' chunk in an answer fails as a bad response instead of vanishing",
    (type) => {
      let error: unknown;
      try {
        fromMistralMessage({ content: [text("a"), type === undefined ? null : { type }] }, "mistral");
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ status: 502, code: "upstream_bad_response", retryable: true });
      expect((error as Error).message).toContain(`'${type}'`);
    },
  );
});

describe("recorded Magistral payloads through the Mistral hooks", () => {
  test("answer: reasoning_content and content strings, usage intact", async () => {
    const json = await fixtureJson("mistral/adapter-magistral.json");
    const { body, tokens } = fromOpenAIResponse(json, "mistral", fromMistralMessage);
    const message = (body as ChatCompletion).choices[0]!.message;
    expect(message.content).toBe("John is 22 years old.");
    expect(message.reasoning_content).toBe(
      "S1 is 4, so next year S2 is 10 and now 9. S3 is 11, so John is 22.",
    );
    expect(tokens).toEqual({ prompt: 77, cached: 0, completion: 64 });
    expect((body as ChatCompletion).usage).toMatchObject({ completion_tokens: 64, total_tokens: 141 });
  });

  test("the same answer without the hook is the array the old pass-through sent to clients", async () => {
    const json = await fixtureJson("mistral/adapter-magistral.json");
    const { body } = fromOpenAIResponse(json, "mistral");
    expect(Array.isArray((body as ChatCompletion).choices[0]!.message.content)).toBe(true);
  });

  test("stream: every delta's content is a string, reasoning first, usage split off", async () => {
    const translator = new OpenAIStreamTranslator("mistral", "k", fromMistralDelta);
    const { chunks, finished } = replaySse(translator, await fixture("mistral/adapter-magistral-stream.sse"));
    expect(finished).toBe(true);
    for (const chunk of chunks) {
      for (const choice of chunk.choices) {
        const content = choice.delta.content;
        expect(content === undefined || typeof content === "string").toBe(true);
      }
    }
    const assembled = assemble(chunks);
    expect(assembled.reasoning).toBe("S3 is 11, so John is 22.");
    expect(assembled.content).toBe("John is 22.");
    expect(assembled.finish).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 16 } });
    expect(translator.tokens()).toEqual({ prompt: 77, cached: 0, completion: 16 });
    const firstReasoning = chunks.findIndex((chunk) => chunk.choices[0]?.delta.reasoning_content);
    const firstText = chunks.findIndex((chunk) => chunk.choices[0]?.delta.content);
    expect(firstReasoning).toBeGreaterThan(0);
    expect(firstReasoning).toBeLessThan(firstText);
  });
});
