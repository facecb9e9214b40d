// Request shapes real clients send (agents, SDK defaults, newer OpenAI fields), driven by the official `openai` SDK
// against a listening gateway, through each adapter: what reaches the upstream, and what the client gets back.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { type APIError } from "openai";
import type { SimulatorRecord } from "../../src/simulator/types";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "anthropic", "gemini", "mistral"],
    config: {
      breaker: { failureThreshold: 1000, cooldownMs: 1 },
      providers: [
        {
          name: "backup",
          baseUrl: "{sim}/v1",
          apiKeyEnv: "BACKUP_KEY",
          // Pricier than mistral-small, cheaper than claude-haiku: second in the simple tier's failover order.
          models: [{ name: "backup-nano", tier: "simple", prices: { input: 0.5, output: 0.5 } }],
        },
      ],
    },
    env: { BACKUP_KEY: "sk-backup-0123456789" },
  });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1`, maxRetries: 0 });
});
afterAll(() => h.close());

type Params = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
const MODELS = ["gpt-5-nano", "claude-haiku-4-5", "gemini-2.5-flash-lite", "mistral-small"] as const;
type Model = (typeof MODELS)[number];

const weather: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** Sends through the SDK and returns the answer with the one upstream request it caused. */
async function create(params: Params) {
  const since = h.sim.records().length;
  const completion = await client.chat.completions.create(params);
  const sent = h.sim.records().slice(since);
  expect(sent).toHaveLength(1);
  return { completion, upstream: (sent[0] as SimulatorRecord).body as Record<string, unknown> };
}

async function refusal(params: Params): Promise<APIError> {
  const since = h.sim.records().length;
  const error = await client.chat.completions.create(params).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(h.sim.records().length).toBe(since);
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  return error as APIError;
}

describe("an agent's tool round trip: developer message, text parts, assistant tool_calls with null content, tool result", () => {
  const conversation: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: "developer", content: "Answer briefly." },
    {
      role: "user",
      content: [
        { type: "text", text: "Weather in" },
        { type: "text", text: "Paris?" },
      ],
    },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: "call_abc123",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        },
      ],
    },
    { role: "tool", tool_call_id: "call_abc123", content: '{"temp":21}' },
  ];

  const upstreamShape: Record<Model, Record<string, unknown>> = {
    "gpt-5-nano": { messages: conversation, tools: [weather] },
    "claude-haiku-4-5": {
      system: "Answer briefly.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in" },
            { type: "text", text: "Paris?" },
          ],
        },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "call_abc123", name: "get_weather", input: { city: "Paris" } }],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "call_abc123", content: '{"temp":21}' }],
        },
      ],
    },
    "gemini-2.5-flash-lite": {
      systemInstruction: { parts: [{ text: "Answer briefly." }] },
      contents: [
        { role: "user", parts: [{ text: "Weather in" }, { text: "Paris?" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { temp: 21 } } }] },
      ],
    },
    "mistral-small": {
      messages: [
        { role: "system", content: "Answer briefly." },
        conversation[1],
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "EmnB74oKy",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "EmnB74oKy", content: '{"temp":21}' },
      ],
    },
  };

  test.each(MODELS)(
    "%s: mapped to the upstream's own shape, answered from the tool result",
    async (model) => {
      const { completion, upstream } = await create({ model, messages: conversation, tools: [weather] });
      expect(upstream).toMatchObject(upstreamShape[model]);
      expect(completion.choices[0]?.message.content).toBe(
        'Simulated answer using the tool result: {"temp":21}',
      );
      expect(completion.choices[0]?.finish_reason).toBe("stop");
    },
  );

  test.each(MODELS)(
    "%s: streamed with include_usage, the usage chunk comes last with the exact total",
    async (model) => {
      const stream = await client.chat.completions.create({
        model,
        messages: conversation,
        tools: [weather],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      let last: OpenAI.Chat.ChatCompletionChunk | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        last = chunk;
      }
      expect(text).toBe('Simulated answer using the tool result: {"temp":21}');
      expect(last?.choices).toEqual([]);
      const usage = last?.usage as OpenAI.CompletionUsage;
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
      expect(usage.completion_tokens).toBe(13); // 51 characters of answer at 4 a token
    },
  );
});

describe("messages echoed back as a previous answer or a framework's model serialised them", () => {
  // Mistral answers `tool_calls: null`; pydantic-style clients write every optional field as null.
  const echoed = [
    { role: "user", content: "Hi", name: null, tool_call_id: null, tool_calls: null },
    { role: "assistant", content: "Hello! How can I help?", tool_calls: null, name: null },
    { role: "user", content: "Weather?" },
  ] as unknown as Params["messages"];

  test.each(MODELS)("%s: null tool_calls, name and tool_call_id are as good as absent", async (model) => {
    const { completion, upstream } = await create({ model, messages: echoed });
    expect(completion.choices[0]?.message.content).toBe("Simulated reply to: Weather?");
    expect((completion as unknown as { spendex: { routed_model: string } }).spendex.routed_model).toBe(model);
    if (model === "claude-haiku-4-5") {
      expect(upstream.messages).toEqual([
        { role: "user", content: [{ type: "text", text: "Hi" }] },
        { role: "assistant", content: [{ type: "text", text: "Hello! How can I help?" }] },
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
      ]);
    }
    if (model === "mistral-small") {
      expect(upstream.messages).toEqual([
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello! How can I help?" },
        { role: "user", content: "Weather?" },
      ]);
    }
  });

  test("a function tool with parameters: null is declared without parameters on Gemini", async () => {
    const tool = {
      type: "function",
      function: { name: "ping", parameters: null },
    } as unknown as OpenAI.Chat.ChatCompletionTool;
    const { completion, upstream } = await create({
      model: "gemini-2.5-flash-lite",
      messages: [{ role: "user", content: "ping" }],
      tools: [tool],
    });
    expect(upstream.tools).toEqual([{ functionDeclarations: [{ name: "ping" }] }]);
    expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      function: { name: "ping", arguments: "{}" },
    });
  });

  test("tool_call_id that is not a string is a 400 naming it, not an adapter crash", async () => {
    const error = await refusal({
      model: "mistral-small",
      messages: [{ role: "tool", tool_call_id: ["c1"], content: "x" }] as unknown as Params["messages"],
    });
    expect(error.param).toBe("messages[0].tool_call_id");
    expect(error.code).toBe("invalid_request");
  });
});

describe("streams as the SDK's stream helper reads them", () => {
  test.each(MODELS)("%s: two parallel tool calls assemble into the final completion", async (model) => {
    const runner = client.chat.completions.stream(
      { model, messages: [{ role: "user", content: "Weather in Paris and Rome?" }], tools: [weather] },
      { headers: { "x-sim-tool-calls": "2" } },
    );
    const final = await runner.finalChatCompletion();
    const calls = (final.choices[0]?.message.tool_calls ??
      []) as OpenAI.Chat.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((call) => [call.function.name, JSON.parse(call.function.arguments)])).toEqual([
      ["get_weather", { city: "sim" }],
      ["get_weather", { city: "sim" }],
    ]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  test.each(MODELS)(
    "%s: a client that aborts mid-stream aborts the upstream; the row says client_aborted",
    async (model) => {
      const controller = new AbortController();
      const abortedBefore = h.sim.abortedCount();
      const stream = await client.chat.completions
        .create(
          {
            model,
            messages: [{ role: "user", content: "one two three four five six seven eight" }],
            stream: true,
          },
          { signal: controller.signal, headers: { "x-sim-tps": "20" } },
        )
        .withResponse();
      let chunks = 0;
      await (async () => {
        for await (const _ of stream.data) {
          chunks += 1;
          if (chunks === 2) controller.abort();
        }
      })().catch(() => undefined);
      expect(chunks).toBe(2);
      for (let i = 0; i < 50 && h.server.gateway.inFlight() > 0; i++) await Bun.sleep(10);
      expect(h.sim.abortedCount()).toBe(abortedBefore + 1);
      expect(logRow(h, stream.response.headers.get("x-request-id"))).toMatchObject({
        status: 200,
        outcome: "client_aborted",
        errorCode: "client_closed_request",
      });
    },
  );
});

describe("parameters, as each upstream takes them", () => {
  const base = { messages: [{ role: "user" as const, content: "Tell me about Paris" }] };
  const sent: Record<string, Partial<Record<Model, Record<string, unknown>>>> = {
    "seed, stop as a string, max_completion_tokens": {
      "gpt-5-nano": { seed: 7, stop: "END", max_completion_tokens: 50 },
      "claude-haiku-4-5": { stop_sequences: ["END"], max_tokens: 50 },
      "gemini-2.5-flash-lite": { generationConfig: { seed: 7, stopSequences: ["END"], maxOutputTokens: 50 } },
      "mistral-small": { random_seed: 7, stop: "END", max_tokens: 50 },
    },
  };

  test.each(MODELS)("%s: seed, stop and max_completion_tokens", async (model) => {
    const { upstream } = await create({ model, ...base, seed: 7, stop: "END", max_completion_tokens: 50 });
    expect(upstream).toMatchObject(sent["seed, stop as a string, max_completion_tokens"]?.[model] ?? {});
    if (model === "claude-haiku-4-5") expect(upstream).not.toHaveProperty("seed");
    if (model === "mistral-small") expect(upstream).not.toHaveProperty("seed");
  });

  test.each([
    ["gpt-5-nano", { max_tokens: 200_000 }],
    ["claude-haiku-4-5", { max_tokens: 64_000 }],
    ["gemini-2.5-flash-lite", { generationConfig: { maxOutputTokens: 65_536 } }],
  ] as const)(
    "%s: max_tokens above the model's output limit (forwarded, or capped where the upstream refuses it)",
    async (model, expected) => {
      const { upstream } = await create({ model, ...base, max_tokens: 200_000 });
      expect(upstream).toMatchObject(expected);
    },
  );

  test.each([
    [
      "gpt-5-nano",
      { tool_choice: { type: "function", function: { name: "get_weather" } }, parallel_tool_calls: false },
    ],
    [
      "claude-haiku-4-5",
      { tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true } },
    ],
    ["mistral-small", { tool_choice: { type: "function", function: { name: "get_weather" } } }],
  ] as const)("%s: tool_choice as an object, parallel_tool_calls false", async (model, expected) => {
    const { completion, upstream } = await create({
      model,
      ...base,
      tools: [weather],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
    });
    expect(upstream).toMatchObject(expected);
    const call = completion.choices[0]?.message
      .tool_calls?.[0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "sim" });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
  });

  test("gemini: tool_choice as an object becomes ANY with that function; parallel_tool_calls false is refused", async () => {
    const { upstream } = await create({
      model: "gemini-2.5-flash-lite",
      ...base,
      tools: [weather],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    expect(upstream.toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] },
    });
    const error = await refusal({
      model: "gemini-2.5-flash-lite",
      ...base,
      tools: [weather],
      parallel_tool_calls: false,
    });
    expect(error.param).toBe("parallel_tool_calls");
    expect(error.code).toBe("unsupported_parameter");
  });

  test.each(MODELS)("%s: response_format json_schema answers JSON that matches the schema", async (model) => {
    const { completion } = await create({
      model,
      ...base,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "city",
          strict: true,
          schema: {
            type: "object",
            properties: { name: { type: "string" } },
            required: ["name"],
            additionalProperties: false,
          },
        },
      },
    });
    expect(JSON.parse(completion.choices[0]?.message.content ?? "")).toEqual({ name: "sim" });
  });

  test("json_schema without its json_schema object: Anthropic refuses it (400, one model, no failover), Gemini asks for JSON", async () => {
    const anthropic = await refusal({
      model: "claude-haiku-4-5",
      ...base,
      response_format: { type: "json_schema" } as never,
    });
    expect(anthropic.status).toBe(400);
    expect(anthropic.param).toBe("response_format");
    expect(anthropic.message).toBe(
      "400 The provider 'anthropic' does not support 'response_format': JSON mode needs a schema here: use response_format json_schema.",
    );
    const { completion, upstream } = await create({
      model: "gemini-2.5-flash-lite",
      ...base,
      response_format: { type: "json_schema" } as never,
    });
    expect(upstream.generationConfig).toEqual({ responseMimeType: "application/json" });
    expect((completion as unknown as { spendex: { provider: string } }).spendex.provider).toBe("gemini");
  });

  test.each([
    ["gpt-5-nano", { user: "user-42", metadata: { trace: "t1" } }],
    ["claude-haiku-4-5", { metadata: { user_id: "user-42" } }],
    ["gemini-2.5-flash-lite", {}],
    ["mistral-small", { metadata: { trace: "t1" } }],
  ] as const)("%s: user and metadata", async (model, expected) => {
    const { upstream } = await create({ model, ...base, user: "user-42", metadata: { trace: "t1" } });
    expect(upstream).toMatchObject(expected);
    if (model === "gemini-2.5-flash-lite") {
      expect(upstream).not.toHaveProperty("user");
      expect(upstream).not.toHaveProperty("metadata");
    }
    if (model === "mistral-small") expect(upstream).not.toHaveProperty("user");
  });

  test.each(MODELS)("%s: prompt_cache_key, a cache-routing label, never fails the request", async (model) => {
    const { upstream } = await create({ model, ...base, prompt_cache_key: "session-1" });
    if (model === "gpt-5-nano") expect(upstream.prompt_cache_key).toBe("session-1");
    else expect(upstream).not.toHaveProperty("prompt_cache_key");
  });

  // What frameworks send when the user set nothing: every parameter present, at null or its neutral value.
  const frameworkDefaults = {
    temperature: 0.7,
    top_p: 1,
    n: 1,
    presence_penalty: 0,
    frequency_penalty: 0,
    stream: false,
    logit_bias: {},
    max_tokens: null,
    stop: null,
    tools: [],
    tool_choice: "none",
    parallel_tool_calls: null,
    response_format: { type: "text" },
    seed: null,
    logprobs: false,
    top_logprobs: null,
    stream_options: null,
    metadata: null,
    reasoning_effort: null,
    modalities: ["text"],
    audio: null,
    prediction: null,
    web_search_options: null,
    functions: null,
    function_call: null,
  };

  test.each(MODELS)(
    "%s: a framework's body with every parameter at null or neutral is answered",
    async (model) => {
      const { completion, upstream } = await create({
        model,
        ...base,
        ...frameworkDefaults,
      } as unknown as Params);
      expect(completion.choices[0]?.message.content).toBe("Simulated reply to: Tell me about Paris");
      if (model === "mistral-small") {
        expect(Object.keys(upstream).sort()).toEqual([
          "frequency_penalty",
          "messages",
          "model",
          "n",
          "presence_penalty",
          "response_format",
          "stream",
          "temperature",
          "tool_choice",
          "tools",
          "top_p",
        ]);
      }
    },
  );

  test("OpenAI: unknown fields, top-level and inside messages, are forwarded untouched", async () => {
    const params = {
      model: "gpt-5-nano",
      messages: [{ role: "user", content: "x", cache_control: { type: "ephemeral" } }],
      frobnicate: { deep: [1, { two: null }] },
      logprobs: true,
      top_logprobs: 2,
      verbosity: "low",
    } as unknown as Params;
    const { upstream } = await create(params);
    expect(upstream).toEqual({ ...(params as unknown as Record<string, unknown>), model: "gpt-5-nano" });
  });

  test("Mistral: an unknown field reaches Mistral, whose 422 comes back as a 400 naming it", async () => {
    const since = h.sim.records().length;
    const error = await client.chat.completions
      .create({ model: "mistral-small", ...base, frobnicate: 1 } as unknown as Params)
      .then(
        () => undefined,
        (caught: unknown) => caught as APIError,
      );
    expect(h.sim.records().length - since).toBe(1);
    expect(error?.status).toBe(400);
    expect(error?.param).toBe("body.frobnicate");
    expect(error?.code).toBe("upstream_invalid_request");
  });

  test("OpenAI: n=2 gives two choices, both billed", async () => {
    const { completion } = await create({ model: "gpt-5-nano", ...base, n: 2 });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1]);
    expect(completion.choices[1]?.message.content).toBe("Simulated reply to: Tell me about Paris");
  });

  test.each([
    ["claude-haiku-4-5", "anthropic", { n: 2 }, "n", "only one choice per request"],
    ["gemini-2.5-flash-lite", "gemini", { n: 3 }, "n", "only one choice per request"],
    ["claude-haiku-4-5", "anthropic", { logprobs: true }, "logprobs", "the Messages API has no equivalent"],
    ["gemini-2.5-flash-lite", "gemini", { logprobs: true }, "logprobs", "the Gemini API has no equivalent"],
    ["mistral-small", "mistral", { logprobs: true }, "logprobs", "Mistral's chat API has no equivalent"],
    ["claude-haiku-4-5", "anthropic", { frobnicate: 1 }, "frobnicate", "the Messages API has no equivalent"],
    ["gemini-2.5-flash-lite", "gemini", { frobnicate: 1 }, "frobnicate", "the Gemini API has no equivalent"],
  ] as const)(
    "%s: %j → the SDK's BadRequestError naming the parameter and the provider",
    async (model, provider, extra, param, detail) => {
      const error = await refusal({ model, ...base, ...extra });
      expect(error.status).toBe(400);
      expect(error.param).toBe(param);
      expect(error.code).toBe("unsupported_parameter");
      expect(error.type).toBe("invalid_request_error");
      expect(error.message).toBe(`400 The provider '${provider}' does not support '${param}': ${detail}.`);
    },
  );

  test.each([
    ["gpt-5-nano", true],
    ["claude-haiku-4-5", false],
    ["gemini-2.5-flash-lite", false],
    ["mistral-small", false],
  ] as const)("%s: a participant name on a message (forwarded: %p)", async (model, forwarded) => {
    const params: Params = { model, messages: [{ role: "user", name: "alice", content: "Hi" }] };
    if (forwarded) {
      const { upstream } = await create(params);
      expect(upstream.messages).toEqual([{ role: "user", name: "alice", content: "Hi" }]);
      return;
    }
    const error = await refusal(params);
    expect(error.param).toBe("messages[0].name");
    expect(error.code).toBe("unsupported_parameter");
  });
});

describe("images", () => {
  const png = "data:image/png;base64,iVBORw0KGgo=";
  const look = (url: string): Params["messages"] => [
    {
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url, detail: "low" } },
      ],
    },
  ];

  test.each([
    ["gpt-5-nano", { messages: look(png) }],
    [
      "claude-haiku-4-5",
      {
        messages: [
          {
            content: [
              { type: "text" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            ],
          },
        ],
      },
    ],
    [
      "gemini-2.5-flash-lite",
      {
        contents: [
          {
            parts: [
              { text: "What is this?" },
              { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
            ],
          },
        ],
      },
    ],
    ["mistral-small", { messages: look(png) }],
  ] as const)("%s: a base64 image part", async (model, expected) => {
    const { completion, upstream } = await create({ model, messages: look(png) });
    expect(upstream).toMatchObject(expected);
    expect(completion.choices[0]?.message.content).toBe("Simulated reply to: What is this?");
  });

  test("an image URL: Anthropic takes it as a url source; Gemini refuses it with the part named", async () => {
    const url = "https://example.com/cat.png";
    const { upstream } = await create({ model: "claude-haiku-4-5", messages: look(url) });
    expect((upstream.messages as Array<{ content: unknown[] }>)[0]?.content[1]).toEqual({
      type: "image",
      source: { type: "url", url },
    });
    const error = await refusal({ model: "gemini-2.5-flash-lite", messages: look(url) });
    expect(error.param).toBe("messages[0].content[1].image_url");
    expect(error.message).toBe(
      "400 The provider 'gemini' does not support 'messages[0].content[1].image_url': image URLs are not fetched: send the image as a base64 data URL.",
    );
  });
});

describe("failover of a pinned request", () => {
  test("a failover candidate that cannot carry a field is skipped, never the client's error", async () => {
    // gpt-5-nano is down; mistral-small and gemini-2.5-flash-lite (first in the failover order) refuse participant
    // names, backup-nano takes them.
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503 } });
    const since = h.sim.records().length;
    const response = await client.chat.completions
      .create({ model: "gpt-5-nano", messages: [{ role: "user", name: "alice", content: "Hi" }] })
      .withResponse();
    h.sim.setFaults({});
    const reached = h.sim
      .records()
      .slice(since)
      .map((record) => `${record.model} ${record.status}`);
    expect(reached).toEqual(["gpt-5-nano 503", "gpt-5-nano 503", "backup-nano 200"]);
    const spendex = (response.data as unknown as { spendex: { routed_model: string; fallbacks: unknown[] } })
      .spendex;
    expect(spendex.routed_model).toBe("backup-nano");
    expect(spendex.fallbacks).toEqual([
      expect.objectContaining({ model: "openai/gpt-5-nano", status: 503 }),
      expect.objectContaining({ model: "openai/gpt-5-nano", status: 503 }),
      expect.objectContaining({
        model: "mistral/mistral-small",
        status: null,
        skipped: "unsupported",
        error: "unsupported_parameter",
        param: "messages[0].name",
      }),
      expect.objectContaining({
        model: "gemini/gemini-2.5-flash-lite",
        status: null,
        skipped: "unsupported",
        error: "unsupported_parameter",
      }),
      expect.objectContaining({ model: "backup/backup-nano", status: 200 }),
    ]);
    const row = logRow(h, response.response.headers.get("x-request-id"));
    expect(row).toMatchObject({ status: 200, routedModel: "backup/backup-nano", outcome: "complete" });
  });
});
