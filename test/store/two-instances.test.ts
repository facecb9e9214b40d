// Two gateway instances on one PostgreSQL database and one Redis: a budget holds across both, keys and spend are shared.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildServer, type Server } from "../../src/app";
import { resolveSettings } from "../../src/config";
import { periodStart } from "../../src/gateway";
import { startSimulator } from "../../src/simulator";
import type { SimulatorHandle } from "../../src/simulator/types";
import {
  createTestDatabase,
  dropRedisPrefix,
  postgresReachable,
  redisReachable,
  SKIP_POSTGRES,
  SKIP_REDIS,
  unique,
} from "./services";

const [pg, redis] = [await postgresReachable(), await redisReachable()];
const skip = !pg ? SKIP_POSTGRES : !redis ? SKIP_REDIS : undefined;

// max_tokens is what the simulator answers with, so a reservation is close to the real cost and one instance
// alone would admit about as many requests as the limit pays for: two unsynchronised instances would admit twice.
const small = {
  model: "gpt-5-nano",
  max_tokens: 8,
  messages: [{ role: "user", content: "Hi there, how are you?" }],
};

describe.skipIf(skip !== undefined)(skip ? `two instances — ${skip}` : "two instances", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sim: SimulatorHandle;
  const servers: Server[] = [];
  let redisPrefix = "";

  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startSimulator({ port: 0 });
    const settings = resolveSettings(
      { retry: { baseDelayMs: 1, maxDelayMs: 50 } },
      {
        DATABASE_URL: database.url,
        REDIS_URL: "redis://127.0.0.1:6379",
        OPENAI_API_KEY: "test-openai-key",
        OPENAI_BASE_URL: `${sim.url}/v1`,
      },
    );
    // One prefix per run keeps these counters apart from any other run sharing the Redis.
    redisPrefix = `${unique("spendex_test")}:`;
    for (let i = 0; i < 2; i++) servers.push(await buildServer(settings, { routing: false, redisPrefix }));
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await sim?.stop();
    await database?.drop();
    if (redisPrefix) await dropRedisPrefix(redisPrefix);
  });

  const call = (server: Server, key: string) =>
    server.app.handle(
      new Request("http://spendex.local/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(small),
      }),
    );

  test("a key created on one instance works on the other, and its revocation reaches it within 2 s", async () => {
    const [a, b] = servers as [Server, Server];
    const issued = await a.store.keys.create({ name: unique("shared"), env: "live" });
    const first = await Promise.all(Array.from({ length: 10 }, () => call(b, issued.key)));
    expect(first.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(await a.store.keys.revoke(issued.record.name)).toBe(true);
    await Bun.sleep(2_100); // the key cache's lifetime
    expect((await call(b, issued.key)).status).toBe(401);
    const ready = (await (await b.app.handle(new Request("http://spendex.local/ready"))).json()) as {
      store: string;
    };
    expect(ready.store).toBe("ok");
  });

  test("50 concurrent requests over both instances overrun the budget by at most one request", async () => {
    const [a, b] = servers as [Server, Server];
    const name = unique("capped");
    const issued = await a.store.keys.create({ name, env: "live" });
    const limit = 0.00007; // about 20 requests
    // Set before either instance has read budgets for this key: both load it on their first request.
    await b.store.budgets.set({ scope: "key", name, period: "day", limitUsd: limit });
    await Bun.sleep(2_100); // the guards re-read budget definitions every 2 s
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(i % 2 === 0 ? a : b, issued.key)),
    );
    const ok = responses.filter((response) => response.status === 200);
    const rejected = responses.filter((response) => response.status === 402);
    expect(ok.length + rejected.length).toBe(50);
    expect(rejected.length).toBeGreaterThan(0);
    let spent = 0;
    let largest = 0;
    for (const response of ok) {
      const cost = ((await response.json()) as { spendex: { cost_usd: number } }).spendex.cost_usd;
      spent += cost;
      largest = Math.max(largest, cost);
    }
    expect(ok.length).toBeGreaterThan(1);
    expect(spent).toBeLessThanOrEqual(limit + largest);
    await Promise.all(servers.map((server) => server.budgets.close()));
    const stored = await a.store.budgets.spend("key", name, periodStart("day", Date.now()));
    expect(stored.spentUsd).toBeCloseTo(spent, 12);
    // Both instances log into the one table: every request of this key is there, whichever instance served it.
    await Promise.all(servers.map((server) => server.store.log.flush()));
    const logged = (await b.store.log.read({ since: Date.now() - 60_000 })).filter(
      (row) => row.keyName === name,
    );
    expect(logged.map((row) => row.status).sort()).toEqual(
      responses.map((response) => response.status).sort(),
    );
  });
});
