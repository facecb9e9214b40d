// The shared transport (timeouts, abort, cut streams) against a tiny local upstream, independent of the simulator.

import { afterAll, describe, expect, test } from "bun:test";
import { ProviderError } from "../../../src/errors";
import { createAdapter } from "../../../src/providers";
import { sweeperArmed, watchedCalls } from "../../../src/providers/core/upstream";
import { callOptions, drain } from "../helpers";

const encoder = new TextEncoder();
const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
let upstreamAborts = 0;
const seen: Array<{ authorization: string | null; body: Record<string, unknown> }> = [];

const server = Bun.serve({
  port: 0,
  idleTimeout: 30,
  async fetch(request) {
    const body = (await request.json()) as Record<string, unknown>;
    seen.push({ authorization: request.headers.get("authorization"), body });
    request.signal.addEventListener("abort", () => upstreamAborts++);
    const mode = request.headers.get("x-test-mode");
    if (mode === "slow-headers") await Bun.sleep(300);
    if (mode === "json") {
      return Response.json({
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      });
    }
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(chunk("a")));
        if (mode === "cut") return controller.close();
        if (mode === "stall" || mode === "endless") {
          for (let i = 0; i < 200 && !request.signal.aborted; i++) {
            await Bun.sleep(mode === "stall" ? 1000 : 20);
            if (request.signal.aborted) break;
            try {
              controller.enqueue(encoder.encode(chunk("b")));
            } catch {
              return;
            }
          }
          return;
        }
        controller.enqueue(encoder.encode(`${chunk("b")}data: [DONE]\n\n`));
        controller.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  },
});
afterAll(() => server.stop(true));

const adapter = createAdapter({
  name: "local",
  kind: "openai-compatible",
  baseUrl: `${server.url.origin}/v1/`,
  apiKey: "sk-local-test-key",
});
const messages = [{ role: "user" as const, content: "hi" }];
const withMode = (mode: string) => ({ "x-test-mode": mode });

describe("openai-compatible transport", () => {
  test("complete: bearer auth, upstream model, usage", async () => {
    const result = await adapter.complete(callOptions({ messages }, { passHeaders: withMode("json") }));
    expect(result.tokens).toEqual({ prompt: 3, cached: 0, completion: 1 });
    expect(seen.at(-1)?.authorization).toBe("Bearer sk-local-test-key");
    expect(seen.at(-1)?.body.model).toBe("upstream-model");
  });

  test("stream ends cleanly at [DONE]", async () => {
    const result = await adapter.stream(
      callOptions({ messages, stream: true }, { passHeaders: withMode("ok") }),
    );
    const chunks = await drain(result.chunks);
    expect(chunks.map((c) => c.choices[0]?.delta.content)).toEqual(["a", "b"]);
  });

  test("a cut stream errors with a retryable stream_interrupted", async () => {
    const result = await adapter.stream(
      callOptions({ messages, stream: true }, { passHeaders: withMode("cut") }),
    );
    const error = await drain(result.chunks).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "stream_interrupted", retryable: true, upstreamStatus: 0 });
  });

  test("first-byte timeout -> retryable upstream_timeout", async () => {
    const options = callOptions(
      { messages },
      { passHeaders: withMode("slow-headers"), timeouts: { firstByteMs: 50 } },
    );
    const error = await adapter.complete(options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "upstream_timeout", retryable: true, upstreamStatus: 0 });
  });

  test("idle timeout mid-stream -> retryable upstream_timeout, upstream aborted", async () => {
    const before = upstreamAborts;
    const options = callOptions(
      { messages, stream: true },
      { passHeaders: withMode("stall"), timeouts: { idleMs: 80 } },
    );
    const result = await adapter.stream(options);
    const error = await drain(result.chunks).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "upstream_timeout", retryable: true });
    await Bun.sleep(30);
    expect(upstreamAborts).toBeGreaterThan(before);
  });

  test("client abort mid-stream cancels the upstream and rejects with the client's reason", async () => {
    const before = upstreamAborts;
    const client = new AbortController();
    const options = callOptions(
      { messages, stream: true },
      { passHeaders: withMode("endless"), signal: client.signal },
    );
    const result = await adapter.stream(options);
    const reader = result.chunks.getReader();
    await reader.read();
    client.abort(new Error("client went away"));
    const error = await reader.read().catch((e: unknown) => e);
    expect((error as Error).message).toBe("client went away");
    await Bun.sleep(30);
    expect(upstreamAborts).toBeGreaterThan(before);
  });

  test("cancelling the stream aborts the upstream", async () => {
    const before = upstreamAborts;
    const result = await adapter.stream(
      callOptions({ messages, stream: true }, { passHeaders: withMode("endless") }),
    );
    const reader = result.chunks.getReader();
    await reader.read();
    await reader.cancel();
    await Bun.sleep(30);
    expect(upstreamAborts).toBeGreaterThan(before);
  });

  test("unreachable upstream -> retryable upstream_unreachable", async () => {
    const dead = createAdapter({
      name: "dead",
      kind: "openai",
      baseUrl: "http://127.0.0.1:1/v1",
      apiKey: "k",
    });
    const error = await dead.complete(callOptions({ messages })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "upstream_unreachable", retryable: true, upstreamStatus: 0 });
  });

  test("every finished, failed or aborted call stops being watched by the deadline sweeper", async () => {
    await adapter.complete(callOptions({ messages }, { passHeaders: withMode("json") }));
    await adapter
      .complete(
        callOptions({ messages }, { passHeaders: withMode("slow-headers"), timeouts: { firstByteMs: 30 } }),
      )
      .catch(() => undefined);
    const result = await adapter.stream(
      callOptions({ messages, stream: true }, { passHeaders: withMode("cut") }),
    );
    await drain(result.chunks).catch(() => undefined);
    const client = new AbortController();
    const endless = await adapter.stream(
      callOptions({ messages, stream: true }, { passHeaders: withMode("endless"), signal: client.signal }),
    );
    const reader = endless.chunks.getReader();
    await reader.read();
    expect(watchedCalls()).toBe(1);
    client.abort(new Error("gone"));
    await reader.read().catch(() => undefined);
    expect(watchedCalls()).toBe(0);
  });

  test("the sweeper stays armed between back-to-back calls, stops within two ticks of the last, and re-arms", async () => {
    await adapter.complete(callOptions({ messages }, { passHeaders: withMode("json") }));
    expect(watchedCalls()).toBe(0);
    // Not cleared when the last call ends: at concurrency 1 every request would arm and clear an interval.
    expect(sweeperArmed()).toBe(true);
    await Bun.sleep(35);
    expect(sweeperArmed()).toBe(false);
    // A call after the stop is still bound by its deadlines.
    const error = await adapter
      .complete(
        callOptions({ messages }, { passHeaders: withMode("slow-headers"), timeouts: { firstByteMs: 30 } }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "upstream_timeout" });
  });
});
