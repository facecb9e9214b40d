// Bad input at every level: each is a 4xx OpenAI error object naming the parameter, logged, never a 500 or an echo.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "anthropic", "gemini", "mistral"],
    config: {
      providers: [
        {
          name: "textonly",
          baseUrl: "{sim}/v1",
          apiKeyEnv: "TEXTONLY_KEY",
          models: [
            {
              name: "blind-nano",
              tier: "simple",
              prices: { input: 0.01, output: 0.02 },
              capabilities: { tools: false, vision: false, jsonSchema: false },
            },
          ],
        },
      ],
    },
    env: { TEXTONLY_KEY: "sk-textonly-secret-key-0123456789" },
  });
});
afterAll(() => h.close());

const user = (content: unknown) => ({ role: "user", content });
const hello = { model: "gpt-5-nano", messages: [user("Hello there")] };

interface ErrorResult {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
  keys: string[];
  text: string;
  id: string | null;
}

async function errorOf(response: Response): Promise<ErrorResult> {
  const text = await response.text();
  const body = JSON.parse(text) as { error: Omit<ErrorResult, "status" | "keys" | "text" | "id"> };
  return {
    status: response.status,
    ...body.error,
    keys: Object.keys(body.error).sort(),
    text,
    id: response.headers.get("x-request-id"),
  };
}

const rowOf = (id: string | null) => logRow(h, id);

describe("valid JSON of the wrong shape", () => {
  const tool = { type: "function", function: { name: "f" } };
  test.each([
    ["messages a string", { model: "gpt-5-nano", messages: "Hello" }, "messages"],
    ["messages an object", { model: "gpt-5-nano", messages: { role: "user", content: "x" } }, "messages"],
    ["a message that is null", { model: "gpt-5-nano", messages: [null] }, "messages[0]"],
    ["a message that is a number", { model: "gpt-5-nano", messages: [user("x"), 7] }, "messages[1]"],
    [
      "a role that is unknown",
      { model: "gpt-5-nano", messages: [{ role: "bot", content: "x" }] },
      "messages[0].role",
    ],
    ["a role that is missing", { model: "gpt-5-nano", messages: [{ content: "x" }] }, "messages[0].role"],
    ["content a number", { model: "gpt-5-nano", messages: [user(42)] }, "messages[0].content"],
    ["content an object", { model: "gpt-5-nano", messages: [user({ text: "x" })] }, "messages[0].content"],
    [
      "a content part that is a string",
      { model: "gpt-5-nano", messages: [user(["x"])] },
      "messages[0].content[0]",
    ],
    [
      "a content part without a type",
      { model: "gpt-5-nano", messages: [user([{ text: "x" }])] },
      "messages[0].content[0].type",
    ],
    [
      "a text part whose text is a number",
      {
        model: "claude-haiku-4-5",
        messages: [
          user([
            { type: "text", text: "a" },
            { type: "text", text: 5 },
          ]),
        ],
      },
      "messages[0].content[1].text",
    ],
    [
      "an image part whose image_url is a string",
      { model: "gpt-5-nano", messages: [user([{ type: "image_url", image_url: "https://x.test/a.png" }])] },
      "messages[0].content[0].image_url",
    ],
    [
      "tool call arguments that are an object",
      {
        model: "claude-haiku-4-5",
        messages: [
          user("x"),
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: { a: 1 } } }],
          },
        ],
      },
      "messages[1].tool_calls[0].function.arguments",
    ],
    ["tools an object", { ...hello, tools: tool }, "tools"],
    ["a tool that is a string", { ...hello, tools: ["f"] }, "tools[0]"],
    [
      "a tool that is not a function tool",
      { ...hello, tools: [{ type: "code_interpreter" }] },
      "tools[0].type",
    ],
    ["temperature a string", { ...hello, temperature: "1" }, "temperature"],
    ["temperature negative", { ...hello, temperature: -0.1 }, "temperature"],
    ["model a number", { ...hello, model: 5 }, "model"],
    ["model empty", { ...hello, model: "" }, "model"],
    ["stop a number", { ...hello, stop: 3 }, "stop"],
    ["n a string", { ...hello, n: "2" }, "n"],
    ["n zero", { ...hello, n: 0 }, "n"],
    ["stream_options a string", { ...hello, stream: true, stream_options: "usage" }, "stream_options"],
    ["max_tokens a string", { ...hello, max_tokens: "100" }, "max_tokens"],
  ])("%s → 400 invalid_request naming '%s'", async (_name, json, param) => {
    const since = h.sim.records().length;
    const error = await errorOf(await h.call("/v1/chat/completions", { json }));
    expect(error.status).toBe(400);
    expect(error.keys).toEqual(["code", "message", "param", "type"]);
    expect(error.type).toBe("invalid_request_error");
    expect(error.code).toBe("invalid_request");
    expect(error.param).toBe(param);
    expect(error.message.startsWith(`Invalid '${param}': `)).toBe(true);
    expect(h.sim.records().length).toBe(since);
    expect(rowOf(error.id)).toMatchObject({ status: 400, errorCode: "invalid_request", outcome: "failed" });
  });

  test.each([
    [{ temperature: "1" }, "Invalid 'temperature': must be a number from 0 to 2 (got a string)."],
    [{ top_p: 2 }, "Invalid 'top_p': must be a number from 0 to 1 (got 2)."],
    [{ max_tokens: 1.5 }, "Invalid 'max_tokens': must be a positive integer (got 1.5)."],
    [{ stream: "true" }, "Invalid 'stream': must be true or false (got a string)."],
    [{ n: 0 }, "Invalid 'n': must be a positive integer (got 0)."],
    [
      { stop: ["a", "b", "c", "d", "e"] },
      "Invalid 'stop': must be a string or an array of up to 4 strings (got an array of 5).",
    ],
    [{ stop: ["END", 5] }, "Invalid 'stop[1]': expected string (got 5)."],
    [
      { stream_options: true },
      "Invalid 'stream_options': must be an object such as {include_usage: true} (got true).",
    ],
    [
      { messages: [user(42)] },
      "Invalid 'messages[0].content': must be a string or an array of content parts such as {type: 'text', text} or {type: 'image_url', image_url: {url}} (got 42).",
    ],
  ])("%j → a message that says what the parameter should be", async (extra, message) => {
    const error = await errorOf(await h.call("/v1/chat/completions", { json: { ...hello, ...extra } }));
    expect(error.status).toBe(400);
    expect(error.message).toBe(message);
  });

  test("the offending prompt text is never echoed, even when it is the wrong type", async () => {
    const secret = "SECRET-PROMPT-1234 do not repeat";
    for (const messages of [
      [secret],
      [{ role: secret, content: "x" }],
      [user([{ type: "text", text: 1 }, secret])],
    ]) {
      const error = await errorOf(
        await h.call("/v1/chat/completions", { json: { model: "gpt-5-nano", messages } }),
      );
      expect(error.status).toBe(400);
      expect(error.text).not.toContain("SECRET-PROMPT");
    }
  });
});

describe("bodies that are not a chat request", () => {
  test.each([
    [
      "a JSON array",
      '[{"model":"gpt-5-nano"}]',
      "invalid_request",
      "The request body must be a JSON object.",
    ],
    ["a JSON string", '"hello"', "invalid_request", "The request body must be a JSON object."],
    ["JSON null", "null", "invalid_request", "The request body must be a JSON object."],
    ["a JSON number", "12", "invalid_request", "The request body must be a JSON object."],
    [
      "whitespace",
      " \n\t ",
      "invalid_request",
      "The request body is empty; send a JSON chat completion request.",
    ],
    [
      "a truncated object",
      '{"model":"gpt-5-nano","messages":[',
      "invalid_json",
      "The request body is not valid JSON.",
    ],
    [
      "JSON with a trailing comma",
      '{"model":"gpt-5-nano",}',
      "invalid_json",
      "The request body is not valid JSON.",
    ],
    [
      "form-encoded fields",
      "model=gpt-5-nano&messages=hi",
      "invalid_json",
      "The request body is not valid JSON.",
    ],
  ])("%s → 400 %s", async (_name, raw, code, message) => {
    const error = await errorOf(await h.call("/v1/chat/completions", { method: "POST", body: raw }));
    expect(error).toMatchObject({ status: 400, type: "invalid_request_error", code, message, param: null });
  });

  test("an empty body with content-length 0 → 400, and the row is logged", async () => {
    const error = await errorOf(
      await h.call("/v1/chat/completions", { method: "POST", body: "", headers: { "content-length": "0" } }),
    );
    expect(error).toMatchObject({ status: 400, code: "invalid_request" });
    expect(rowOf(error.id)).toMatchObject({ status: 400, errorCode: "invalid_request", keyName: "test" });
  });

  test("invalid UTF-8 outside a string is invalid JSON", async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const error = await errorOf(await h.call("/v1/chat/completions", { method: "POST", body: bytes }));
    expect(error).toMatchObject({ status: 400, code: "invalid_json" });
  });

  test("invalid UTF-8 inside a string is decoded as U+FFFD (WHATWG decoding) and forwarded", async () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    const head = encode('{"model":"gpt-5-nano","messages":[{"role":"user","content":"caf');
    const tail = encode(' au lait"}]}');
    const bytes = new Uint8Array([...head, 0xe9, ...tail]); // Latin-1 "é"
    const since = h.sim.records().length;
    const response = await h.call("/v1/chat/completions", { method: "POST", body: bytes });
    expect(response.status).toBe(200);
    const sent = h.sim.records()[since]?.body as { messages: Array<{ content: string }> };
    expect(sent.messages[0]?.content).toBe("caf\uFFFD au lait");
  });

  test("a JSON body sent as text/plain is read as JSON (curl without -H), a form body is not", async () => {
    const plain = await h.call("/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify(hello),
      headers: { "content-type": "text/plain" },
    });
    expect(plain.status).toBe(200);
    const form = await errorOf(
      await h.call("/v1/chat/completions", {
        method: "POST",
        body: "model=gpt-5-nano",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
    );
    expect(form).toMatchObject({ status: 400, code: "invalid_json" });
  });

  const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
  const around = (inner: string) => ({
    top: inner,
    tools: `{"model":"gpt-5-nano","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${inner}}}]}`,
    content: `{"model":"gpt-5-nano","messages":[{"role":"user","content":${inner}}]}`,
    unknown: `{"model":"gpt-5-nano","messages":[{"role":"user","content":"x"}],"extra":${inner}}`,
  });
  const TOO_DEEP = "The request body is nested too deeply (more than 512 levels).";

  test("nesting past 512 levels is a 400 at any place, not a 500 or a retried 503", async () => {
    for (const inner of [deep(50_000), deepObject(50_000), deep(520)]) {
      for (const [where, body] of Object.entries(around(inner))) {
        const since = h.sim.records().length;
        const error = await errorOf(await h.call("/v1/chat/completions", { method: "POST", body }));
        expect({ where, ...error }).toMatchObject({
          where,
          status: 400,
          type: "invalid_request_error",
          code: "invalid_request",
          message: TOO_DEEP,
        });
        expect(error.text).not.toContain("RangeError");
        expect(h.sim.records().length).toBe(since);
        expect(rowOf(error.id)).toMatchObject({ status: 400, errorCode: "invalid_request" });
      }
    }
  }, 15_000);

  test("nesting up to the limit passes, and brackets inside strings (escaped quotes too) do not count", async () => {
    // 500 levels in the unknown field, plus the envelope's 1: under the limit of 512.
    const nested = await h.call("/v1/chat/completions", {
      method: "POST",
      body: around(deep(500)).unknown,
    });
    expect(nested.status).toBe(200);
    const bracketsInText = `a "quoted \\" ${"[{".repeat(2_000)} and a backslash \\`;
    const since = h.sim.records().length;
    const text = await h.call("/v1/chat/completions", {
      json: { model: "gpt-5-nano", messages: [user(bracketsInText)] },
    });
    expect(text.status).toBe(200);
    const sent = h.sim.records()[since]?.body as { messages: Array<{ content: string }> };
    expect(sent.messages[0]?.content).toBe(bracketsInText);
  });

  test("deep bodies are refused without stalling the server for other clients", async () => {
    const bodies = [deep(40_000), deepObject(40_000)].flatMap((inner) => [
      around(inner).tools,
      around(inner).unknown,
    ]);
    const refusals = bodies.map((body) => h.call("/v1/chat/completions", { method: "POST", body }));
    const start = performance.now();
    const normal = await h.call("/v1/chat/completions", { json: hello });
    const normalMs = performance.now() - start;
    expect(normal.status).toBe(200);
    for (const response of await Promise.all(refusals)) expect(response.status).toBe(400);
    // Each of these bodies used to hold the event loop ~0.7 s (an overflowing JSON.stringify); the pre-scan refuses
    // one in about a millisecond. 200 ms leaves room for a loaded machine and still fails on a single overflow.
    expect(normalMs).toBeLessThan(200);
  });

  test("with capturePrompts on, the row of a body refused as too deep is still written, with nothing captured", async () => {
    const capturing = await startHarness({ providers: ["openai"], config: { capturePrompts: true } });
    try {
      const deep = `{"model":"gpt-5-nano","messages":[{"role":"user","content":"x"}],"extra":${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
      const refused = await capturing.call("/v1/chat/completions", { method: "POST", body: deep });
      expect(refused.status).toBe(400);
      const next = await capturing.call("/v1/chat/completions", { json: hello });
      expect(next.status).toBe(200);
      expect(logRow(capturing, refused.headers.get("x-request-id"))).toMatchObject({
        status: 400,
        errorCode: "invalid_request",
        capturedRequest: null,
      });
      const kept = logRow(capturing, next.headers.get("x-request-id"));
      expect(JSON.parse(kept?.capturedRequest ?? "null")).toEqual({ ...hello });
    } finally {
      await capturing.close();
    }
  }, 15_000);

  test("20,000 messages are validated, counted and forwarded in one piece", async () => {
    const messages = Array.from({ length: 20_000 }, (_, i) => user(`m${i}`));
    const since = h.sim.records().length;
    const response = await h.call("/v1/chat/completions", { json: { model: "gpt-5-nano", messages } });
    expect(response.status).toBe(200);
    expect(h.sim.records().length).toBe(since + 1);
    const forwarded = h.sim.records().at(-1)?.body as { messages: unknown[] };
    expect(forwarded.messages).toHaveLength(20_000);
    const bad = [...messages];
    bad[19_999] = { role: "user", content: 1 } as never;
    const error = await errorOf(
      await h.call("/v1/chat/completions", { json: { model: "gpt-5-nano", messages: bad } }),
    );
    expect(error).toMatchObject({ status: 400, param: "messages[19999].content" });
  });
});

describe("authorization", () => {
  test.each([
    ["Bearer KEY", 200],
    ["bearer KEY", 200],
    ["BEARER KEY", 200],
    ["Bearer   KEY  ", 200],
    ["Basic KEY", 401],
    ["KEY", 401],
    ["Bearer", 401],
  ])("%j → %d", async (authorization, status) => {
    const response = await h.call("/v1/chat/completions", {
      json: hello,
      headers: { authorization: authorization.replace("KEY", h.key) },
    });
    expect(response.status).toBe(status);
    if (status === 401) {
      const error = await errorOf(response);
      expect(error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
      expect(error.text).not.toContain(h.key);
    }
  });
});

describe("methods", () => {
  test.each([["GET"], ["PUT"], ["DELETE"]])(
    "%s on the chat route → 405 with Allow: POST, in OpenAI's words",
    async (method) => {
      for (const path of ["/v1/chat/completions", "/chat/completions"]) {
        const response = await h.call(path, { method });
        expect(response.headers.get("allow")).toBe("POST");
        const error = await errorOf(response);
        expect(error).toMatchObject({
          status: 405,
          type: "invalid_request_error",
          code: "method_not_allowed",
          param: null,
          message: `Invalid method for URL (${method} ${path}): use POST.`,
        });
      }
    },
  );

  test("GET on a listening server's chat route is a 405 too; other unknown URLs stay 404", async () => {
    const base = h.listen();
    const wrong = await fetch(`${base}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    const unknown = await fetch(`${base}/v1/chat/complete`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
  });
});

describe("model ids in the URL", () => {
  test.each([
    ["/v1/models/%E0%A4%A", 404, "%E0%A4%A"],
    ["/v1/models/%", 404, "%"],
    ["/v1/models/openai%2Fgpt-5-nano", 200, "openai/gpt-5-nano"],
  ])("GET %s → %d", async (path, status, id) => {
    const response = await h.call(path);
    expect(response.status).toBe(status);
    const body = (await response.json()) as { id?: string; error?: { message: string; code: string } };
    if (status === 200) expect(body.id).toBe(id);
    else {
      expect(body.error?.code).toBe("model_not_found");
      expect(body.error?.message).toBe(`The model '${id}' does not exist or its provider is not connected.`);
    }
  });
});

describe("a pinned model that lacks what the request needs", () => {
  const image = { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } };
  const weather = {
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  };
  test.each([
    [
      "an image",
      { messages: [user("look"), user([{ type: "text", text: "this:" }, image])] },
      "messages[1].content[1]",
      "image inputs",
    ],
    ["tools", { messages: [user("weather?")], tools: [weather] }, "tools", "tools"],
    [
      "a JSON schema",
      {
        messages: [user("json")],
        response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } },
      },
      "response_format",
      "JSON schema responses",
    ],
  ])(
    "%s → 400 unsupported_parameter naming the param and provider; nothing is sent",
    async (_n, extra, param, what) => {
      const since = h.sim.records().length;
      const error = await errorOf(
        await h.call("/v1/chat/completions", { json: { model: "blind-nano", ...extra } }),
      );
      expect(error).toMatchObject({
        status: 400,
        type: "invalid_request_error",
        code: "unsupported_parameter",
        param,
        message: `The model 'textonly/blind-nano' (provider 'textonly') does not support ${what}. Pick a model that does, or model 'auto'.`,
      });
      expect(h.sim.records().length).toBe(since);
      expect(rowOf(error.id)).toMatchObject({ status: 400, errorCode: "unsupported_parameter" });
    },
  );

  test("the same image request to a vision model is carried", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: { model: "gpt-5-nano", messages: [user([{ type: "text", text: "this:" }, image])] },
    });
    expect(response.status).toBe(200);
  });
});

test("after all of the above the server is healthy and the next request is served", async () => {
  const response = await h.call("/v1/chat/completions", { json: hello });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  expect(body.choices[0]?.message.content).toBe("Simulated reply to: Hello there");
});
