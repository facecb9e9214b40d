// Per-budget gauges on GET /metrics: only behind METRICS_TOKEN, the figures `budgets list` shows after real traffic,
// escaped names, a failed or slow store read left out (never a 500), and at most 1,000 budgets per scrape.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBudgetsCommand } from "../../src/cli/budgets";
import { periodEnd, periodStart } from "../../src/gateway/budget-terms";
import { BudgetGauges } from "../../src/gateway/metrics/budgets";
import { Exposition } from "../../src/gateway/metrics/exposition";
import type { BudgetRow, BudgetStore } from "../../src/store";
import { type Harness, startHarness } from "../support/harness";
import { parseExposition, type Scrape } from "../support/prometheus";

const TOKEN = "metrics-token-budgets-0a1b2c";
const AGENT = 'crawl"er\\one';
const BUDGETS = [
  { scope: "key", name: "test", period: "month", limitUsd: 5 },
  { scope: "agent", name: AGENT, period: "day", limitUsd: 2 },
  { scope: "team", name: "ops", period: "day", limitUsd: 3 },
] as const;

const ask = {
  model: "gpt-5",
  max_tokens: 50,
  messages: [{ role: "user", content: "Write a haiku on rain." }],
};

async function scrape(h: Harness, token?: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await h.server.app.handle(new Request("http://spendex.local/metrics", { headers }));
  return { status: response.status, text: await response.text() };
}

/** What `spendex budgets list --json` prints for the harness's store. */
async function budgetsList(h: Harness): Promise<Array<Record<string, number | string>>> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    expect(await runBudgetsCommand(["list", "--json"], h.server.store)).toBe(0);
  } finally {
    console.log = log;
  }
  return JSON.parse(lines.at(-1) as string);
}

const micro = (usd: number) => Math.round(usd * 1e6) / 1e6;

async function send(h: Harness, headers: Record<string, string> = {}): Promise<number> {
  const response = await h.call("/v1/chat/completions", { json: ask, headers });
  expect(response.status).toBe(200);
  return ((await response.json()) as { spendex: { cost_usd: number } }).spendex.cost_usd;
}

describe("with METRICS_TOKEN, after known spend", () => {
  let h: Harness;
  let m: Scrape;
  let text: string;
  const spent = { key: 0, agent: 0 };
  const reservedOps = 0.25;

  beforeAll(async () => {
    h = await startHarness({ env: { METRICS_TOKEN: TOKEN }, config: { budgets: [...BUDGETS] } });
    // Two requests on the key alone, one on the key and the agent; none on the team.
    spent.key += await send(h);
    spent.key += await send(h);
    const both = await send(h, { "x-spendex-agent": AGENT });
    spent.key += both;
    spent.agent += both;
    await h.server.budgets.flushSpend();
    await h.server.budgets.flushReserved();
    // Another instance's request in flight on the team's budget, as it writes it.
    h.server.store.budgets.setReserved("team", "ops", periodStart("day", Date.now()), reservedOps);
    const scraped = await scrape(h, TOKEN);
    expect(scraped.status).toBe(200);
    text = scraped.text;
    m = parseExposition(text);
  });
  afterAll(() => h.close());

  test("limit, spent and reserved per budget are exactly the expected figures", () => {
    expect(spent.agent).toBeGreaterThan(0);
    const key = { scope: "key", name: "test", period: "month" };
    const agent = { scope: "agent", name: AGENT, period: "day" };
    const team = { scope: "team", name: "ops", period: "day" };
    expect(m.value("spendex_budget_limit_usd", key)).toBe(5);
    expect(m.value("spendex_budget_limit_usd", agent)).toBe(2);
    expect(m.value("spendex_budget_limit_usd", team)).toBe(3);
    expect(m.value("spendex_budget_spent_usd", key)).toBe(micro(spent.key));
    expect(m.value("spendex_budget_spent_usd", agent)).toBe(micro(spent.agent));
    expect(m.value("spendex_budget_spent_usd", team)).toBe(0);
    expect(m.value("spendex_budget_reserved_usd", key)).toBe(0);
    expect(m.value("spendex_budget_reserved_usd", agent)).toBe(0);
    expect(m.value("spendex_budget_reserved_usd", team)).toBe(reservedOps);
    const now = Date.now();
    expect(m.value("spendex_budget_reset_timestamp_seconds", key)).toBe(periodEnd("month", now) / 1000);
    expect(m.value("spendex_budget_reset_timestamp_seconds", team)).toBe(periodEnd("day", now) / 1000);
    for (const name of [
      "spendex_budget_limit_usd",
      "spendex_budget_spent_usd",
      "spendex_budget_reserved_usd",
    ]) {
      expect(m.types.get(name)).toBe("gauge");
      expect(m.help.get(name)).toBeTruthy();
      expect(m.select(name).length).toBe(3);
    }
    expect(m.value("spendex_budget_omitted")).toBe(0);
    expect(m.value("spendex_budget_read_errors_total")).toBe(0);
  });

  test("a name with a double quote and a backslash is escaped, and reads back as itself", () => {
    expect(text).toContain('name="crawl\\"er\\\\one"');
    expect(m.select("spendex_budget_spent_usd", { name: AGENT }).length).toBe(1);
  });

  test("the figures are those `budgets list --json` reports for the same store", async () => {
    const rows = await budgetsList(h);
    expect(rows.length).toBe(3);
    for (const row of rows) {
      const labels = { scope: String(row.scope), name: String(row.name), period: String(row.period) };
      expect(m.value("spendex_budget_limit_usd", labels)).toBe(row.limit_usd as number);
      expect(m.value("spendex_budget_spent_usd", labels)).toBe(row.spent_usd as number);
      expect(m.value("spendex_budget_reserved_usd", labels)).toBe(row.reserved_usd as number);
      expect(m.value("spendex_budget_reset_timestamp_seconds", labels)).toBe(
        Date.parse(row.resets_at as string) / 1000,
      );
    }
    expect(rows.find((row) => row.name === AGENT)?.spent_usd).toBe(micro(spent.agent));
  });

  test("a store that fails the read: the scrape is still 200, budget series left out, the error counted", async () => {
    const budgets = h.server.store.budgets;
    const list = budgets.list;
    budgets.list = () => {
      throw new Error("database is locked");
    };
    try {
      const failed = await scrape(h, TOKEN);
      expect(failed.status).toBe(200);
      const f = parseExposition(failed.text);
      expect(f.select("spendex_budget_spent_usd")).toEqual([]);
      expect(f.select("spendex_budget_limit_usd")).toEqual([]);
      expect(f.value("spendex_budget_read_errors_total")).toBe(1);
      expect(f.types.get("spendex_requests_total")).toBe("counter");
    } finally {
      budgets.list = list;
    }
    const again = parseExposition((await scrape(h, TOKEN)).text);
    expect(again.select("spendex_budget_spent_usd").length).toBe(3);
    expect(again.value("spendex_budget_read_errors_total")).toBe(1);
  });
});

test("without METRICS_TOKEN no spendex_budget_ series appear, though budgets have spend", async () => {
  const h = await startHarness({ config: { budgets: [...BUDGETS] } });
  try {
    await send(h, { "x-spendex-agent": AGENT });
    await h.server.budgets.flushSpend();
    expect((await budgetsList(h)).find((row) => row.name === AGENT)?.spent_usd as number).toBeGreaterThan(0);
    const { status, text } = await scrape(h);
    expect(status).toBe(200);
    expect(text).not.toContain("spendex_budget_");
    expect(text).not.toContain("crawl");
    expect(parseExposition(text).types.get("spendex_requests_total")).toBe("counter");
  } finally {
    await h.close();
  }
});

/** A store of `count` budgets (`b0000`, `b0001`...) spending a cent each, listed in reverse order. */
function fakeStore(count: number, list?: () => Promise<BudgetRow[]>): BudgetStore & { spendReads: number } {
  const rows = Array.from(
    { length: count },
    (_, i): BudgetRow => ({
      scope: "team",
      name: `b${String(i).padStart(4, "0")}`,
      period: "month",
      limitUsd: 1,
    }),
  ).reverse();
  const store = {
    spendReads: 0,
    list: list ?? (async () => rows),
    spend: async () => {
      store.spendReads += 1;
      return { spentUsd: 0.01, reservedUsd: 0, alertsSent: 0 };
    },
    set: () => undefined,
    remove: () => false,
    addSpend: () => 0,
    setReserved: () => undefined,
    markAlerts: () => 0,
  };
  return store;
}

describe("bounded work", () => {
  test("1,001 budgets: the first 1,000 by scope and name are exposed, one is counted as omitted", async () => {
    const store = fakeStore(1_001);
    const out = new Exposition();
    await new BudgetGauges(store).write(out);
    const m = parseExposition(out.toString());
    const names = m.select("spendex_budget_spent_usd").map((s) => s.labels.name);
    expect(names.length).toBe(1_000);
    expect(names[0]).toBe("b0000");
    expect(names.at(-1)).toBe("b0999");
    expect(m.select("spendex_budget_spent_usd", { name: "b1000" })).toEqual([]);
    expect(m.value("spendex_budget_omitted")).toBe(1);
    expect(m.value("spendex_budget_spent_usd", { scope: "team", name: "b0042", period: "month" })).toBe(0.01);
    // The omitted budget's spend is not even read.
    expect(store.spendReads).toBe(1_000);
  });

  test("a read that outlasts the timeout is left out and counted; concurrent scrapes share one read", async () => {
    let lists = 0;
    const store = fakeStore(2, () => {
      lists += 1;
      return new Promise<BudgetRow[]>(() => undefined);
    });
    const gauges = new BudgetGauges(store, { timeoutMs: 20 });
    const outs = [new Exposition(), new Exposition()];
    await Promise.all(outs.map((out) => gauges.write(out)));
    expect(lists).toBe(1);
    const m = parseExposition((outs[1] as Exposition).toString());
    expect(m.select("spendex_budget_limit_usd")).toEqual([]);
    expect(m.value("spendex_budget_read_errors_total")).toBe(2);
  });
});
