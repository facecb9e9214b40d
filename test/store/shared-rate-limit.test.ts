// Per-key rate limits in Redis: the shared bucket script, one limit across two gateway instances, and Redis down.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { buildServer, type Server } from "../../src/app";
import { resolveSettings } from "../../src/config";
import { startSimulator } from "../../src/simulator";
import type { SimulatorHandle } from "../../src/simulator/types";
import { openSharedRateCounter } from "../../src/store";
import { startHarness } from "../support/harness";
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

describe.skipIf(!redis)(redis ? "shared rate counter" : `shared rate counter — ${SKIP_REDIS}`, () => {
  const prefix = `${unique("spendex_test")}:`;
  const counter = openSharedRateCounter(REDIS_URL, { prefix });
  afterAll(async () => {
    await counter.close();
    await dropRedisPrefix(prefix);
  });

  test("a burst of N, then a wait of one interval; the entry expires when the bucket is full again", async () => {
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await counter.take("burst001", 3));
    expect(verdicts.slice(0, 3)).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
    ]);
    const refused = verdicts[3] as { allowed: false; retryAfterMs: number };
    expect(refused.allowed).toBe(false);
    // One interval (20 s) less the few ms the four calls took.
    expect(refused.retryAfterMs).toBeGreaterThan(19_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(20_000);
    const client = new Redis(REDIS_URL);
    try {
      const ttl = await client.pttl(`${prefix}ratelimit:key:burst001`);
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      client.disconnect();
    }
  });

  test("40 concurrent takes at 10 a minute: exactly 10 admitted", async () => {
    const verdicts = await Promise.all(Array.from({ length: 40 }, () => counter.take("concur01", 10)));
    expect(verdicts.filter((verdict) => verdict.allowed)).toHaveLength(10);
    const remaining = verdicts.flatMap((verdict) => (verdict.allowed ? [verdict.remaining] : []));
    expect(remaining.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
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

  test("30 concurrent requests over both instances at 10 a minute: 10 answered, 20 refused, 10 upstream calls", async () => {
    const [a, b] = servers as [Server, Server];
    const issued = await a.store.keys.create({ name: unique("shared-rpm"), env: "live", rpmLimit: 10 });
    const before = sim.records().length;
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? a : b).app.handle(
          new Request("http://spendex.local/v1/chat/completions", {
            method: "POST",
            headers: { authorization: `Bearer ${issued.key}`, "content-type": "application/json" },
            body: JSON.stringify(small),
          }),
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
    expect(sim.records().length - before).toBe(10);
    const refused = responses.find((response) => response.status === 429);
    expect(refused?.headers.get("x-should-retry")).toBe("true");
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers.get("retry-after"))).toBeLessThanOrEqual(6);
  });

  test("what one instance admitted counts on the other: 2 on A and 2 on B use a limit of 4", async () => {
    const [a, b] = servers as [Server, Server];
    const issued = await a.store.keys.create({ name: unique("split-rpm"), env: "live", rpmLimit: 4 });
    const call = (server: Server) =>
      server.app.handle(
        new Request("http://spendex.local/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${issued.key}`, "content-type": "application/json" },
          body: JSON.stringify(small),
        }),
      );
    const order = [a, a, b, b, b, a];
    const answers = [];
    for (const server of order) answers.push(await call(server));
    expect(answers.map((response) => response.status)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(
      answers.slice(0, 4).map((response) => response.headers.get("x-spendex-ratelimit-remaining-requests")),
    ).toEqual(["3", "2", "1", "0"]);
  });
});

test("with Redis unreachable, limits fall back to each instance's own buckets (fail open to local), reported once", async () => {
  const lines: string[] = [];
  const h = await startHarness({
    env: { REDIS_URL: "redis://127.0.0.1:1" },
    build: { log: (line) => lines.push(line) },
  });
  try {
    const limited = h.server.store.keys.create({ name: "limited-no-redis", env: "live", rpmLimit: 2 });
    const call = () =>
      h.call("/v1/chat/completions", { json: small, headers: { authorization: `Bearer ${limited.key}` } });
    const statuses = [(await call()).status, (await call()).status];
    const refused = await call();
    expect([...statuses, refused.status]).toEqual([200, 200, 429]);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "key_rate_limit_exceeded",
    );
    expect(refused.headers.get("retry-after")).toBe("30");
    expect((await h.call("/v1/chat/completions", { json: small })).status).toBe(200); // an unlimited key
    expect(lines.filter((line) => line.startsWith("rate limits: Redis unavailable")).length).toBe(1);
  } finally {
    await h.close();
  }
});
