// Anthropic and Gemini answers only native APIs send, byte for byte from a tiny upstream, read back through the
// gateway by the official `openai` SDK: the text, the finish, the usage and price, the error it throws.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, logRow, startHarness } from "../support/harness";

const event = (body: Record<string, unknown>) => `event: ${body.type}\ndata: ${JSON.stringify(body)}\n\n`;
const data = (body: unknown) => `data: ${JSON.stringify(body)}\r\n\r\n`;

const messageStart = event({
  type: "message_start",
  message: { id: "msg_n", model: "claude-haiku-4-5", usage: { input_tokens: 100, output_tokens: 1 } },
});
const text = (index: number, value: string) => [
  event({ type: "content_block_start", index, content_block: { type: "text", text: "" } }),
  event({ type: "content_block_delta", index, delta: { type: "text_delta", text: value } }),
  event({ type: "content_block_stop", index }),
];
const webSearch = [
  event({
    type: "content_block_start",
    index: 0,
    content_block: { type: "server_tool_use", id: "srvtoolu_01", name: "web_search", input: {} },
  }),
  event({
    type: "content_block_delta",
    index: 0,
    delta: { type: "input_json_delta", partial_json: '{"query":"q"}' },
  }),
  event({ type: "content_block_stop", index: 0 }),
  event({
    type: "content_block_start",
    index: 1,
    content_block: { type: "web_search_tool_result", tool_use_id: "srvtoolu_01", content: [] },
  }),
  event({ type: "content_block_stop", index: 1 }),
];
const messageEnd = [
  event({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 20 } }),
  event({ type: "message_stop" }),
];

const usageMetadata = {
  promptTokenCount: 12,
  cachedContentTokenCount: 8,
  candidatesTokenCount: 5,
  thoughtsTokenCount: 7,
};
const gemini = (parts: unknown[], finishReason?: string) => ({
  candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}) }],
  usageMetadata,
  responseId: "r1",
  modelVersion: "gemini-2.5-flash-lite",
});

/** What each mode writes (anthropic: SSE; gemini: SSE when streaming, else the JSON body). */
const MODES: Record<string, () => string[]> = {
  "web-search": () => [messageStart, ...webSearch, ...text(2, "Sunny."), ...messageEnd],
  "api-error-mid": () => [
    messageStart,
    ...text(0, "Hel"),
    event({ type: "error", error: { type: "api_error", message: "Internal server error" } }),
  ],
  malformed: () => [data(gemini([], "MALFORMED_FUNCTION_CALL"))],
  blocked: () => [
    data({ promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: { promptTokenCount: 12 } }),
  ],
  thinking: () => [data(gemini([{ text: "Hi" }])), data(gemini([{ text: "!" }], "STOP"))],
};
const hits: Record<string, number> = {};

const upstream = Bun.serve({
  port: 0,
  async fetch(request) {
    await request.text();
    const mode = request.headers.get("x-sim-mode") ?? "";
    hits[mode] = (hits[mode] ?? 0) + 1;
    const pieces = MODES[mode]?.() ?? [];
    const url = new URL(request.url);
    if (url.pathname.endsWith(":generateContent")) {
      return Response.json(JSON.parse(pieces[0]!.slice(6)));
    }
    // One network write per event, as a live upstream sends them.
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const piece of pieces) {
          controller.enqueue(new TextEncoder().encode(piece));
          await Bun.sleep(2);
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
  const base = `http://127.0.0.1:${upstream.port}`;
  h = await startHarness({
    providers: [],
    config: { retry: { attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 5, maxCandidates: 2 } },
    env: {
      ANTHROPIC_API_KEY: "sk-ant-native-0123456789",
      ANTHROPIC_BASE_URL: base,
      GEMINI_API_KEY: "AIzaNative0123456789",
      GEMINI_BASE_URL: base,
    },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  upstream.stop(true);
});

const messages = [{ role: "user" as const, content: "Say hello" }];
const headers = (mode: string) => ({ headers: { "x-sim-mode": mode, "x-spendex-failover": "off" } });
const costOf = (value: unknown) => (value as { spendex?: { cost_usd: number } }).spendex?.cost_usd;

async function stream(model: string, mode: string) {
  const out = {
    text: "",
    finish: "" as string | null,
    cost: undefined as number | undefined,
    error: undefined as unknown,
  };
  let requestId: string | null = null;
  try {
    const { data: chunks, response } = await client.chat.completions
      .create({ model, messages, stream: true, stream_options: { include_usage: true } }, headers(mode))
      .withResponse();
    requestId = response.headers.get("x-request-id");
    for await (const chunk of chunks) {
      out.text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.delta.tool_calls) out.text += "[tool_calls]";
      if (chunk.choices[0]?.finish_reason) out.finish = chunk.choices[0].finish_reason;
      out.cost = costOf(chunk) ?? out.cost;
    }
  } catch (error) {
    out.error = error;
  }
  return { ...out, row: requestId === null ? undefined : logRow(h, requestId) };
}

describe("Anthropic", () => {
  test("a web search (server_tool_use, its result) streams only the answer text; no tool call reaches the client", async () => {
    const read = await stream("claude-haiku-4-5", "web-search");
    expect(read.error).toBeUndefined();
    expect(read).toMatchObject({ text: "Sunny.", finish: "stop" });
    expect(read.cost).toBeCloseTo((100 * 1 + 20 * 5) / 1e6, 12);
  });

  test("an api_error event after content: the SDK throws, and the request is not billed as a success", async () => {
    const read = await stream("claude-haiku-4-5", "api-error-mid");
    expect(read.text).toBe("Hel");
    expect(read.error).toBeInstanceOf(OpenAI.APIError);
    expect((read.error as InstanceType<typeof OpenAI.APIError>).message).toContain("Internal server error");
    expect(read.row).toMatchObject({ outcome: "error_after_first_byte" });
  });
});

describe("Gemini", () => {
  test("a stream that ends MALFORMED_FUNCTION_CALL with nothing answered is retried, then an HTTP error the SDK raises", async () => {
    const before = hits.malformed ?? 0;
    const read = await stream("gemini-2.5-flash-lite", "malformed");
    expect(read.error).toBeInstanceOf(OpenAI.APIError);
    expect((read.error as InstanceType<typeof OpenAI.APIError>).status).toBeGreaterThanOrEqual(500);
    expect((read.error as InstanceType<typeof OpenAI.APIError>).message).toContain("upstream_bad_response");
    expect((hits.malformed ?? 0) - before).toBe(2);
  });

  test("a blocked prompt: 200, content_filter, no content, the prompt billed", async () => {
    const { data: body } = await client.chat.completions
      .create({ model: "gemini-2.5-flash-lite", messages }, headers("blocked"))
      .withResponse();
    expect(body.choices[0]).toMatchObject({ finish_reason: "content_filter", message: { content: null } });
    expect(body.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 0 });
    expect(costOf(body)).toBeCloseTo((12 * 0.1) / 1e6, 12);
  });

  test("thinking tokens billed as output, cached tokens at the cache price, in the stream's usage", async () => {
    const read = await stream("gemini-2.5-flash-lite", "thinking");
    expect(read).toMatchObject({ text: "Hi!", finish: "stop" });
    expect(read.cost).toBeCloseTo((4 * 0.1 + 8 * 0.01 + 12 * 0.4) / 1e6, 12);
  });
});
