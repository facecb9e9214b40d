// The Redis budget counter: all-or-none reservation, seeding from the database, settling; and failing closed.

import { afterAll, describe, expect, test } from "bun:test";
import { openSharedCounter, type SharedBudgetKey } from "../../src/store";
import { startHarness } from "../support/harness";
import { dropRedisPrefix, REDIS_URL, redisReachable, SKIP_REDIS, unique } from "./services";

const redis = await redisReachable();

describe.skipIf(!redis)(redis ? "shared budget counter" : `shared budget counter — ${SKIP_REDIS}`, () => {
  const prefix = `${unique("spendex_test")}:`;
  const counter = openSharedCounter(REDIS_URL, { prefix });
  afterAll(async () => {
    await counter.close();
    await dropRedisPrefix(prefix);
  });
  const budget = (name: string, limitUsd: number, seedSpentUsd = 0): SharedBudgetKey => ({
    scope: "key",
    name,
    periodStart: 0,
    limitUsd,
    seedSpentUsd,
    expiresAt: Date.now() + 60_000,
  });

  test("reserves on every budget or on none, and names the one that refused", async () => {
    const roomy = budget("roomy", 10);
    const tight = budget("tight", 1, 0.5);
    expect(await counter.reserve([roomy, tight], 0.4)).toEqual({ ok: true });
    expect(await counter.reserve([roomy, tight], 0.4)).toEqual({
      ok: false,
      index: 1,
      spentUsd: 0.5,
      reservedUsd: 0.4,
    });
    // The refused reservation left the roomy budget untouched.
    expect(await counter.read([roomy, tight])).toEqual([
      { spentUsd: 0, reservedUsd: 0.4 },
      { spentUsd: 0.5, reservedUsd: 0.4 },
    ]);
    await counter.settle([roomy, tight], 0.4, 0.1);
    const [after] = await counter.read([tight]);
    expect(after?.spentUsd).toBeCloseTo(0.6, 12);
    expect(after?.reservedUsd).toBe(0);
    expect(await counter.read([budget("never-used", 1)])).toEqual([undefined]);
  });

  test("concurrent reservations never take more than the limit", async () => {
    const key = budget(unique("burst"), 1);
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => counter.reserve([key], 0.1)));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(10);
  });
});

test("with Redis unreachable, a budgeted request fails closed with 503 and others go through", async () => {
  const lines: string[] = [];
  const h = await startHarness({
    env: { REDIS_URL: "redis://127.0.0.1:1" },
    build: { log: (line) => lines.push(line) },
  });
  try {
    const capped = h.server.store.keys.create({ name: "capped-no-redis", env: "live" });
    h.server.store.budgets.set({ scope: "key", name: "capped-no-redis", period: "day", limitUsd: 1 });
    const json = { model: "gpt-5-nano", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] };
    const refused = await h.call("/v1/chat/completions", {
      json,
      headers: { authorization: `Bearer ${capped.key}` },
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("budget_unavailable");
    expect((await h.call("/v1/chat/completions", { json })).status).toBe(200);
    // Reconnect failures are reported, but not once per attempt.
    expect(lines.filter((line) => line.includes("ECONNREFUSED")).length).toBe(1);
  } finally {
    await h.close();
  }
});
