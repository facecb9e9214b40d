// End to end: a real listening gateway driven by the official `openai` SDK, as a user's app would.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({ providers: ["openai"] });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("openai SDK against a listening gateway", () => {
  test("plain completion with the spendex object", async () => {
    const response = await client.chat.completions.create({
      model: "gpt-5-nano",
      messages: [{ role: "user", content: "Hello!" }],
    });
    expect(response.object).toBe("chat.completion");
    expect(response.choices[0]?.message.content).toBe("Simulated reply to: Hello!");
    expect(response.choices[0]?.finish_reason).toBe("stop");
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    const spendex = (response as unknown as { spendex: Record<string, unknown> }).spendex;
    expect(spendex).toMatchObject({
      routed_model: "gpt-5-nano",
      provider: "openai",
      tier: "simple",
      saved_usd: 0,
    });
  });

  test("streaming without include_usage: chunk.choices[0] exists on every chunk (the docs' Python example)", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-5-nano",
      messages: [{ role: "user", content: "Explain quantum computing" }],
      stream: true,
    });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      expect(chunk.choices[0]).toBeDefined();
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe("Simulated reply to: Explain quantum computing");
  });

  test("streaming with include_usage: the final chunk has usage and empty choices", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-5-nano",
      messages: [{ role: "user", content: "Count" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  test("the upstream's x-ratelimit-* headers reach the client, with and without a stream (.withResponse())", async () => {
    const limitsOf = (headers: Headers) => {
      const out: Record<string, string> = {};
      headers.forEach((value, name) => {
        if (name.startsWith("x-ratelimit-")) out[name] = value;
      });
      return out;
    };
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "Hello!" }];
    const plain = await client.chat.completions.create({ model: "gpt-5-nano", messages }).withResponse();
    expect(plain.data.choices[0]?.message.content).toBe("Simulated reply to: Hello!");
    const first = limitsOf(plain.response.headers);
    expect(Object.keys(first).sort()).toEqual([
      "x-ratelimit-limit-requests",
      "x-ratelimit-limit-tokens",
      "x-ratelimit-remaining-requests",
      "x-ratelimit-remaining-tokens",
      "x-ratelimit-reset-requests",
      "x-ratelimit-reset-tokens",
    ]);
    expect(first["x-ratelimit-limit-requests"]).toBe("10000");
    expect(first["x-ratelimit-reset-requests"]).toMatch(/^\d+s$/);

    const streamed = await client.chat.completions
      .create({ model: "gpt-5-nano", messages, stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Simulated reply to: Hello!");
    const second = limitsOf(streamed.response.headers);
    expect(second["x-ratelimit-limit-tokens"]).toBe("30000000");
    // The simulator counts requests down within its minute, from 10,000.
    expect(Number(second["x-ratelimit-remaining-requests"])).toBeLessThan(10_000);
  });

  test("a tool call, then the tool result sent back, then the answer", async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: "user", content: "Weather in Paris?" },
    ];
    const first = await client.chat.completions.create({
      model: "gpt-5-mini",
      messages,
      tools: [weatherTool],
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "sim" });
    messages.push(first.choices[0]?.message as OpenAI.Chat.ChatCompletionMessageParam);
    messages.push({ role: "tool", tool_call_id: call.id, content: '{"temp_c": 21}' });
    const second = await client.chat.completions.create({
      model: "gpt-5-mini",
      messages,
      tools: [weatherTool],
    });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(second.choices[0]?.message.content).toContain("21");
  });

  test("400, 401 and 404 surface as the SDK's typed errors", async () => {
    const failure = (run: () => Promise<unknown>) =>
      run().then(
        () => undefined,
        (error: unknown) => error,
      );
    const bad = await failure(() =>
      client.chat.completions.create({ model: "gpt-5-nano", messages: [], temperature: 9 }),
    );
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("messages");
    const notFound = await failure(() =>
      client.chat.completions.create({ model: "gpt-42", messages: [{ role: "user", content: "x" }] }),
    );
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect((notFound as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
    const stranger = new OpenAI({ apiKey: "spx_sk_live_nope", baseURL: client.baseURL, maxRetries: 0 });
    const unauthorized = await failure(() =>
      stranger.chat.completions.create({ model: "gpt-5-nano", messages: [{ role: "user", content: "x" }] }),
    );
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((unauthorized as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
  });

  test("models.list shows auto and the connected models", async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain("auto");
    expect(ids).toContain("openai/gpt-5");
    const one = await client.models.retrieve("openai/gpt-5-mini");
    expect(one).toMatchObject({ id: "openai/gpt-5-mini", object: "model", owned_by: "openai" });
    const missing = await client.models.retrieve("claude-opus-4-6").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
