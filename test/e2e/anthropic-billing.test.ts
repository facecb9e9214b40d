// An Anthropic answer with 1-hour cache writes and a web search, from a tiny upstream returning exact JSON and SSE,
// read through the gateway by the official `openai` SDK: `spendex.cost_usd`, the usage, and the request log's cost.
// claude-haiku-4-5: input $1, cache reads $0.10, 5m writes $1.25, 1h writes $2, output $5 per 1M; $10 / 1,000
// searches. 100 x $1 + 500 x $0.10 + 2,000 x $1.25 + 3,000 x $2 + 200 x $5 = $0.00965, + 2 x $0.01 = $0.02965.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, logRow, startHarness } from "../support/harness";

const COST = 0.02965;
const startUsage = {
  input_tokens: 100,
  cache_read_input_tokens: 500,
  cache_creation_input_tokens: 5_000,
  cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 3_000 },
  output_tokens: 1,
};
const finalUsage = { ...startUsage, output_tokens: 200, server_tool_use: { web_search_requests: 2 } };
const content = [
  { type: "server_tool_use", id: "srvtoolu_01", name: "web_search", input: { query: "weather" } },
  { type: "web_search_tool_result", tool_use_id: "srvtoolu_01", content: [] },
  { type: "text", text: "Sunny." },
];
const event = (body: Record<string, unknown>) => `event: ${body.type}\ndata: ${JSON.stringify(body)}\n\n`;
const sse = [
  event({ type: "message_start", message: { id: "msg_s", model: "claude-haiku-4-5", usage: startUsage } }),
  event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
  event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Sunny." } }),
  event({ type: "content_block_stop", index: 0 }),
  event({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: finalUsage }),
  event({ type: "message_stop" }),
].join("");

const upstream = Bun.serve({
  port: 0,
  async fetch(request) {
    const body = (await request.json()) as { stream?: boolean };
    if (body.stream) return new Response(sse, { headers: { "content-type": "text/event-stream" } });
    return Response.json({
      id: "msg_b",
      type: "message",
      role: "assistant",
      model: "claude-haiku-4-5",
      content,
      stop_reason: "end_turn",
      usage: finalUsage,
    });
  },
});

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: [],
    env: {
      ANTHROPIC_API_KEY: "sk-ant-billing-0123456789",
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${upstream.port}`,
    },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  upstream.stop(true);
});

const messages = [{ role: "user" as const, content: "Weather in Paris?" }];
const spendex = (value: unknown) => (value as { spendex?: { cost_usd: number; saved_usd: number } }).spendex;

describe("Anthropic billing through the openai SDK", () => {
  test("1-hour cache writes at 2x input and a web search at $0.01: cost_usd, usage and the log", async () => {
    const { data: body, response } = await client.chat.completions
      .create({ model: "claude-haiku-4-5", messages })
      .withResponse();
    expect(body.choices[0]?.message.content).toBe("Sunny.");
    expect(spendex(body)).toMatchObject({ cost_usd: COST, saved_usd: 0 });
    expect(body.usage).toMatchObject({
      prompt_tokens: 5_600,
      completion_tokens: 200,
      total_tokens: 5_800,
      prompt_tokens_details: { cached_tokens: 500 },
    });
    expect(logRow(h, response.headers.get("x-request-id"))?.costUsd).toBe(COST);
  });

  test("the same answer streamed: the last chunk's cost_usd", async () => {
    const stream = await client.chat.completions.create({
      model: "claude-haiku-4-5",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let cost: number | undefined;
    let text = "";
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      cost = spendex(chunk)?.cost_usd ?? cost;
    }
    expect(text).toBe("Sunny.");
    expect(cost).toBe(COST);
  });
});
