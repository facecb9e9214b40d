// Mistral request dialect: renamed, dropped and refused parameters, message cleaning, tool-call ids.

import { describe, expect, test } from "bun:test";
import { UnsupportedError } from "../../../src/errors";
import type { ChatMessage } from "../../../src/openai/types";
import { toMistralBody, toMistralToolCallId } from "../../../src/providers/mistral";
import { callOptions } from "../helpers";

const messages: ChatMessage[] = [{ role: "user", content: "hi" }];

describe("toMistralBody parameters", () => {
  test.each([
    ["max_completion_tokens -> max_tokens", { max_completion_tokens: 50 }, { max_tokens: 50 }],
    ["seed -> random_seed", { seed: 7 }, { random_seed: 7 }],
    [
      "Mistral's own params pass",
      { safe_prompt: true, n: 2, parallel_tool_calls: false },
      { safe_prompt: true, n: 2 },
    ],
    [
      "neutral values of refused params vanish",
      { logprobs: false, logit_bias: {}, modalities: ["text"] },
      {},
    ],
  ])("%s", (_name, extra, expected) => {
    const body = toMistralBody(callOptions({ messages, ...extra }), false);
    expect(body).toMatchObject({ model: "upstream-model", stream: false, ...expected });
    expect(body).not.toHaveProperty("max_completion_tokens");
    expect(body).not.toHaveProperty("seed");
    expect(body).not.toHaveProperty("logprobs");
  });

  test.each([["stream_options"], ["user"], ["store"], ["safety_identifier"]])("%s is dropped", (key) => {
    const value = key === "stream_options" ? { include_usage: true } : key === "store" ? true : "u1";
    const body = toMistralBody(callOptions({ messages, [key]: value }), true);
    expect(body).not.toHaveProperty(key);
    expect(body.stream).toBe(true);
  });

  test.each([
    ["logit_bias", { "123": 5 }],
    ["logprobs", true],
    ["top_logprobs", 3],
    ["modalities", ["text", "audio"]],
    ["audio", { voice: "alloy", format: "mp3" }],
    ["web_search_options", {}],
    ["service_tier", "flex"],
  ])("%s is refused with a 400 naming it and mistral", (key, value) => {
    let error: unknown;
    try {
      toMistralBody(callOptions({ messages, [key]: value }), false);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ status: 400, param: key });
    expect((error as Error).message).toContain("mistral");
  });
});

describe("reasoning_effort", () => {
  const magistral = { upstreamModel: "magistral-medium-2509" };

  test.each([["low"], ["medium"], ["high"], ["xhigh"]])(
    "'%s' to a Magistral model is dropped: it always reasons, and Mistral refuses the field there",
    (effort) => {
      const body = toMistralBody(
        callOptions({ messages, reasoning_effort: effort as "low" }, magistral),
        false,
      );
      expect(body).not.toHaveProperty("reasoning_effort");
      expect(body).not.toHaveProperty("prompt_mode");
      expect(body.model).toBe("magistral-medium-2509");
    },
  );

  test.each([["none"], ["minimal"]])(
    "'%s' to a Magistral model is refused with a 400 naming it",
    (effort) => {
      let error: unknown;
      try {
        toMistralBody(callOptions({ messages, reasoning_effort: effort as "none" }, magistral), false);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error).toMatchObject({ status: 400, param: "reasoning_effort", code: "unsupported_parameter" });
      expect((error as Error).message).toContain(`effort '${effort}'`);
    },
  );

  test("other Mistral models get it as sent (the adjustable ones take it: high / none)", () => {
    const options = callOptions(
      { messages, reasoning_effort: "high" },
      { upstreamModel: "mistral-small-latest" },
    );
    expect(toMistralBody(options, false).reasoning_effort).toBe("high");
  });
});

describe("toMistralBody messages", () => {
  test("developer -> system, response echo fields removed, tool ids mapped consistently", () => {
    const request: ChatMessage[] = [
      { role: "developer", content: "be brief" },
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        refusal: null,
        annotations: [],
        tool_calls: [
          { id: "call_abc123XYZ-long", type: "function", function: { name: "w", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "call_abc123XYZ-long", content: "sunny" },
    ];
    const body = toMistralBody(callOptions({ messages: request }), false);
    const out = body.messages as Array<Record<string, unknown>>;
    expect(out[0]).toEqual({ role: "system", content: "be brief" });
    expect(out[2]).not.toHaveProperty("refusal");
    expect(out[2]).not.toHaveProperty("annotations");
    const id = (out[2]!.tool_calls as Array<{ id: string }>)[0]!.id;
    expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(out[3]!.tool_call_id).toBe(id);
    expect(request[3]!.tool_call_id).toBe("call_abc123XYZ-long");
  });

  test("participant names are refused", () => {
    expect(() =>
      toMistralBody(callOptions({ messages: [{ role: "user", content: "x", name: "bob" }] }), false),
    ).toThrow(UnsupportedError);
  });
});

describe("toMistralToolCallId", () => {
  test.each([["call_1"], ["call_2"], ["toolu_01A09q90qw90lq917835lq9"], ["a"]])(
    "%s -> 9 alphanumerics",
    (id) => {
      const mapped = toMistralToolCallId(id);
      expect(mapped).toMatch(/^[a-zA-Z0-9]{9}$/);
      expect(toMistralToolCallId(id)).toBe(mapped);
    },
  );
  test("Mistral's own ids are kept; different ids differ", () => {
    expect(toMistralToolCallId("D681PevKs")).toBe("D681PevKs");
    const ids = new Set(Array.from({ length: 2000 }, (_, i) => toMistralToolCallId(`call_${i}`)));
    expect(ids.size).toBe(2000);
  });
});
