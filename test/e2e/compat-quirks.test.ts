// Real OpenAI-compatible servers' stream and body quirks, byte for byte from a tiny upstream, read back through the
// gateway by the official `openai` SDK: the text it reassembles, the usage and price, the finish, the error it throws.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, logRow, startHarness } from "../support/harness";

const encoder = new TextEncoder();
const base = { id: "chatcmpl-q", object: "chat.completion.chunk", created: 1, model: "quirk-nano" };
const chunk = (delta: Record<string, unknown> | null, finish: string | null = null, extra = {}) =>
  JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
const usage = { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 };
const usageChunk = JSON.stringify({ ...base, choices: [], usage });
const data = (json: string) => `data: ${json}\n\n`;
const PRICE = (10 * 0.05 + 4 * 0.4) / 1e6;

/** Each mode: the exact pieces written, one network write each. */
const MODES: Record<string, () => Array<string | Uint8Array>> = {};

const upstream = Bun.serve({
  port: 0,
  async fetch(request) {
    await request.text();
    const pieces = MODES[request.headers.get("x-sim-mode") ?? ""]?.() ?? [];
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const piece of pieces) {
          controller.enqueue(typeof piece === "string" ? encoder.encode(piece) : piece);
          await Bun.sleep(1);
        }
        controller.close();
      },
    });
    const json = request.headers.get("x-sim-json") === "1";
    return new Response(body, {
      headers: { "content-type": json ? "application/json" : "text/event-stream" },
    });
  },
});

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: [],
    config: {
      retry: { attemptsPerModel: 1, baseDelayMs: 1, maxDelayMs: 5, maxCandidates: 2 },
      providers: [
        {
          name: "quirk",
          baseUrl: `http://127.0.0.1:${upstream.port}/v1`,
          apiKeyEnv: "QUIRK_API_KEY",
          models: [{ name: "quirk-nano", tier: "simple", prices: { input: 0.05, output: 0.4 } }],
        },
      ],
    },
    env: { QUIRK_API_KEY: "sk-quirk-0123456789" },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  upstream.stop(true);
});

const messages = [{ role: "user" as const, content: "Say hello" }];
const options = (mode: string, json = false) => ({
  headers: { "x-sim-mode": mode, "x-spendex-failover": "off", ...(json ? { "x-sim-json": "1" } : {}) },
});

interface Read {
  text: string;
  reasoning: string;
  finish: string | null | undefined;
  usage?: OpenAI.CompletionUsage | null;
  cost?: number;
  error?: unknown;
  requestId?: string | null;
}

/** Streams through the SDK with include_usage, as most apps that count tokens do. */
async function read(mode: string): Promise<Read> {
  const out: Read = { text: "", reasoning: "", finish: undefined };
  try {
    const { data: stream, response } = await client.chat.completions
      .create(
        { model: "quirk-nano", messages, stream: true, stream_options: { include_usage: true } },
        options(mode),
      )
      .withResponse();
    out.requestId = response.headers.get("x-request-id");
    for await (const part of stream) {
      const choice = part.choices[0];
      out.text += choice?.delta?.content ?? "";
      out.reasoning += (choice?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? "";
      if (choice?.finish_reason) out.finish = choice.finish_reason;
      if (part.usage) out.usage = part.usage;
      const spendex = (part as unknown as { spendex?: { cost_usd: number } }).spendex;
      if (spendex) out.cost = spendex.cost_usd;
    }
  } catch (error) {
    out.error = error;
  }
  return out;
}

const rowOf = (read: Read) => logRow(h, read.requestId ?? null);
const tools: OpenAI.Chat.ChatCompletionTool[] = ["get_weather", "get_time"].map((name) => ({
  type: "function",
  function: { name, parameters: { type: "object" } },
}));

describe("stream endings", () => {
  // The OpenAI SDK's own reader dispatches such a last event too (core/streaming.ts, sseDecoder.flush()).
  test("a last event without its trailing blank line is read, so its usage is billed exactly", async () => {
    MODES["no-trailing-blank"] = () => [
      data(chunk({ content: "Hello" })),
      data(chunk({}, "stop")),
      `data: ${usageChunk}`,
    ];
    const got = await read("no-trailing-blank");
    expect(got.error).toBeUndefined();
    expect({ text: got.text, finish: got.finish, usage: got.usage }).toEqual({
      text: "Hello",
      finish: "stop",
      usage,
    });
    expect(got.cost).toBeCloseTo(PRICE, 12);
    expect(rowOf(got)).toMatchObject({ outcome: "complete", promptTokens: 10, completionTokens: 4 });
  });

  test("a server that ignores include_usage and closes without [DONE] after its finish: complete, usage estimated", async () => {
    MODES["no-done-no-usage"] = () => [
      data(chunk({ role: "assistant", content: "Hel" })),
      data(chunk({ content: "lo" }, "stop")),
    ];
    const got = await read("no-done-no-usage");
    expect(got.error).toBeUndefined();
    expect({ text: got.text, finish: got.finish }).toEqual({ text: "Hello", finish: "stop" });
    expect(got.usage?.completion_tokens).toBeGreaterThan(0);
    expect(got.cost).toBeGreaterThan(0);
    expect(rowOf(got)).toMatchObject({ outcome: "complete", errorCode: null });
  });
});

describe("chunk shapes", () => {
  test('Ollama in 2024 (ollama#4357): finish_reason "" on every content chunk is no finish, so a cut stream is an error', async () => {
    MODES["ollama-empty-finish"] = () => [
      data(chunk({ role: "assistant", content: "Hel" }, "")),
      data(chunk({ role: "assistant", content: "lo" }, "")),
    ];
    const got = await read("ollama-empty-finish");
    expect(got.text).toBe("Hel" + "lo");
    expect(got.finish).toBeUndefined();
    expect(got.error).toBeInstanceOf(OpenAI.APIError);
    expect(rowOf(got)).toMatchObject({ outcome: "error_after_first_byte", errorCode: "stream_interrupted" });
  });

  test("Groq: usage only in x_groq on the finish chunk is the exact usage and price", async () => {
    MODES.groq = () => [
      data(chunk({ role: "assistant", content: "Hello" })),
      data(
        chunk({}, "stop", {
          x_groq: { id: "req_1", usage: { ...usage, queue_time: 0.01, total_time: 0.02 } },
        }),
      ),
      "data: [DONE]\n\n",
    ];
    const got = await read("groq");
    expect(got.error).toBeUndefined();
    expect(got.text).toBe("Hello");
    expect(got.usage).toMatchObject(usage);
    expect(got.cost).toBeCloseTo(PRICE, 12);
    expect(rowOf(got)).toMatchObject({ outcome: "complete", promptTokens: 10, completionTokens: 4 });
  });

  test("tool-call deltas without index (Ollama, Gemini's OpenAI endpoint): the SDK's stream helper gets both calls", async () => {
    MODES["tools-no-index"] = () => [
      data(chunk({ role: "assistant", content: null })),
      data(
        chunk({
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":' } },
          ],
        }),
      ),
      data(chunk({ tool_calls: [{ function: { arguments: '"Paris"}' } }] })),
      data(
        chunk({
          tool_calls: [
            { id: "call_b", type: "function", function: { name: "get_time", arguments: '{"tz":"CET"}' } },
          ],
        }),
      ),
      data(chunk({}, "tool_calls")),
      data(usageChunk),
      "data: [DONE]\n\n",
    ];
    const stream = client.chat.completions.stream(
      { model: "quirk-nano", messages, tools },
      options("tools-no-index"),
    );
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(
      final.choices[0]?.message.tool_calls?.map((call) =>
        call.type === "function" ? [call.id, call.function.name, call.function.arguments] : [],
      ),
    ).toEqual([
      ["call_a", "get_weather", '{"city":"Paris"}'],
      ["call_b", "get_time", '{"tz":"CET"}'],
    ]);
  });
});

describe("errors inside a 200 stream", () => {
  test("OpenRouter: an error chunk with a numeric code after content ends the stream with that error, not billed as complete", async () => {
    MODES["openrouter-error-mid"] = () => [
      data(chunk({ role: "assistant", content: "Hel" })),
      data(
        JSON.stringify({
          ...base,
          error: { code: 502, message: "Provider disconnected" },
          choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
        }),
      ),
    ];
    const got = await read("openrouter-error-mid");
    expect(got.text).toBe("Hel");
    expect(got.error).toBeInstanceOf(OpenAI.APIError);
    expect(String((got.error as Error).message)).toContain("HTTP 502: Provider disconnected");
    expect(rowOf(got)).toMatchObject({ outcome: "error_after_first_byte", errorCode: "upstream_error" });
  });

  test("OpenRouter/vLLM: an error event with code 400 before any content is the client's 400, not retried", async () => {
    let hits = 0;
    MODES["openrouter-error-first"] = () => {
      hits++;
      return [
        ": OPENROUTER PROCESSING\n\n",
        data(
          JSON.stringify({ error: { code: 400, message: "This model's context length is 8192 tokens." } }),
        ),
      ];
    };
    const got = await read("openrouter-error-first");
    expect(got.error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((got.error as Error).message).toContain("context length is 8192 tokens");
    expect(hits).toBe(1);
  });
});

describe("non-streaming bodies", () => {
  test("vLLM: null content with tool calls, null usage details and extra top-level fields reach the SDK intact", async () => {
    MODES.vllm = () => [
      JSON.stringify({
        id: "chatcmpl-v",
        object: "chat.completion",
        created: 1,
        model: "quirk-nano",
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              reasoning_content: null,
              tool_calls: [
                {
                  id: "chatcmpl-tool-1",
                  type: "function",
                  function: { name: "get_weather", arguments: '{"city":"Paris"}' },
                },
              ],
            },
            logprobs: null,
            finish_reason: "tool_calls",
            stop_reason: null,
          },
        ],
        usage: { ...usage, prompt_tokens_details: null },
        system_fingerprint: null,
        service_tier: null,
        prompt_logprobs: null,
        kv_transfer_params: null,
      }),
    ];
    const answer = await client.chat.completions.create(
      { model: "quirk-nano", messages, tools },
      options("vllm", true),
    );
    const call = answer.choices[0]?.message.tool_calls?.[0];
    expect(answer.choices[0]?.message.content).toBeNull();
    expect(call?.type === "function" ? [call.id, call.function.arguments] : []).toEqual([
      "chatcmpl-tool-1",
      '{"city":"Paris"}',
    ]);
    expect(answer.usage).toMatchObject(usage);
    expect((answer as unknown as { spendex: { cost_usd: number } }).spendex.cost_usd).toBeCloseTo(PRICE, 12);
  });
});
