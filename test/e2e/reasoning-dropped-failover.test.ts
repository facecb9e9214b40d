// End to end: tool loops with reasoning whose extension fields a client dropped (typed clients, the Vercel AI SDK)
// never become a provider 400, and a request that fails over takes none of one provider's reasoning to another.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { callSignature } from "../../src/simulator/replay";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: ["anthropic", "gemini", "openai"],
    config: {
      models: [{ id: "gemini/gemini-2.5-pro", upstreamName: "gemini-3-pro-preview" }],
      breaker: { failureThreshold: 1000, cooldownMs: 300 },
      retry: { attemptsPerModel: 1, baseDelayMs: 1, maxDelayMs: 5 },
    },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());
afterEach(() => h.sim.setFaults({}));

type Param = OpenAI.Chat.ChatCompletionMessageParam;
type Message = OpenAI.Chat.ChatCompletionMessage & Record<string, unknown>;
const tools: OpenAI.Chat.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];
/** Google's documented stand-in for a signature a history cannot have. */
const DUMMY_SIGNATURE = "skip_thought_signature_validator";
const USER: Param = { role: "user", content: "What is the weather in Paris?" };

async function ask(model: string, messages: Param[], headers: Record<string, string> = {}) {
  const { data, response } = await client.chat.completions
    .create({ model, messages, tools, reasoning_effort: "low" }, { headers })
    .withResponse();
  return { message: data.choices[0]!.message as Message, data, response };
}

/** What a client that knows only OpenAI's fields keeps of an assistant message (the Vercel AI SDK keeps the ids). */
function typedCopy(message: Message, ids: (id: string) => string = (id) => id): Param {
  return {
    role: "assistant",
    content: message.content,
    tool_calls: (message.tool_calls ?? []).map((call) => {
      const { id, type, function: fn } = call as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
      return { id: ids(id), type, function: { name: fn.name, arguments: fn.arguments } };
    }),
  };
}

const lastSent = (since: number) =>
  h.sim.records().slice(since).at(-1) as { model: string; body: Record<string, unknown> };

describe("a client that drops the extension fields", () => {
  test("Claude: the step runs without thinking instead of the 400 Anthropic gives thinking without the turn's block", async () => {
    const first = await ask("claude-sonnet-4-6", [USER]);
    expect(first.message.thinking_blocks).toHaveLength(1);
    const call = first.message.tool_calls![0]!;
    const history: Param[] = [
      USER,
      typedCopy(first.message),
      { role: "tool", tool_call_id: call.id, content: "18" },
    ];
    const since = h.sim.records().length;
    const second = await ask("claude-sonnet-4-6", history);
    expect(second.response.status).toBe(200);
    expect(second.data.choices[0]!.finish_reason).toBe("stop");
    const sent = lastSent(since).body;
    expect(sent.thinking).toBeUndefined();
    expect(sent.output_config).toEqual({ effort: "low" });
    // The rule it avoided: the same body with thinking on is what Anthropic (and the simulator) refuses.
    const refused = await fetch(`${h.sim.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ ...sent, thinking: { type: "adaptive" } }),
    });
    expect(refused.status).toBe(400);
    const error = (await refused.json()) as { type: string; error: { type: string; message: string } };
    expect(error.type).toBe("error");
    expect(error.error.type).toBe("invalid_request_error");
    expect(error.error.message).toStartWith(
      "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block",
    );
  });

  test("Gemini 3: the signature in the tool-call id is enough; an id rebuilt by the client gets Google's stand-in", async () => {
    const first = await ask("gemini-2.5-pro", [USER]);
    const call = first.message.tool_calls![0]!;
    const signature = callSignature({ name: "get_weather", args: { city: "sim" } });
    for (const [ids, expected] of [
      [(id: string) => id, signature],
      [() => "call_rebuilt_by_the_client", DUMMY_SIGNATURE],
    ] as const) {
      const copy = typedCopy(first.message, ids) as { tool_calls: Array<{ id: string }> };
      const history: Param[] = [
        USER,
        copy as Param,
        { role: "tool", tool_call_id: copy.tool_calls[0]!.id, content: "18" },
      ];
      const since = h.sim.records().length;
      const second = await ask("gemini-2.5-pro", history);
      expect(second.response.status).toBe(200);
      expect(second.message.content).toBe('Simulated answer using the tool result: {"result":"18"}');
      const contents = lastSent(since).body.contents as Array<{ parts: Array<Record<string, unknown>> }>;
      expect(contents[1]?.parts[0]?.thoughtSignature).toBe(expected);
    }
    expect(call.id).toContain("__thought__");
  });
});

describe("failover carries no provider's reasoning to another", () => {
  test("Claude's thinking blocks do not reach OpenAI; reasoning_content does", async () => {
    const first = await ask("claude-sonnet-4-6", [USER]);
    expect(first.message.thinking_blocks).toHaveLength(1);
    const call = first.message.tool_calls![0]!;
    const history = [
      USER,
      first.message as Param,
      { role: "tool", tool_call_id: call.id, content: "18" } as Param,
    ];
    h.sim.setFaults({ "claude-sonnet-4-6": { kind: "status", status: 503 } });
    const since = h.sim.records().length;
    const second = await ask("claude-sonnet-4-6", history, { "x-spendex-providers": "anthropic,openai" });
    expect(second.response.status).toBe(200);
    expect((second.data as unknown as { spendex: { provider: string } }).spendex.provider).toBe("openai");
    const sent = lastSent(since);
    expect(sent.model).toBe("gpt-5-mini");
    const assistant = (sent.body.messages as Array<Record<string, unknown>>)[1]!;
    expect(assistant).not.toHaveProperty("thinking_blocks");
    expect(assistant.reasoning_content).toBe(first.message.reasoning_content);
    expect(assistant.tool_calls).toEqual([call]);
  });

  test("Gemini's signatures reach neither Anthropic (ids it would refuse) nor OpenAI", async () => {
    const first = await ask("gemini-2.5-flash", [USER]);
    const call = first.message.tool_calls![0]!;
    const bare = call.id.slice(0, call.id.indexOf("__thought__"));
    expect(bare).toMatch(/^call_[A-Za-z0-9]+_0$/);
    const history = [
      USER,
      first.message as Param,
      { role: "tool", tool_call_id: call.id, content: "18" } as Param,
    ];
    h.sim.setFaults({ "gemini-2.5-flash": { kind: "status", status: 503 } });
    for (const [providers, model] of [
      ["gemini,anthropic", "claude-sonnet-4-6"],
      ["gemini,openai", "gpt-5-mini"],
    ] as const) {
      const since = h.sim.records().length;
      const second = await ask("gemini-2.5-flash", history, { "x-spendex-providers": providers });
      expect(second.response.status).toBe(200);
      const sent = lastSent(since);
      expect(sent.model).toBe(model);
      const text = JSON.stringify(sent.body);
      expect(text).not.toContain("__thought__");
      expect(text).not.toContain("thought_signature");
      expect(text).toContain(bare);
    }
  });
});
