// Budgets: reservation under concurrency, 402 with the budget named, settlement, alerts once each, the CLI.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBudgetsCommand } from "../../src/cli/budgets";
import { type Harness, startHarness } from "../support/harness";

const alerts: Array<{ percent: number; name: string; scope: string }> = [];
const webhook = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    alerts.push((await request.json()) as { percent: number; name: string; scope: string });
    return new Response("ok");
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      alerts: { webhookUrl: `http://127.0.0.1:${webhook.port}/hook` },
      budgets: [{ scope: "team", name: "growth", period: "day", limitUsd: 1000 }],
    },
  });
});
afterAll(async () => {
  await h.close();
  webhook.stop(true);
});

const small = {
  model: "gpt-5-nano",
  max_tokens: 20,
  messages: [{ role: "user", content: "Hi there, how are you?" }],
};

describe("budgets", () => {
  test("50 concurrent requests never overrun a key's budget by more than one request", async () => {
    const issued = h.server.store.keys.create({ name: "capped", env: "live" });
    const limit = 0.00005;
    h.server.store.budgets.set({ scope: "key", name: "capped", period: "day", limitUsd: limit });
    await Bun.sleep(2_100); // the guard re-reads budget definitions every 2 s
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.call("/v1/chat/completions", { json: small, headers: { authorization: `Bearer ${issued.key}` } }),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    const rejected = responses.filter((r) => r.status === 402);
    expect(ok.length + rejected.length).toBe(50);
    expect(ok.length).toBeGreaterThan(0);
    expect(rejected.length).toBeGreaterThan(0);
    let spent = 0;
    let largest = 0;
    for (const response of ok) {
      const cost = ((await response.json()) as { spendex: { cost_usd: number } }).spendex.cost_usd;
      spent += cost;
      largest = Math.max(largest, cost);
    }
    expect(spent).toBeLessThanOrEqual(limit + largest);
    const error = (await rejected[0]?.json()) as { error: { type: string; code: string; message: string } };
    expect(error.error.type).toBe("billing_error");
    expect(error.error.code).toBe("budget_exceeded");
    expect(error.error.message).toContain("key 'capped'");
    expect(error.error.message).toContain("resets at");
    expect(rejected[0]?.headers.get("x-should-retry")).toBe("false");
    await h.server.budgets.flushSpend();
    const stored = h.server.store.budgets.spend(
      "key",
      "capped",
      Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()),
    );
    expect(stored.spentUsd).toBeCloseTo(spent, 12);
  });

  test("alerts at 50, 80 and 100% are posted once each", async () => {
    const issued = h.server.store.keys.create({ name: "alerted", env: "live" });
    // Each request costs the same; a limit of 2.5 requests crosses 50% on the 2nd, 80% and 100% on the 3rd.
    const probe = await h.call("/v1/chat/completions", { json: small });
    const cost = ((await probe.json()) as { spendex: { cost_usd: number } }).spendex.cost_usd;
    h.server.store.budgets.set({ scope: "key", name: "alerted", period: "month", limitUsd: cost * 2.5 });
    await Bun.sleep(2_100);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await h.call("/v1/chat/completions", {
        json: { ...small, max_tokens: 8 },
        headers: { authorization: `Bearer ${issued.key}` },
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    await h.server.alerts?.drain();
    const mine = alerts.filter((a) => a.name === "alerted").map((a) => a.percent);
    expect(mine.sort((a, b) => a - b)).toEqual([50, 80, 100]);
    expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(0);
  });

  test("config budgets are loaded, and the CLI lists limit, spent, reserved and remaining", async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      expect(
        await runBudgetsCommand(
          ["set", "--agent", "crawler", "--period", "day", "--limit-usd", "2.5"],
          h.server.store,
        ),
      ).toBe(0);
      expect(await runBudgetsCommand(["list", "--json"], h.server.store)).toBe(0);
    } finally {
      console.log = log;
    }
    const rows = JSON.parse(lines.at(-1) as string) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual(
      expect.objectContaining({ scope: "team", name: "growth", limit_usd: 1000, spent_usd: 0 }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        scope: "agent",
        name: "crawler",
        period: "day",
        limit_usd: 2.5,
        reserved_usd: 0,
        remaining_usd: 2.5,
      }),
    );
  });

  test("the CLI refuses a budget with no subject or a bad period", async () => {
    const error = console.error;
    console.error = () => {};
    try {
      expect(await runBudgetsCommand(["set", "--period", "day", "--limit-usd", "1"], h.server.store)).toBe(2);
      expect(
        await runBudgetsCommand(
          ["set", "--team", "x", "--period", "week", "--limit-usd", "1"],
          h.server.store,
        ),
      ).toBe(2);
    } finally {
      console.error = error;
    }
  });
});
