// Mistral answer shapes the simulator does not produce, byte for byte from a tiny upstream speaking Mistral's chat
// API, read back through the gateway by the official `openai` SDK: finish reasons OpenAI does not have
// (`model_length`, `error`), tool calls without `type` and with arguments as an object (`@mistralai/mistralai`
// `ToolCall` / `FunctionCall` allow both).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, logRow, startHarness } from "../support/harness";

const encoder = new TextEncoder();
const usage = { prompt_tokens: 12, total_tokens: 20, completion_tokens: 8 };
// mistral-small: USD 0.1 input, 0.3 output per 1M tokens.
const PRICE = (12 * 0.1 + 8 * 0.3) / 1e6;
const base = { id: "cmpl-m", created: 1, model: "mistral-small-latest" };
const completion = (message: Record<string, unknown>, finish: string) =>
  JSON.stringify({
    ...base,
    object: "chat.completion",
    usage,
    choices: [
      { index: 0, message: { role: "assistant", tool_calls: null, ...message }, finish_reason: finish },
    ],
  });
// Mistral puts usage on the chunk that carries the finish reason; there is no usage-only chunk.
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({
    ...base,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(finish === null ? {} : { usage }),
  })}\n\n`;
const call = {
  id: "D681PevKs",
  function: { name: "get_weather", arguments: { city: "Paris", days: 2 } },
  index: 0,
};

/** Each mode: the JSON answer, and the SSE events of the streamed one. */
const MODES: Record<string, { json: string; sse: string[] }> = {
  "model-length": {
    json: completion({ content: "The sky is bl" }, "model_length"),
    sse: [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "The sky " }),
      chunk({ content: "is bl" }),
      chunk({ content: "" }, "model_length"),
    ],
  },
  error: {
    json: completion({ content: "The sky" }, "error"),
    sse: [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "The sky" }),
      chunk({ content: "" }, "error"),
    ],
  },
  "object-arguments": {
    json: completion({ content: "", tool_calls: [call] }, "tool_calls"),
    sse: [
      chunk({ role: "assistant", content: "" }),
      chunk({ tool_calls: [call], content: "" }),
      chunk({ content: "" }, "tool_calls"),
    ],
  },
};

const upstream = Bun.serve({
  port: 0,
  async fetch(request) {
    const sent = (await request.json()) as { stream?: boolean };
    const mode = MODES[request.headers.get("x-sim-mode") ?? ""]!;
    if (!sent.stream) return new Response(mode.json, { headers: { "content-type": "application/json" } });
    // One network write per event, so the client has the text before a failing finish arrives.
    const events = [...mode.sse, "data: [DONE]\n\n"];
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const event of events) {
          controller.enqueue(encoder.encode(event));
          await Bun.sleep(5);
        }
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  },
});

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: [],
    config: { retry: { attemptsPerModel: 1, baseDelayMs: 1, maxDelayMs: 5, maxCandidates: 2 } },
    env: {
      MISTRAL_API_KEY: "mistral-key-0123456789",
      MISTRAL_BASE_URL: `http://127.0.0.1:${upstream.port}/v1`,
    },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  upstream.stop(true);
});

const messages = [{ role: "user" as const, content: "Why is the sky blue?" }];
const options = (mode: string) => ({ headers: { "x-sim-mode": mode, "x-spendex-failover": "off" } });
type Priced = { spendex?: { cost_usd: number } };

async function stream(mode: string) {
  const out = {
    text: "",
    finish: null as string | null,
    cost: undefined as number | undefined,
    error: undefined as unknown,
    requestId: null as string | null,
  };
  try {
    const { data: parts, response } = await client.chat.completions
      .create(
        { model: "mistral-small", messages, stream: true, stream_options: { include_usage: true } },
        options(mode),
      )
      .withResponse();
    out.requestId = response.headers.get("x-request-id");
    for await (const part of parts) {
      out.text += part.choices[0]?.delta.content ?? "";
      out.finish = part.choices[0]?.finish_reason ?? out.finish;
      out.cost ??= (part as unknown as Priced).spendex?.cost_usd;
    }
  } catch (error) {
    out.error = error;
  }
  return out;
}

describe("Mistral's finish reasons", () => {
  test("model_length (context window ran out) is OpenAI's length, JSON and streamed, billed as sent", async () => {
    const data = await client.chat.completions.create(
      { model: "mistral-small", messages },
      options("model-length"),
    );
    expect(data.choices[0]?.message.content).toBe("The sky is bl");
    expect(data.choices[0]?.finish_reason).toBe("length");
    expect(data.usage).toMatchObject(usage);
    expect((data as unknown as Priced).spendex?.cost_usd).toBeCloseTo(PRICE, 12);
    const streamed = await stream("model-length");
    expect(streamed.error).toBeUndefined();
    expect(streamed.text).toBe("The sky is bl");
    expect(streamed.finish).toBe("length");
    expect(streamed.cost).toBeCloseTo(PRICE, 12);
  });

  test("error is not a finished answer: the JSON answer fails over (503 when none is left), a stream ends in an error", async () => {
    const error = (await client.chat.completions
      .create({ model: "mistral-small", messages }, options("error"))
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error?.status).toBe(503);
    expect(error?.message).toContain("mistral/mistral-small (upstream_bad_response)");
    const streamed = await stream("error");
    expect(streamed.text).toBe("The sky");
    expect(streamed.finish).toBeNull();
    expect(streamed.error).toBeInstanceOf(OpenAI.APIError);
    expect(logRow(h, streamed.requestId)).toMatchObject({ outcome: "error_after_first_byte" });
  });
});

describe("tool calls without type, arguments as an object", () => {
  const ARGUMENTS = '{"city":"Paris","days":2}';

  test("JSON: a string the client can parse", async () => {
    const data = await client.chat.completions.create(
      { model: "mistral-small", messages },
      options("object-arguments"),
    );
    const calls = data.choices[0]?.message.tool_calls as OpenAI.Chat.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => [c.id, c.function.name, c.function.arguments])).toEqual([
      ["D681PevKs", "get_weather", ARGUMENTS],
    ]);
    expect(data.choices[0]?.finish_reason).toBe("tool_calls");
  });

  test("streamed: the SDK's assembled call holds the same string", async () => {
    const runner = client.chat.completions.stream(
      { model: "mistral-small", messages },
      options("object-arguments"),
    );
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls as OpenAI.Chat.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => [c.id, c.function.name, c.function.arguments])).toEqual([
      ["D681PevKs", "get_weather", ARGUMENTS],
    ]);
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });
});
