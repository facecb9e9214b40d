// A Gemini 2.5 Pro answer over a prompt above 200k tokens, from a tiny upstream returning exact JSON and SSE, read
// through the gateway by the official `openai` SDK: `spendex.cost_usd`, `saved_usd` and the request log's cost.
// Google bills the whole request at the long-prompt tier: input $2.50, cached input $0.25, output $15 per 1M
// (ai.google.dev/gemini-api/docs/pricing). 150,000 fresh x $2.50 + 100,000 cached x $0.25 + (1,200 candidates +
// 800 thoughts) x $15 = $0.375 + $0.025 + $0.03 = $0.43. The lower tier would have said $0.23875 (cache at 25%).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, logRow, startHarness } from "../support/harness";

const COST = 0.43;
// Baseline gpt-5 for the same tokens: 150,000 x $1.25 + 100,000 x $0.125 + 2,000 x $10 = $0.22; saved 0.22 - 0.43.
const SAVED_AUTO = -0.21;
const usageMetadata = {
  promptTokenCount: 250_000,
  cachedContentTokenCount: 100_000,
  candidatesTokenCount: 1_200,
  thoughtsTokenCount: 800,
  totalTokenCount: 252_000,
};
const answer = (text: string, finishReason?: string) => ({
  candidates: [{ content: { role: "model", parts: [{ text }] }, ...(finishReason ? { finishReason } : {}) }],
  usageMetadata,
  responseId: "r-long",
  modelVersion: "gemini-2.5-pro",
});
const paths: string[] = [];

const upstream = Bun.serve({
  port: 0,
  async fetch(request) {
    await request.text();
    const url = new URL(request.url);
    paths.push(url.pathname);
    if (url.pathname.endsWith(":generateContent")) return Response.json(answer("Summary.", "STOP"));
    const sse = `data: ${JSON.stringify(answer("Sum"))}\n\ndata: ${JSON.stringify(answer("mary.", "STOP"))}\n\n`;
    return new Response(sse, { headers: { "content-type": "text/event-stream" } });
  },
});

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: [],
    build: { routing: true },
    env: { GEMINI_API_KEY: "AIzaLongPrompt0123456789", GEMINI_BASE_URL: `http://127.0.0.1:${upstream.port}` },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  upstream.stop(true);
});

const messages = [{ role: "user" as const, content: "Summarise the attached corpus." }];
const spendex = (value: unknown) =>
  (value as { spendex?: { cost_usd: number; saved_usd: number; routed_model: string } }).spendex;

describe("Gemini 2.5 Pro's long-prompt tier through the openai SDK", () => {
  test("a 250,000-token prompt billed at $2.50 / $0.25 cached / $15: cost_usd, usage and the log", async () => {
    const { data: body, response } = await client.chat.completions
      .create({ model: "gemini-2.5-pro", messages })
      .withResponse();
    expect(body.choices[0]?.message.content).toBe("Summary.");
    expect(spendex(body)).toMatchObject({ cost_usd: COST, saved_usd: 0 });
    expect(body.usage).toMatchObject({
      prompt_tokens: 250_000,
      completion_tokens: 2_000,
      prompt_tokens_details: { cached_tokens: 100_000 },
    });
    expect(logRow(h, response.headers.get("x-request-id"))?.costUsd).toBe(COST);
  });

  test("the same answer streamed: the last chunk's cost_usd", async () => {
    const stream = await client.chat.completions.create({
      model: "gemini-2.5-pro",
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
    expect(text).toBe("Summary.");
    expect(cost).toBe(COST);
  });

  test("model auto: a long prompt goes to the complex tier (gemini-2.5-pro) and is billed at the higher tier", async () => {
    // ~40,000 characters: about 10,000 estimated tokens, above the complex threshold (~7,500).
    const long = [{ role: "user" as const, content: "Analyse this log line by line. ".repeat(1_300) }];
    const body = await client.chat.completions.create({ model: "auto", messages: long });
    expect(spendex(body)).toMatchObject({
      routed_model: "gemini-2.5-pro",
      cost_usd: COST,
      saved_usd: SAVED_AUTO,
    });
  });
});
