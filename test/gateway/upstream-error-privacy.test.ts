// Upstream error messages can quote the prompt: the client may see them (its own prompt), the log and server log not.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { type Harness, logRow, startHarness } from "../support/harness";

const SECRET = "PURPLE-ELEPHANT-7731";
const PROMPT = `My account number is ${SECRET}, please summarise it`;
const QUOTE = `Your prompt '${PROMPT}' was flagged`;
/** A "code" that is free text quoting the prompt, as an arbitrary OpenAI-compatible endpoint might send. */
const FREE_CODE = `flagged: ${PROMPT}`;

const event = (type: string, body: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;

/** Anthropic: the answer starts (so the gateway commits), then an error event quoting the prompt. */
function erroringStream(): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    async start(controller) {
      const usage = { input_tokens: 5, output_tokens: 1 };
      controller.enqueue(
        encoder.encode(
          event("message_start", { message: { id: "msg_x", model: "claude-haiku-4-5", usage } }) +
            event("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Sure" } }),
        ),
      );
      await Bun.sleep(30);
      const error = { type: "invalid_request_error", message: QUOTE };
      controller.enqueue(encoder.encode(event("error", { error })));
      controller.close();
    },
  });
}

/** One hand-written upstream answering every request with an error in its provider's shape, quoting the prompt. */
function errorUpstream(): Server<undefined> {
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const stream = ((await request.json()) as { stream?: boolean }).stream === true;
      if (path.endsWith("/messages")) {
        if (stream) {
          return new Response(erroringStream(), { headers: { "content-type": "text/event-stream" } });
        }
        return Response.json(
          { type: "error", error: { type: "invalid_request_error", message: QUOTE } },
          { status: 400 },
        );
      }
      if (path.includes(":generateContent") || path.includes(":streamGenerateContent")) {
        return Response.json(
          { error: { code: 400, status: "INVALID_ARGUMENT", message: QUOTE } },
          { status: 400 },
        );
      }
      // OpenAI-compatible: a retryable 500 then (after retries) exhaustion, and a 400 with a free-text code.
      const status = request.headers.get("x-sim-status") === "500" ? 500 : 400;
      return Response.json(
        { error: { message: QUOTE, type: "invalid_request_error", code: FREE_CODE, param: null } },
        { status },
      );
    },
  });
}

let upstream: Server<undefined>;
let h: Harness;
const logged: string[] = [];
beforeAll(async () => {
  upstream = errorUpstream();
  const url = `http://127.0.0.1:${upstream.port}`;
  h = await startHarness({
    providers: [],
    config: {
      providers: [
        {
          name: "raw",
          baseUrl: `${url}/v1`,
          apiKeyEnv: "RAW_KEY",
          models: [{ name: "raw-nano", tier: "simple", prices: { input: 0.1, output: 0.1 } }],
        },
      ],
    },
    env: {
      RAW_KEY: "raw-key",
      ANTHROPIC_API_KEY: "anthropic-key",
      ANTHROPIC_BASE_URL: url,
      GEMINI_API_KEY: "gemini-key",
      GEMINI_BASE_URL: url,
    },
    build: { log: (line) => logged.push(line) },
  });
});
afterAll(async () => {
  await h.close();
  await upstream.stop(true);
});

async function ask(model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await h.call("/v1/chat/completions", {
    headers,
    json: { model, messages: [{ role: "user", content: PROMPT }], ...extra },
  });
  const text = await response.text();
  const row = logRow(h, response.headers.get("x-request-id"));
  return { response, text, row };
}

describe("upstream error messages that quote the prompt", () => {
  test.each([
    ["anthropic/claude-haiku-4-5", "invalid_request_error"],
    ["gemini/gemini-2.5-flash-lite", "INVALID_ARGUMENT"],
    ["raw/raw-nano", "upstream_invalid_request"],
  ])("%s 400: the client reads the upstream's words, the log keeps only the code %s", async (model, code) => {
    const { response, text, row } = await ask(model);
    expect(response.status).toBe(400);
    const error = (JSON.parse(text) as { error: { message: string; code: string } }).error;
    expect(error.message).toContain(QUOTE);
    expect(error.code).toBe(code);
    expect(row?.errorCode).toBe(code);
    expect(row?.capturedRequest).toBeNull();
    expect(JSON.stringify(row)).not.toContain(SECRET);
  });

  test("retryable 500s quoting the prompt, then failover: no prompt in the log's attempts", async () => {
    const { row } = await ask("raw/raw-nano", {}, { "x-sim-status": "500" });
    expect(JSON.parse(row?.attempts ?? "[]")).toContainEqual(
      expect.objectContaining({ model: "raw/raw-nano", status: 500, error: "upstream_error" }),
    );
    expect(JSON.stringify(row)).not.toContain(SECRET);
  });

  test("an in-stream error event after the first byte: the client's error event quotes it, the log does not", async () => {
    const { response, text, row } = await ask("anthropic/claude-haiku-4-5", { stream: true });
    expect(response.status).toBe(200);
    expect(text).toContain("Sure");
    expect(text).toContain(SECRET);
    expect(row?.outcome).toBe("error_after_first_byte");
    expect(row?.errorCode).toBe("invalid_request_error");
    expect(JSON.stringify(row)).not.toContain(SECRET);
  });

  test("nothing reached the server log", () => {
    expect(logged.filter((line) => line.includes(SECRET))).toEqual([]);
  });
});
