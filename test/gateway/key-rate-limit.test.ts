// A key's own requests-per-minute limit through app.handle: N answered, then 429 before any upstream call, logged.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, logRow, startHarness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const small = { model: "gpt-5-nano", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] };
const chat = (key: string, init: { json?: unknown; body?: string } = { json: small }) =>
  h.call("/v1/chat/completions", { ...init, method: "POST", headers: { authorization: `Bearer ${key}` } });
const upstreamCalls = () => h.sim.records().length;

describe("per-key rate limit", () => {
  test("3 a minute: three answers with the key's figures beside the upstream's, then 429 and no upstream call", async () => {
    const issued = h.server.store.keys.create({ name: "limited", env: "live", rpmLimit: 3 });
    const before = upstreamCalls();
    const answered = [await chat(issued.key), await chat(issued.key), await chat(issued.key)];
    expect(answered.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(
      answered.map((response) => response.headers.get("x-spendex-ratelimit-remaining-requests")),
    ).toEqual(["2", "1", "0"]);
    expect(answered[0]?.headers.get("x-spendex-ratelimit-limit-requests")).toBe("3");
    // The upstream's own rate-limit headers still go through untouched (decision 0001 item 17).
    expect(answered[0]?.headers.get("x-ratelimit-limit-requests")).toBe("10000");
    expect(upstreamCalls()).toBe(before + 3);

    const refused = await chat(issued.key);
    expect(refused.status).toBe(429);
    const text = await refused.text();
    expect(JSON.parse(text)).toEqual({
      error: {
        message: "Rate limit exceeded: this API key allows 3 requests per minute. Retry after 20 s.",
        type: "rate_limit_error",
        param: null,
        code: "key_rate_limit_exceeded",
      },
    });
    expect(text).not.toContain(issued.key);
    expect(text).not.toContain(issued.key.slice(12, 20)); // not even the public id
    expect(refused.headers.get("retry-after")).toBe("20");
    expect(refused.headers.get("x-should-retry")).toBe("true");
    expect(refused.headers.get("x-spendex-ratelimit-limit-requests")).toBe("3");
    expect(refused.headers.get("x-spendex-ratelimit-remaining-requests")).toBe("0");
    expect(refused.headers.get("x-ratelimit-limit-requests")).toBeNull();
    expect(upstreamCalls()).toBe(before + 3);

    const row = logRow(h, refused.headers.get("x-request-id"));
    expect(row).toMatchObject({
      status: 429,
      errorCode: "key_rate_limit_exceeded",
      outcome: "failed",
      keyName: "limited",
      keyId: issued.record.id,
      requestedModel: null,
      costUsd: 0,
      attempts: "[]",
    });
  });

  test("the refusal comes before the body is read: a malformed body still gets 429, not 400", async () => {
    const issued = h.server.store.keys.create({ name: "one-a-minute", env: "live", rpmLimit: 1 });
    expect((await chat(issued.key)).status).toBe(200);
    const refused = await chat(issued.key, { body: "{not json" });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "key_rate_limit_exceeded",
    );
    expect(refused.headers.get("retry-after")).toBe("60");
  });

  test("a stream carries the key's figures too; a key without a limit gets none", async () => {
    const issued = h.server.store.keys.create({ name: "streamer", env: "live", rpmLimit: 5 });
    const stream = await chat(issued.key, { json: { ...small, stream: true } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("x-spendex-ratelimit-remaining-requests")).toBe("4");
    await stream.text();
    const unlimited = await chat(h.key);
    expect(unlimited.status).toBe(200);
    expect(unlimited.headers.get("x-spendex-ratelimit-limit-requests")).toBeNull();
    expect(unlimited.headers.get("x-ratelimit-limit-requests")).toBe("10000");
  });

  test("a limit set, changed or removed in the store takes effect within the key cache's 2 s", async () => {
    const issued = h.server.store.keys.create({ name: "changing", env: "live" });
    for (let i = 0; i < 5; i++) expect((await chat(issued.key)).status).toBe(200);
    expect(h.server.store.keys.setRpmLimit("changing", 1)).toBe(true);
    await Bun.sleep(2_100);
    expect((await chat(issued.key)).status).toBe(200);
    expect((await chat(issued.key)).status).toBe(429);
    expect(h.server.store.keys.setRpmLimit("changing", null)).toBe(true);
    expect((await chat(issued.key)).status).toBe(429); // the cached record still has the limit
    await Bun.sleep(2_100);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await chat(issued.key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(h.server.store.keys.setRpmLimit("no-such-key", 5)).toBe(false);
  });
});
