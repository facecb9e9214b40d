// Per-key token limits in Redis: the weighted take and the correction script, and one token bucket across two
// gateway instances (an answer on A is charged at its real size before B admits the next request).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { buildServer, type Server } from "../../src/app";
import { resolveSettings } from "../../src/config";
import { startSimulator } from "../../src/simulator";
import type { SimulatorHandle } from "../../src/simulator/types";
import { openSharedRateCounter } from "../../src/store";
import {
  createTestDatabase,
  dropRedisPrefix,
  postgresReachable,
  REDIS_URL,
  redisReachable,
  SKIP_POSTGRES,
  SKIP_REDIS,
  unique,
} from "./services";

const [pg, redis] = [await postgresReachable(), await redisReachable()];
const small = { model: "gpt-5-nano", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] };

describe.skipIf(!redis)(redis ? "shared token buckets" : `shared token buckets — ${SKIP_REDIS}`, () => {
  const prefix = `${unique("spendex_test")}:`;
  const counter = openSharedRateCounter(REDIS_URL, { prefix });
  const client = new Redis(REDIS_URL);
  afterAll(async () => {
    await counter.close();
    client.disconnect();
    await dropRedisPrefix(prefix);
  });

  test("take on the estimate, refuse with the deficit's wait, correct down and up (debt), apart from requests", async () => {
    // 1,000 tokens a minute: one token refills every 60 ms; these calls take a few ms, so the figures are exact.
    expect(await counter.takeTokens("tokens01", 1_000, 600)).toEqual({ allowed: true, remaining: 400 });
    const refused = await counter.takeTokens("tokens01", 1_000, 500);
    expect(refused.allowed).toBe(false);
    const wait = (refused as { retryAfterMs: number }).retryAfterMs;
    expect(wait).toBeGreaterThan(5_900); // 100 tokens short = 6 s, less the ms the calls took
    expect(wait).toBeLessThanOrEqual(6_000);
    await counter.adjustTokens("tokens01", 1_000, -300);
    expect(await counter.takeTokens("tokens01", 1_000, 500)).toEqual({ allowed: true, remaining: 200 });
    await counter.adjustTokens("tokens01", 1_000, 1_000); // used 1,000 more than estimated: 800 in debt
    const ttl = await client.pttl(`${prefix}ratelimit:tokens:tokens01`);
    expect(ttl).toBeGreaterThan(107_000); // 1,800 tokens to refill = 108 s
    expect(ttl).toBeLessThanOrEqual(108_000);
    const inDebt = await counter.takeTokens("tokens01", 1_000, 0);
    expect((inDebt as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(47_000); // 800 tokens = 48 s
    await counter.adjustTokens("tokens01", 1_000, -5_000); // given back past full: the entry is gone
    expect(await client.exists(`${prefix}ratelimit:tokens:tokens01`)).toBe(0);
    expect(await client.exists(`${prefix}ratelimit:key:tokens01`)).toBe(0);
  });

  test("40 concurrent takes of 100 at 1,000 a minute: exactly 10 admitted", async () => {
    const verdicts = await Promise.all(
      Array.from({ length: 40 }, () => counter.takeTokens("concur02", 1_000, 100)),
    );
    const remaining = verdicts.flatMap((verdict) => (verdict.allowed ? [verdict.remaining] : []));
    expect(remaining.sort((a, b) => a - b)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });
});

const skip = !pg ? SKIP_POSTGRES : !redis ? SKIP_REDIS : undefined;
describe.skipIf(skip !== undefined)(skip ? `two instances — ${skip}` : "two instances", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sim: SimulatorHandle;
  const servers: Server[] = [];
  const redisPrefix = `${unique("spendex_test")}:`;

  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startSimulator({ port: 0 });
    const settings = resolveSettings(
      { retry: { baseDelayMs: 1, maxDelayMs: 50 } },
      {
        DATABASE_URL: database.url,
        REDIS_URL,
        OPENAI_API_KEY: "test-openai-key",
        OPENAI_BASE_URL: `${sim.url}/v1`,
      },
    );
    for (let i = 0; i < 2; i++) servers.push(await buildServer(settings, { routing: false, redisPrefix }));
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await sim?.stop();
    await database?.drop();
    await dropRedisPrefix(redisPrefix);
  });

  test("one bucket over both: A's answer counts on B at its real size, and B's on A", async () => {
    const [a, b] = servers as [Server, Server];
    const issued = await a.store.keys.create({ name: unique("shared-tpm"), env: "live", tpmLimit: 100 });
    const call = (server: Server, body: unknown) =>
      server.app.handle(
        new Request("http://spendex.local/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${issued.key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    const before = sim.records().length;
    const first = await call(a, small); // estimated 5, used 7
    expect(first.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe("95");
    await first.text();
    const second = await call(b, small);
    expect(second.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe("88");
    await second.text();
    // 86 left on the shared bucket; 344 characters are estimated at 90 tokens.
    const big = { ...small, messages: [{ role: "user", content: "x".repeat(344) }] };
    const refused = await call(a, big);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "key_token_rate_limit_exceeded",
    );
    expect(refused.headers.get("x-spendex-ratelimit-remaining-tokens")).toBe("86");
    expect(refused.headers.get("retry-after")).toBe("3"); // 4 tokens at 600 ms
    expect(sim.records().length - before).toBe(2);
  });
});
