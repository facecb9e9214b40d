// OpenAI request -> Gemini generateContent body.

import { describe, expect, test } from "bun:test";
import { UnsupportedError } from "../../../src/errors";
import type { ChatMessage, ChatRequest } from "../../../src/openai/types";
import { toGeminiBody, toGeminiSchema } from "../../../src/providers/gemini";
import { callOptions } from "../helpers";

const user = (content: ChatMessage["content"]): ChatMessage => ({ role: "user", content });
const tools = [
  {
    type: "function" as const,
    function: {
      name: "get_weather",
      description: "Weather",
      parameters: {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        additionalProperties: false,
        properties: { city: { type: "string" }, unit: { type: ["string", "null"], enum: ["c", "f"] } },
        required: ["city"],
      },
    },
  },
];

describe("contents", () => {
  test("system -> systemInstruction, assistant -> model, tool results -> functionResponse by name", () => {
    const body = toGeminiBody(
      callOptions({
        messages: [
          { role: "system", content: "Be brief." },
          user("weather?"),
          {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "call_x_0",
                type: "function",
                function: { name: "get_weather", arguments: '{"city":"Paris"}' },
              },
            ],
          },
          { role: "tool", tool_call_id: "call_x_0", content: '{"temp":18}' },
          { role: "tool", tool_call_id: "call_x_0", content: "plain text" },
        ],
      }),
    );
    expect(body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "weather?" }] },
      { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { temp: 18 } } },
          { functionResponse: { name: "get_weather", response: { result: "plain text" } } },
        ],
      },
    ]);
  });

  test("data URL image -> inlineData; http URL refused", () => {
    const body = toGeminiBody(
      callOptions({
        messages: [user([{ type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }])],
      }),
    );
    expect((body.contents as Array<{ parts: unknown[] }>)[0]!.parts[0]).toEqual({
      inlineData: { mimeType: "image/jpeg", data: "/9j/4AAQ" },
    });
    expect(() =>
      toGeminiBody(
        callOptions({ messages: [user([{ type: "image_url", image_url: { url: "https://x/y.png" } }])] }),
      ),
    ).toThrow(UnsupportedError);
  });

  test("a tool result answering no known call is refused", () => {
    expect(() =>
      toGeminiBody(
        callOptions({ messages: [user("x"), { role: "tool", tool_call_id: "nope", content: "1" }] }),
      ),
    ).toThrow(expect.objectContaining({ param: "messages[1].tool_call_id" }));
  });
});

describe("parameters", () => {
  const messages = [user("hi")];
  test.each([
    [
      "generation config",
      { temperature: 1.5, top_p: 0.5, max_completion_tokens: 99, stop: "END", seed: 4 },
      {
        generationConfig: {
          temperature: 1.5,
          topP: 0.5,
          maxOutputTokens: 99,
          stopSequences: ["END"],
          seed: 4,
        },
      },
    ],
    [
      "json_object",
      { response_format: { type: "json_object" } },
      { generationConfig: { responseMimeType: "application/json" } },
    ],
    [
      "json_schema with cleaned schema",
      {
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "x",
            schema: { type: "object", additionalProperties: false, properties: { a: { type: "integer" } } },
          },
        },
      },
      {
        generationConfig: {
          responseMimeType: "application/json",
          responseSchema: { type: "object", properties: { a: { type: "integer" } } },
        },
      },
    ],
    [
      "tool_choice auto",
      { tools, tool_choice: "auto" },
      { toolConfig: { functionCallingConfig: { mode: "AUTO" } } },
    ],
    [
      "tool_choice required",
      { tools, tool_choice: "required" },
      { toolConfig: { functionCallingConfig: { mode: "ANY" } } },
    ],
    [
      "tool_choice none",
      { tools, tool_choice: "none" },
      { toolConfig: { functionCallingConfig: { mode: "NONE" } } },
    ],
    [
      "tool_choice named",
      { tools, tool_choice: { type: "function", function: { name: "get_weather" } } },
      { toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } } },
    ],
    [
      "reasoning_effort -> thinking budget, with thought summaries returned (reasoning_content)",
      { reasoning_effort: "medium" },
      { generationConfig: { thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } } },
    ],
    [
      "harmless params dropped",
      { user: "u", store: true, stream_options: { include_usage: true }, n: 1 },
      {},
    ],
  ] as Array<[string, Partial<ChatRequest>, Record<string, unknown>]>)("%s", (_name, extra, expected) => {
    const body = toGeminiBody(callOptions({ messages, ...extra }));
    expect(body).toMatchObject(expected);
    for (const key of ["user", "store", "stream_options", "n", "model", "temperature"])
      expect(body).not.toHaveProperty(key);
  });

  test("function declarations with Gemini's schema subset", () => {
    const body = toGeminiBody(callOptions({ messages, tools }));
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "Weather",
            parameters: {
              type: "object",
              properties: {
                city: { type: "string" },
                unit: { type: "string", nullable: true, enum: ["c", "f"] },
              },
              required: ["city"],
            },
          },
        ],
      },
    ]);
  });

  test.each([
    ["n", 3],
    ["logprobs", true],
    ["top_logprobs", 1],
    ["logit_bias", { "5": 1 }],
    ["audio", { voice: "x" }],
    ["parallel_tool_calls", false],
    ["unknown_thing", "x"],
  ])("%s is refused naming the param and gemini", (key, value) => {
    let error: unknown;
    try {
      toGeminiBody(callOptions({ messages, tools, [key]: value }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ status: 400, param: key });
    expect((error as Error).message).toContain("gemini");
  });
});

test.each([
  ["const -> enum", { const: "x" }, { enum: ["x"] }],
  [
    "oneOf -> anyOf",
    { oneOf: [{ type: "string" }, { type: "number", $id: "n" }] },
    { anyOf: [{ type: "string" }, { type: "number" }] },
  ],
  [
    "array items cleaned",
    { type: "array", items: { type: "object", additionalProperties: {} } },
    { type: "array", items: { type: "object" } },
  ],
])("toGeminiSchema %s", (_name, input, expected) => {
  expect(toGeminiSchema(input)).toEqual(expected);
});
