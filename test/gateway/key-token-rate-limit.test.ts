// A key's own tokens-per-minute limit through app.handle, on a frozen clock so the bucket's figures are exact:
// admitted on the prompt estimate, corrected by the real usage (streams at their end), then 429, logged, no upstream.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, logRow, startHarness } from "../support/harness";

const time = { now: 1_000_000 };
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ build: { rateClock: () => time.now } });
});
afterAll(async () => {
  await h.close();
});

// "Hi": ceil(2 / 4) + 4 per message = 5 estimated prompt tokens (gateway/parse.ts).
const small = { model: "gpt-5-nano", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] };
const withChars = (chars: number) => ({ ...small, messages: [{ role: "user", content: "x".repeat(chars) }] });
const post = (path: string, key: string, json: unknown) =>
  h.call(path, { json, method: "POST", headers: { authorization: `Bearer ${key}` } });
const chat = (key: string, json: unknown = small) => post("/v1/chat/completions", key, json);
const upstreamCalls = () => h.sim.records().length;
const used = (id: string | null) => {
  const row = logRow(h, id);
  return (row?.promptTokens ?? 0) + (row?.completionTokens ?? 0);
};

describe("per-key token rate limit", () => {
  test("admitted on the estimate, corrected by the usage, then 429 with the wait for the deficit", async () => {
    const issued = h.server.store.keys.create({ name: "tpm-limited", env: "live", tpmLimit: 100 });
    const before = upstreamCalls();
    const first = await chat(issued.key);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-spendex-ratelimit-limit-tokens")).toBe("100");
    expect(first.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe("95");
    expect(first.headers.get("x-spendex-ratelimit-limit-requests")).toBeNull(); // no --rpm on this key
    const usage = ((await first.json()) as { usage: { prompt_tokens: number; completion_tokens: number } })
      .usage;
    const spent = usage.prompt_tokens + usage.completion_tokens;
    expect(used(first.headers.get("x-request-id"))).toBe(spent);
    expect(spent).toBe(7); // the simulator's usage: the correction is 2 tokens upwards

    // The first answer's real size replaced its estimate: 100 − spent − 5 left after the second.
    const second = await chat(issued.key);
    expect(second.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe(String(100 - spent - 5));
    await second.text();
    const left = 100 - 2 * spent;
    expect(left).toBe(86);

    // A request estimated at 90 tokens (344 characters / 4 + 4) does not fit: 4 short, at 600 ms a token = 2.4 s.
    const refused = await chat(issued.key, withChars(344));
    expect(refused.status).toBe(429);
    const text = await refused.text();
    const seconds = 3;
    expect(JSON.parse(text)).toEqual({
      error: {
        message: `Token rate limit exceeded: this API key allows 100 tokens per minute and this request needs about 90 prompt tokens. Retry after ${seconds} s.`,
        type: "rate_limit_error",
        param: null,
        code: "key_token_rate_limit_exceeded",
      },
    });
    expect(text).not.toContain(issued.record.id);
    expect(refused.headers.get("retry-after")).toBe(String(seconds));
    expect(refused.headers.get("x-should-retry")).toBe("true");
    expect(refused.headers.get("x-spendex-ratelimit-limit-tokens")).toBe("100");
    expect(refused.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe(String(left));
    expect(upstreamCalls()).toBe(before + 2);
    expect(logRow(h, refused.headers.get("x-request-id"))).toMatchObject({
      status: 429,
      errorCode: "key_token_rate_limit_exceeded",
      outcome: "failed",
      keyName: "tpm-limited",
      requestedModel: "gpt-5-nano",
      costUsd: 0,
      attempts: "[]",
    });

    // Larger than the whole minute: refused outright, whatever the bucket holds.
    const oversized = await chat(issued.key, withChars(400)); // 104 estimated
    expect(oversized.status).toBe(400);
    expect(((await oversized.json()) as { error: { code: string } }).error.code).toBe(
      "request_exceeds_key_token_limit",
    );
    expect(oversized.headers.get("x-should-retry")).toBe("false");
    expect(upstreamCalls()).toBe(before + 2);

    // Once the deficit has refilled, the same request is admitted.
    time.now += seconds * 1000;
    const later = await chat(issued.key, withChars(344));
    expect(later.status).toBe(200);
    await later.text();
    expect(upstreamCalls()).toBe(before + 3);
    time.now += 60_000;
  });

  test("a stream is admitted on its estimate and corrected when it ends", async () => {
    const issued = h.server.store.keys.create({ name: "tpm-streamer", env: "live", tpmLimit: 1_000 });
    const stream = await chat(issued.key, { ...small, stream: true });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe("995");
    // While the stream is open its estimate stands; a request answered meanwhile is corrected to its 7 tokens.
    const meanwhile = await chat(issued.key);
    expect(meanwhile.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe("990");
    await meanwhile.text();
    await stream.text(); // the end of the stream records it, and corrects the bucket
    const spent = used(stream.headers.get("x-request-id"));
    expect(spent).toBeGreaterThan(5);
    const next = await chat(issued.key);
    expect(next.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe(String(1_000 - 7 - spent - 5));
    await next.text();
    time.now += 60_000;
  });

  test("embeddings count their input tokens; a key without a token limit gets no token headers", async () => {
    const issued = h.server.store.keys.create({ name: "tpm-embedder", env: "live", tpmLimit: 50 });
    const input = "y".repeat(160); // 40 estimated tokens
    const before = upstreamCalls();
    const first = await post("/v1/embeddings", issued.key, { model: "text-embedding-3-small", input });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe("10");
    const prompt = ((await first.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    expect(prompt).toBeGreaterThan(10);
    const refused = await post("/v1/embeddings", issued.key, { model: "text-embedding-3-small", input });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe(String(50 - prompt));
    expect(upstreamCalls()).toBe(before + 1);
    const unlimited = await chat(h.key);
    expect(unlimited.status).toBe(200);
    expect(unlimited.headers.get("x-spendex-ratelimit-limit-tokens")).toBeNull();
    expect(unlimited.headers.get("x-spendex-ratelimit-remaining-tokens")).toBeNull();
  });
});
