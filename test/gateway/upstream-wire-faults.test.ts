// Upstream fault patterns the simulator does not produce, from a hand-written upstream speaking the OpenAI,
// Anthropic and Gemini wire formats byte by byte: SSE framing variants, bodies cut or left hanging, error bodies in
// each provider's shape. Each case checks what the client gets, what the log says, and that the next request works.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, logRow, startHarness } from "../support/harness";

const encoder = new TextEncoder();
// firstChunkMs set short: by default a stream may be silent until its first chunk as long as a non-streaming call.
const TIMEOUTS = { firstByteMs: 300, firstChunkMs: 300, idleMs: 300, totalMs: 4_000 };

// ---- OpenAI format ------------------------------------------------------------------------------------------
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({
    id: "chatcmpl-raw",
    object: "chat.completion.chunk",
    created: 1,
    model: "raw-nano",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
const usageChunk = JSON.stringify({
  id: "chatcmpl-raw",
  object: "chat.completion.chunk",
  created: 1,
  model: "raw-nano",
  choices: [],
  usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
});
const completion = JSON.stringify({
  id: "chatcmpl-raw",
  object: "chat.completion",
  created: 1,
  model: "raw-nano",
  choices: [{ index: 0, message: { role: "assistant", content: "whole" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 },
});
const data = (json: string, eol = "\n") => `data: ${json}${eol}${eol}`;

// ---- Anthropic format ---------------------------------------------------------------------------------------
const event = (name: string, body: Record<string, unknown>, eol = "\n") =>
  `event: ${name}${eol}data: ${JSON.stringify({ type: name, ...body })}${eol}${eol}`;
const messageStart = (eol?: string) =>
  event(
    "message_start",
    { message: { id: "msg_raw", model: "claude-haiku-4-5", usage: { input_tokens: 10, output_tokens: 1 } } },
    eol,
  );
const textDelta = (text: string, eol?: string) =>
  event("content_block_delta", { index: 0, delta: { type: "text_delta", text } }, eol);
const messageDelta = (eol?: string) =>
  event("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 4 } }, eol);
const overloaded = event("error", { error: { type: "overloaded_error", message: "Overloaded" } });

// ---- Gemini format ------------------------------------------------------------------------------------------
const geminiChunk = (text: string, finish?: string) =>
  JSON.stringify({
    candidates: [
      { content: { role: "model", parts: [{ text }] }, ...(finish ? { finishReason: finish } : {}) },
    ],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4 },
    responseId: "gem-raw",
  });
const googleError = (code: number, status: string, message: string, details: unknown[] = []) =>
  JSON.stringify([{ error: { code, message, status, details } }]);

type Piece = string | Uint8Array | { waitMs: number };
type Ending = "close" | "reset" | "hang";

/** A body written piece by piece, then closed, reset (a truncated chunked body) or left open until the client goes. */
function body(pieces: Piece[], ending: Ending, signal: AbortSignal): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for (const piece of pieces) {
          if (typeof piece === "object" && "waitMs" in piece) await Bun.sleep(piece.waitMs);
          else controller.enqueue(typeof piece === "string" ? encoder.encode(piece) : piece);
        }
        if (ending === "close") controller.close();
        else if (ending === "reset") {
          await Bun.sleep(50); // let the client read what was sent before the reset
          controller.error(undefined);
        } else await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      } catch {
        // the client went away mid-write
      }
    },
  });
}

/** Where a redirecting upstream points: it must never be reached (it would get the key headers and the prompt). */
const elsewhere: string[] = [];
const thief = Bun.serve({
  port: 0,
  fetch(request) {
    elsewhere.push(request.headers.get("x-api-key") ?? request.headers.get("x-goog-api-key") ?? "no key");
    return new Response("{}", { status: 500 });
  },
});
const redirect = () =>
  new Response(null, { status: 307, headers: { location: `http://localhost:${thief.port}/v1/steal` } });

const hits = { openai: 0, anthropic: 0, gemini: 0 };
type Format = keyof typeof hits;

function sse(pieces: Piece[], ending: Ending, signal: AbortSignal, status = 200): Response {
  return new Response(body(pieces, ending, signal), {
    status,
    headers: { "content-type": "text/event-stream" },
  });
}
const json = (text: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(text, { status, headers: { "content-type": "application/json", ...headers } });

/** What each mode answers; a format without an entry for the mode answers normally (a healthy failover target). */
const MODES: Record<string, Partial<Record<Format, (signal: AbortSignal) => Response>>> = {
  crlf: {
    openai: (s) =>
      sse(
        [
          ": ping\r\n\r\n",
          data(chunk({ role: "assistant", content: "" }), "\r\n"),
          `event: message\r\nid: 1\r\nretry: 100\r\n${data(chunk({ content: "Hel" }), "\r\n")}`,
          ": keep-alive\r\n\r\n",
          data(chunk({ content: "lo" }), "\r\n") + data(chunk({}, "stop"), "\r\n"),
          `${data(usageChunk, "\r\n")}data: [DONE]\r\n\r\n`,
        ],
        "close",
        s,
      ),
    anthropic: (s) =>
      sse(
        [
          messageStart("\r\n"),
          ": comment\r\n\r\n",
          event("ping", {}, "\r\n"),
          textDelta("Hel", "\r\n"),
          textDelta("lo", "\r\n"),
          messageDelta("\r\n"),
          event("message_stop", {}, "\r\n"),
        ],
        "close",
        s,
      ),
  },
  split: {
    openai: (s) => {
      const bytes = encoder.encode(
        data(chunk({ content: "héllo wörld 😀" })) +
          data(chunk({}, "stop")) +
          data(usageChunk) +
          "data: [DONE]\n\n",
      );
      const pieces: Piece[] = [];
      for (let i = 0; i < bytes.length; i += 5) pieces.push(bytes.slice(i, i + 5), { waitMs: 1 });
      return sse(pieces, "close", s);
    },
  },
  "null-delta": {
    openai: (s) =>
      sse(
        [
          `data: ${JSON.stringify({ id: "chatcmpl-raw", object: "chat.completion.chunk", created: 1, model: "raw-nano", choices: [{ index: 0, delta: null, finish_reason: null }] })}\n\n`,
          `data: ${JSON.stringify({ id: "chatcmpl-raw", object: "chat.completion.chunk", created: 1, model: "raw-nano", choices: [{ index: 0, finish_reason: null }] })}\n\n`,
          data(chunk({ content: "Hello" })),
          data(chunk({}, "stop")),
          data(usageChunk),
          "data: [DONE]\n\n",
        ],
        "close",
        s,
      ),
  },
  "no-done": {
    openai: (s) =>
      sse([data(chunk({ content: "Hello" })), data(chunk({}, "stop")), data(usageChunk)], "close", s),
    anthropic: (s) => sse([messageStart(), textDelta("Hello"), messageDelta()], "close", s),
  },
  "cut-mid-answer": {
    openai: (s) => sse([data(chunk({ content: "Hel" }))], "close", s),
    anthropic: (s) => sse([messageStart(), textDelta("Hel")], "close", s),
  },
  "cut-before-content": {
    openai: (s) => sse([data(chunk({ role: "assistant", content: "" }))], "reset", s),
  },
  "flat-error-event": {
    openai: (s) =>
      sse(
        [
          data(chunk({ content: "Hel" })),
          { waitMs: 30 },
          data(
            '{"object":"error","message":"Service unavailable.","type":"internal_error","param":null,"code":"1000"}',
          ),
        ],
        "close",
        s,
      ),
  },
  "flat-error-first": {
    openai: (s) =>
      sse(
        [data('{"object":"error","message":"Service unavailable.","type":"internal_error","code":"1000"}')],
        "close",
        s,
      ),
  },
  "reset-mid-json": {
    openai: (s) =>
      new Response(body([completion.slice(0, 60)], "reset", s), {
        headers: { "content-type": "application/json" },
      }),
  },
  "truncated-json": { openai: () => json(completion.slice(0, 60)) },
  "503-no-body": { openai: () => new Response(null, { status: 503 }) },
  "429-date": {
    openai: () =>
      json('{"error":{"message":"slow down","type":"rate_limit_error"}}', 429, {
        "retry-after": new Date(Date.now() + 5_000).toUTCString(),
      }),
  },
  "429-seconds": {
    openai: () =>
      json('{"error":{"message":"slow down","type":"rate_limit_error"}}', 429, { "retry-after": "30" }),
  },
  "hang-after-headers": {
    openai: (s) => sse([data(chunk({ role: "assistant", content: "" }))], "hang", s),
  },
  "hang-mid-json": {
    openai: (s) =>
      new Response(body([completion.slice(0, 30)], "hang", s), {
        headers: { "content-type": "application/json" },
      }),
  },
  "reasoning-then-silence": {
    openai: (s) =>
      sse(
        [
          data(chunk({ role: "assistant", content: "" })),
          { waitMs: 20 },
          data(chunk({ reasoning_content: "Thinking" })),
        ],
        "hang",
        s,
      ),
  },
  "hang-after-content": { openai: (s) => sse([data(chunk({ content: "Hi" }))], "hang", s) },
  trickle: {
    openai: (s) =>
      sse(
        ["a", "b", "c"]
          .flatMap((text) => [data(chunk({ content: text })), { waitMs: 150 }])
          .concat([data(chunk({}, "stop")), { waitMs: 150 }, data(usageChunk), "data: [DONE]\n\n"]),
        "close",
        s,
      ),
  },
  "overloaded-first": { anthropic: (s) => sse([messageStart(), overloaded], "close", s) },
  "overloaded-mid": {
    anthropic: (s) => sse([messageStart(), textDelta("Hel"), { waitMs: 30 }, overloaded], "close", s),
  },
  "529": {
    anthropic: () => json('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 529),
  },
  "google-429": {
    gemini: () =>
      json(
        googleError(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.", [
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" },
        ]),
        429,
      ),
  },
  "google-400": {
    gemini: () => json(googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received."), 400),
  },
  redirect: { openai: redirect, anthropic: redirect, gemini: redirect },
  "google-error-event": {
    gemini: (s) =>
      sse(
        [
          data(geminiChunk("Hi")),
          { waitMs: 30 },
          data(googleError(500, "INTERNAL", "An internal error has occurred.")),
        ],
        "close",
        s,
      ),
  },
};

function healthy(format: Format, stream: boolean, signal: AbortSignal): Response {
  if (format === "openai") {
    if (!stream) return json(completion);
    return sse(
      [data(chunk({ content: "fine" })), data(chunk({}, "stop")), data(usageChunk), "data: [DONE]\n\n"],
      "close",
      signal,
    );
  }
  if (format === "anthropic") {
    if (!stream) {
      return json(
        JSON.stringify({
          id: "msg_raw",
          type: "message",
          role: "assistant",
          model: "claude-haiku-4-5",
          content: [{ type: "text", text: "fine" }],
          stop_reason: "end_turn",
          usage: { input_tokens: 10, output_tokens: 4 },
        }),
      );
    }
    return sse(
      [messageStart(), textDelta("fine"), messageDelta(), event("message_stop", {})],
      "close",
      signal,
    );
  }
  if (!stream) return json(geminiChunk("fine", "STOP"));
  return sse([data(geminiChunk("fine", "STOP"))], "close", signal);
}

const upstream = Bun.serve({
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    await request.text();
    const path = new URL(request.url).pathname;
    const format: Format = path.endsWith("/chat/completions")
      ? "openai"
      : path.endsWith("/messages")
        ? "anthropic"
        : "gemini";
    hits[format] += 1;
    const stream =
      format === "gemini"
        ? path.includes("streamGenerateContent")
        : request.headers.get("x-sim-stream") === "1";
    const answer = MODES[request.headers.get("x-sim-mode") ?? ""]?.[format];
    return answer ? answer(request.signal) : healthy(format, stream, request.signal);
  },
});

let h: Harness;
beforeAll(async () => {
  const base = `http://127.0.0.1:${upstream.port}`;
  h = await startHarness({
    providers: [],
    config: {
      breaker: { failureThreshold: 1000, cooldownMs: 1 },
      timeouts: TIMEOUTS,
      retry: { attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 50, maxCandidates: 4 },
      providers: [
        {
          name: "raw",
          baseUrl: `${base}/v1`,
          apiKeyEnv: "RAW_API_KEY",
          models: [{ name: "raw-nano", tier: "simple", prices: { input: 0.05, output: 0.4 } }],
        },
      ],
    },
    env: {
      RAW_API_KEY: "sk-raw-secret-0123456789",
      ANTHROPIC_API_KEY: "sk-ant-raw-secret-0123456789",
      ANTHROPIC_BASE_URL: base,
      GEMINI_API_KEY: "AIzaRawSecret0123456789",
      GEMINI_BASE_URL: base,
    },
  });
});
afterAll(async () => {
  await h.close();
  upstream.stop(true);
  thief.stop(true);
});

interface Sent {
  response: Response;
  text: string;
  ms: number;
  hits: typeof hits;
  row: ReturnType<typeof logRow>;
}

let calls = 0;
async function send(
  model: string,
  mode: string,
  options: { stream?: boolean; failover?: "off" | "equivalent"; includeUsage?: boolean } = {},
): Promise<Sent> {
  const before = { ...hits };
  const start = performance.now();
  const headers: Record<string, string> = {
    "x-sim-mode": mode,
    "x-spendex-failover": options.failover ?? "off",
  };
  if (options.stream) headers["x-sim-stream"] = "1";
  calls += 1;
  const response = await h.call("/v1/chat/completions", {
    json: {
      model,
      messages: [{ role: "user", content: "Say hello" }],
      ...(options.stream ? { stream: true } : {}),
      ...(options.includeUsage ? { stream_options: { include_usage: true } } : {}),
    },
    headers,
  });
  const text = await response.text();
  const ms = performance.now() - start;
  const after = {
    openai: hits.openai - before.openai,
    anthropic: hits.anthropic - before.anthropic,
    gemini: hits.gemini - before.gemini,
  };
  return { response, text, ms, hits: after, row: logRow(h, response.headers.get("x-request-id")) };
}

interface Chunk {
  choices: Array<{ delta: { content?: string; [field: string]: unknown }; finish_reason: string | null }>;
  usage?: { total_tokens: number; completion_tokens: number } | null;
  spendex?: { cost_usd: number };
}

interface Events {
  chunks: Chunk[];
  done: boolean;
  error?: { message: string; type: string; code: string };
}

function parseEvents(text: string): Events {
  const out: Events = { chunks: [], done: false };
  for (const block of text.split("\n\n")) {
    if (!block.startsWith("data: ")) continue;
    const payload = block.slice(6);
    if (payload === "[DONE]") out.done = true;
    else {
      const parsed = JSON.parse(payload);
      if (parsed.error) out.error = parsed.error;
      else out.chunks.push(parsed);
    }
  }
  return out;
}
const contentOf = (events: Events) => events.chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
const attemptsOf = (row: Sent["row"]) =>
  (JSON.parse(row?.attempts ?? "[]") as Array<{ model: string; status: number; error?: string }>).map(
    (a) => `${a.model} ${a.status}${a.error ? ` ${a.error}` : ""}`,
  );

describe("SSE framing an OpenAI-format upstream may use", () => {
  test("CRLF line endings, `: ping` comments, event/id/retry fields: the content and the price are exact", async () => {
    const sent = await send("raw-nano", "crlf", { stream: true });
    const events = parseEvents(sent.text);
    expect(sent.response.status).toBe(200);
    expect(contentOf(events)).toBe("Hello");
    expect(events.done).toBe(true);
    expect(events.error).toBeUndefined();
    expect(sent.text).not.toContain("ping");
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "complete",
      errorCode: null,
      promptTokens: 10,
      completionTokens: 4,
    });
    expect(sent.row?.costUsd).toBeCloseTo((10 * 0.05 + 4 * 0.4) / 1e6, 12);
  });

  test("data lines split across TCP reads every 5 bytes, through multi-byte characters", async () => {
    const sent = await send("raw-nano", "split", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("héllo wörld 😀");
    expect(events.done).toBe(true);
    expect(sent.row).toMatchObject({ status: 200, outcome: "complete", completionTokens: 4 });
  });

  test("chunks with a null or missing delta are carried as an empty delta, not an adapter failure", async () => {
    const sent = await send("raw-nano", "null-delta", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hello");
    expect(events.done).toBe(true);
    expect(events.chunks.slice(0, 2).map((c) => c.choices[0]?.delta)).toEqual([{}, {}]);
    expect(sent.row).toMatchObject({ status: 200, outcome: "complete" });
    expect(attemptsOf(sent.row)).toEqual(["raw/raw-nano 200"]);
  });

  test("a stream that ends after its finish and usage but without [DONE] is complete", async () => {
    const sent = await send("raw-nano", "no-done", { stream: true, includeUsage: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hello");
    expect(events.error).toBeUndefined();
    expect(events.done).toBe(true);
    const last = events.chunks.at(-1);
    expect(last?.usage?.total_tokens).toBe(14);
    expect(last?.spendex?.cost_usd).toBeCloseTo((10 * 0.05 + 4 * 0.4) / 1e6, 12);
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "complete",
      errorCode: null,
      completionTokens: 4,
    });
  });

  test("a stream that ends mid-answer: an error event, no [DONE], and the log says stream_interrupted", async () => {
    const sent = await send("raw-nano", "cut-mid-answer", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hel");
    expect(events.done).toBe(false);
    expect(events.error).toEqual({
      message: "The provider 'raw' ended the stream before it was complete.",
      type: "upstream_error",
      param: null,
      code: "stream_interrupted",
    } as never);
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "error_after_first_byte",
      errorCode: "stream_interrupted",
    });
  });

  test("a connection reset before the first content fails over transparently", async () => {
    const sent = await send("raw-nano", "cut-before-content", { stream: true, failover: "equivalent" });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("fine");
    expect(events.done).toBe(true);
    expect(attemptsOf(sent.row)).toEqual([
      "raw/raw-nano 0 stream_interrupted",
      "raw/raw-nano 0 stream_interrupted",
      "gemini/gemini-2.5-flash-lite 200",
    ]);
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "complete",
      routedModel: "gemini/gemini-2.5-flash-lite",
    });
  });

  test("a Mistral-style flat error event mid-stream is the upstream's error, not an internal error", async () => {
    const sent = await send("raw-nano", "flat-error-event", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hel");
    expect(events.done).toBe(false);
    expect(events.error).toEqual({
      message: "The provider 'raw' failed with HTTP 500: Service unavailable.",
      type: "upstream_error",
      param: null,
      code: "upstream_error",
    } as never);
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "error_after_first_byte",
      errorCode: "upstream_error",
    });
  });

  test("a flat error event before any content is retried as an upstream failure, then fails over", async () => {
    const sent = await send("raw-nano", "flat-error-first", { stream: true, failover: "equivalent" });
    expect(contentOf(parseEvents(sent.text))).toBe("fine");
    expect(attemptsOf(sent.row)).toEqual([
      "raw/raw-nano 500 upstream_error",
      "raw/raw-nano 500 upstream_error",
      "gemini/gemini-2.5-flash-lite 200",
    ]);
  });
});

describe("bodies cut, truncated, empty or left hanging", () => {
  test("a connection reset mid-JSON body is retried, then a 503 naming what happened", async () => {
    const sent = await send("raw-nano", "reset-mid-json");
    expect(sent.hits.openai).toBe(2);
    expect(sent.response.status).toBe(503);
    expect(JSON.parse(sent.text)).toEqual({
      error: {
        message:
          "No provider could serve this request. Tried: raw/raw-nano (stream_interrupted), raw/raw-nano (stream_interrupted).",
        type: "service_unavailable",
        param: null,
        code: "provider_unavailable",
      },
    });
    expect(sent.row).toMatchObject({ status: 503, errorCode: "provider_unavailable", outcome: "failed" });
  });

  test("a 200 whose JSON is truncated is retried as a bad response, then fails over", async () => {
    const sent = await send("raw-nano", "truncated-json", { failover: "equivalent" });
    expect(sent.response.status).toBe(200);
    expect(
      (JSON.parse(sent.text) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message
        .content,
    ).toBe("fine");
    expect(attemptsOf(sent.row)).toEqual([
      "raw/raw-nano 200 upstream_bad_response",
      "raw/raw-nano 200 upstream_bad_response",
      "gemini/gemini-2.5-flash-lite 200",
    ]);
  });

  test("a 503 with no body is retried once, then fails over; the client never sees it", async () => {
    const sent = await send("raw-nano", "503-no-body", { stream: true, failover: "equivalent" });
    expect(sent.response.status).toBe(200);
    expect(contentOf(parseEvents(sent.text))).toBe("fine");
    expect(attemptsOf(sent.row)).toEqual([
      "raw/raw-nano 503 upstream_unavailable",
      "raw/raw-nano 503 upstream_unavailable",
      "gemini/gemini-2.5-flash-lite 200",
    ]);
  });

  test("a stream that hangs after its headers times out at firstChunkMs and is retried, well before totalMs", async () => {
    const sent = await send("raw-nano", "hang-after-headers", { stream: true });
    expect(sent.response.status).toBe(503);
    expect(sent.hits.openai).toBe(2);
    expect(attemptsOf(sent.row)).toEqual([
      "raw/raw-nano 0 upstream_timeout",
      "raw/raw-nano 0 upstream_timeout",
    ]);
    expect(sent.ms).toBeLessThan(TIMEOUTS.totalMs);
  });

  test("a JSON body that hangs after its headers times out at idleMs too, not at totalMs", async () => {
    const sent = await send("raw-nano", "hang-mid-json");
    expect(sent.response.status).toBe(503);
    expect(attemptsOf(sent.row)).toEqual([
      "raw/raw-nano 0 upstream_timeout",
      "raw/raw-nano 0 upstream_timeout",
    ]);
    expect(JSON.parse(sent.text).error.message).toBe(
      "No provider could serve this request. Tried: raw/raw-nano (upstream_timeout), raw/raw-nano (upstream_timeout).",
    );
    expect(sent.ms).toBeLessThan(TIMEOUTS.totalMs);
  });

  test("a stream that goes silent after its first content ends with an upstream_timeout event", async () => {
    const sent = await send("raw-nano", "hang-after-content", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hi");
    expect(events.done).toBe(false);
    expect(events.error?.code).toBe("upstream_timeout");
    expect(events.error?.message).toBe("The provider 'raw' went silent mid-response for too long.");
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "error_after_first_byte",
      errorCode: "upstream_timeout",
    });
  });

  test("reasoning deltas (reasoning_content) are sent as they come, not held back as if nothing had started", async () => {
    const sent = await send("raw-nano", "reasoning-then-silence", { stream: true, failover: "equivalent" });
    const events = parseEvents(sent.text);
    expect(sent.response.status).toBe(200);
    expect(events.chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: "assistant", content: "" },
      { reasoning_content: "Thinking" },
    ]);
    expect(events.error?.code).toBe("upstream_timeout");
    expect(sent.hits).toEqual({ openai: 1, anthropic: 0, gemini: 0 });
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "error_after_first_byte",
      errorCode: "upstream_timeout",
    });
  });

  test("a slow trickle with gaps under idleMs is carried to the end", async () => {
    const sent = await send("raw-nano", "trickle", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("abc");
    expect(events.done).toBe(true);
    expect(sent.row).toMatchObject({ status: 200, outcome: "complete" });
  });
});

describe("rate limits", () => {
  test("429 with retry-after as an HTTP date: not waited for past maxDelayMs; the client gets it in seconds", async () => {
    const sent = await send("raw-nano", "429-date");
    expect(sent.hits.openai).toBe(1);
    expect(sent.response.status).toBe(429);
    const seconds = Number(sent.response.headers.get("retry-after"));
    expect(seconds).toBeGreaterThanOrEqual(4);
    expect(seconds).toBeLessThanOrEqual(5);
    expect(JSON.parse(sent.text).error).toMatchObject({
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
    });
    expect(sent.row).toMatchObject({ status: 429, errorCode: "rate_limit_exceeded" });
  });

  test("429 with retry-after in seconds: passed on as is; with failover, the next provider answers at once", async () => {
    const alone = await send("raw-nano", "429-seconds");
    expect(alone.response.status).toBe(429);
    expect(alone.response.headers.get("retry-after")).toBe("30");
    const moved = await send("raw-nano", "429-seconds", { failover: "equivalent" });
    expect(moved.response.status).toBe(200);
    expect(moved.ms).toBeLessThan(1_000);
    expect(attemptsOf(moved.row)).toEqual([
      "raw/raw-nano 429 upstream_rate_limited",
      "gemini/gemini-2.5-flash-lite 200",
    ]);
  });
});

describe("Anthropic", () => {
  test("CRLF, comments and ping events: exact text and usage", async () => {
    const sent = await send("claude-haiku-4-5", "crlf", { stream: true, includeUsage: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hello");
    expect(events.done).toBe(true);
    expect(events.chunks.at(-1)?.usage?.total_tokens).toBe(14);
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "complete",
      promptTokens: 10,
      completionTokens: 4,
    });
  });

  test("a stream that ends after message_delta but without message_stop is complete", async () => {
    const sent = await send("claude-haiku-4-5", "no-done", { stream: true, includeUsage: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hello");
    expect(events.error).toBeUndefined();
    expect(events.done).toBe(true);
    expect(events.chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(events.chunks.at(-1)?.usage?.completion_tokens).toBe(4);
    expect(sent.row).toMatchObject({ status: 200, outcome: "complete", completionTokens: 4 });
  });

  test("a stream cut before message_delta is interrupted", async () => {
    const sent = await send("claude-haiku-4-5", "cut-mid-answer", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hel");
    expect(events.done).toBe(false);
    expect(events.error?.code).toBe("stream_interrupted");
    expect(sent.row).toMatchObject({ outcome: "error_after_first_byte", errorCode: "stream_interrupted" });
  });

  test.each([
    ["an overloaded_error event before any content", "overloaded-first", true],
    ["HTTP 529 overloaded_error", "529", false],
  ])("%s is retried as a 529, then fails over", async (_name, mode, stream) => {
    const sent = await send("claude-haiku-4-5", mode, { stream, failover: "equivalent" });
    expect(sent.response.status).toBe(200);
    expect(sent.hits.anthropic).toBe(2);
    expect(attemptsOf(sent.row).slice(0, 2)).toEqual([
      "anthropic/claude-haiku-4-5 529 upstream_overloaded",
      "anthropic/claude-haiku-4-5 529 upstream_overloaded",
    ]);
    expect(sent.row?.status).toBe(200);
    expect(sent.row?.provider).not.toBe("anthropic");
  });

  test("an overloaded_error event after content: a final error event saying so", async () => {
    const sent = await send("claude-haiku-4-5", "overloaded-mid", { stream: true, failover: "equivalent" });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hel");
    expect(events.done).toBe(false);
    expect(events.error).toEqual({
      message: "The provider 'anthropic' failed with HTTP 529: Overloaded",
      type: "service_unavailable",
      param: null,
      code: "upstream_overloaded",
    } as never);
    expect(sent.row).toMatchObject({
      status: 200,
      outcome: "error_after_first_byte",
      errorCode: "upstream_overloaded",
    });
  });
});

describe("Gemini", () => {
  test("a 429 error body as a JSON array: its RetryInfo becomes the client's retry-after", async () => {
    const sent = await send("gemini-2.5-flash-lite", "google-429");
    expect(sent.hits.gemini).toBe(1);
    expect(sent.response.status).toBe(429);
    expect(sent.response.headers.get("retry-after")).toBe("7");
    expect(sent.row).toMatchObject({ status: 429, errorCode: "rate_limit_exceeded" });
  });

  test("a 400 error body as a JSON array: returned at once with Google's message and status", async () => {
    const sent = await send("gemini-2.5-flash-lite", "google-400", { failover: "equivalent" });
    expect(sent.hits).toEqual({ openai: 0, anthropic: 0, gemini: 1 });
    expect(sent.response.status).toBe(400);
    expect(JSON.parse(sent.text)).toEqual({
      error: {
        message: "The provider 'gemini' rejected the request: Invalid JSON payload received.",
        type: "invalid_request_error",
        param: null,
        code: "INVALID_ARGUMENT",
      },
    });
  });

  test("an error array as a stream event after content: the upstream's error, not 'ended early'", async () => {
    const sent = await send("gemini-2.5-flash-lite", "google-error-event", { stream: true });
    const events = parseEvents(sent.text);
    expect(contentOf(events)).toBe("Hi");
    expect(events.done).toBe(false);
    expect(events.error).toEqual({
      message: "The provider 'gemini' failed with HTTP 500: An internal error has occurred.",
      type: "upstream_error",
      param: null,
      code: "upstream_error",
    } as never);
    expect(sent.row).toMatchObject({ outcome: "error_after_first_byte", errorCode: "upstream_error" });
  });
});

test.each([
  ["raw-nano", "raw"],
  ["claude-haiku-4-5", "anthropic"],
  ["gemini-2.5-flash-lite", "gemini"],
])(
  "%s: a redirect is not followed (the key and prompt stay home): a 502 naming it",
  async (model, provider) => {
    const sent = await send(model, "redirect");
    expect(elsewhere).toEqual([]);
    expect(sent.response.status).toBe(502);
    expect(sent.response.headers.get("x-should-retry")).toBe("false");
    expect(JSON.parse(sent.text)).toEqual({
      error: {
        message: `The provider '${provider}' answered with a redirect (HTTP 307), which is not followed. Check its base URL.`,
        type: "upstream_error",
        param: null,
        code: "upstream_redirect",
      },
    });
    expect(sent.row).toMatchObject({ status: 502, errorCode: "upstream_redirect", outcome: "failed" });
  },
);

test("after every fault: nothing in flight, one log row per request, no key in any row, and the next request works", async () => {
  const next = await send("raw-nano", "none", { stream: true });
  expect(contentOf(parseEvents(next.text))).toBe("fine");
  await Bun.sleep(20);
  expect(h.server.gateway.inFlight()).toBe(0);
  h.server.store.log.flush();
  const rows = h.server.store.db
    .select()
    .from((await import("../../src/store/schema")).requests)
    .all();
  expect(rows).toHaveLength(calls);
  expect(JSON.stringify(rows)).not.toMatch(/sk-raw-secret|sk-ant-raw-secret|AIzaRawSecret/);
});
