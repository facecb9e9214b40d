// `spendex replay`: logged decision inputs run again under another policy, with costs re-priced.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runReplayCommand, summarise } from "../../src/cli/replay";
import { sampleInput } from "../../src/policy";
import { openStore } from "../../src/store";

const dir = mkdtempSync(join(tmpdir(), "spendex-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function row(id: string, tier: "simple" | "complex", routed: string, cost: number) {
  const input = sampleInput();
  input.classification.tier = tier;
  input.classification.confidence = 0.95;
  return {
    id,
    time: Date.now() - 1000,
    status: 200,
    stream: false,
    outcome: "complete",
    requestedModel: "auto",
    routedModel: routed,
    promptTokens: 1000,
    cachedTokens: 0,
    completionTokens: 500,
    costUsd: cost,
    savedUsd: 0,
    totalMs: 10,
    stages: "{}",
    attempts: "[]",
    decisionInput: JSON.stringify(input),
  };
}

test("replay under quality-first moves simple traffic up and prices it with the logged tokens", async () => {
  const url = `sqlite:${join(dir, "log.db")}`;
  const store = openStore({ url });
  const nanoCost = (1000 * 0.05 + 500 * 0.4) / 1e6;
  store.log.record(row("a", "simple", "openai/gpt-5-nano", nanoCost));
  store.log.record(row("b", "simple", "openai/gpt-5-nano", nanoCost));
  await store.close();

  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  let code: number;
  try {
    code = await runReplayCommand(["--policy", "policies/quality-first.js", "--json"], { DATABASE_URL: url });
  } finally {
    console.log = log;
  }
  expect(code).toBe(0);
  const result = JSON.parse(lines.at(-1) as string) as ReturnType<typeof summarise> & { policy: string };
  expect(result.policy).toBe("quality-first");
  expect(result.replayed).toBe(2);
  expect(result.changed).toBe(2);
  expect(result.cost_before_usd).toBeCloseTo(2 * nanoCost, 12);
  expect(result.cost_after_usd).toBeGreaterThan(result.cost_before_usd);
  expect(result.transitions[0]?.count).toBe(2);
});

test("summarise counts changes, rejections and cost change", () => {
  const summary = summarise([
    { id: "1", before: "openai/gpt-5", after: "openai/gpt-5-mini", costBefore: 1, costAfter: 0.2 },
    { id: "2", before: "openai/gpt-5", after: "openai/gpt-5", costBefore: 1, costAfter: 1 },
    { id: "3", before: "openai/gpt-5", after: "reject 402", costBefore: 1, costAfter: 0 },
  ]);
  expect(summary).toMatchObject({
    replayed: 3,
    changed: 2,
    rejected: 1,
    cost_before_usd: 3,
    cost_after_usd: 1.2,
    change_pct: -60,
  });
});
