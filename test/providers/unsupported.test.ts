// What no rebuilt-body adapter may drop silently: the same refusals checked across Mistral, Anthropic and Gemini.

import { expect, test } from "bun:test";
import { UnsupportedError } from "../../src/errors";
import type { ChatMessage } from "../../src/openai/types";
import { toAnthropicBody } from "../../src/providers/anthropic";
import { toGeminiBody } from "../../src/providers/gemini";
import { toMistralBody } from "../../src/providers/mistral";
import type { CallOptions } from "../../src/providers/types";
import { callOptions } from "./helpers";

const BUILDERS: Array<[string, (options: CallOptions) => unknown]> = [
  ["mistral", (options) => toMistralBody(options, false)],
  ["anthropic", (options) => toAnthropicBody(options, false)],
  ["gemini", (options) => toGeminiBody(options)],
];

const CASES: Array<[string, ChatMessage[], string]> = [
  ["a user participant name", [{ role: "user", content: "x", name: "alice" }], "messages[0].name"],
  [
    "a system participant name",
    [
      { role: "system", content: "x", name: "rules" },
      { role: "user", content: "y" },
    ],
    "messages[0].name",
  ],
  [
    "the legacy function role",
    [
      { role: "user", content: "x" },
      { role: "function", content: "y", name: "f" },
    ],
    "messages[1].role",
  ],
];

test.each(
  BUILDERS.flatMap(([provider, build]) =>
    CASES.map(([name, messages, param]) => [provider, name, build, messages, param] as const),
  ),
)("%s refuses %s", (provider, _name, build, messages, param) => {
  let error: unknown;
  try {
    build(callOptions({ messages }));
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(UnsupportedError);
  expect(error).toMatchObject({ status: 400, param });
  expect((error as Error).message).toContain(provider);
});
