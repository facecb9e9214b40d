// `spendex replay`: runs logged `auto` decisions again under another policy, before it goes live, and prices
// the difference with the tokens each request really used.

import { existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Catalog, costOf, roundUsd } from "../catalog";
import { loadSettings } from "../config";
import { createPolicyEngine, type PolicyInput } from "../policy";
import { openStore } from "../store";
import { printTable } from "./table";

export const USAGE = `usage: spendex replay --policy FILE|NAME [--days N] [--limit N] [--json]

Re-runs the logged auto decisions of the last N days (default 7) under the policy, with each decision's
logged input (time included), and compares models and costs with what really happened.`;

export interface ReplayRow {
  id: string;
  before: string;
  after: string;
  costBefore: number;
  costAfter: number;
  error?: string;
}

export async function runReplayCommand(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: "string" },
      days: { type: "string", default: "7" },
      limit: { type: "string", default: "100000" },
      json: { type: "boolean", default: false },
    },
  });
  if (!values.policy) {
    console.error(USAGE);
    return 2;
  }
  const days = Number(values.days);
  const limit = Number(values.limit);
  if (!(days > 0) || !Number.isInteger(limit) || limit < 1) {
    console.error(
      `spendex replay: --days must be a positive number and --limit a positive integer\n\n${USAGE}`,
    );
    return 2;
  }
  const settings = loadSettings(env);
  const file = resolvePolicyFile(values.policy, settings.routing.policyDir);
  if (!file) {
    console.error(
      `spendex: no policy file '${values.policy}' (looked for it as a path and in ${settings.routing.policyDir}/)`,
    );
    return 2;
  }
  const name = basename(file, ".js");
  const engine = await createPolicyEngine({ dir: dirname(file), only: [name] });
  if (!engine.revision(name)) {
    console.error(`spendex: ${file} does not compile: ${engine.compileError(name) ?? "unknown error"}`);
    return 1;
  }
  const store = openStore({ url: settings.databaseUrl });
  const catalog = new Catalog(settings.models, settings.embeddingModels);
  try {
    const since = Date.now() - days * 86_400_000;
    const logged = await store.log.read({ since, limit, withDecision: true });
    const rows: ReplayRow[] = [];
    for (const [index, row] of logged.entries()) {
      if (index > 0 && index % 5000 === 0) process.stderr.write(`replayed ${index}/${logged.length}\n`);
      const input = JSON.parse(row.decisionInput as string) as PolicyInput;
      const outcome = engine.decide(name, input);
      const tokens = { prompt: row.promptTokens, cached: row.cachedTokens, completion: row.completionTokens };
      const before = row.routedModel ?? "(failed)";
      if ("reject" in outcome.decision) {
        rows.push({
          id: row.id,
          before,
          after: `reject ${outcome.decision.reject.status}`,
          costBefore: row.costUsd,
          costAfter: 0,
        });
        continue;
      }
      const model = catalog.get(outcome.decision.model);
      rows.push({
        id: row.id,
        before,
        after: outcome.decision.model,
        costBefore: row.costUsd,
        costAfter: model ? costOf(model, tokens) : row.costUsd,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    }
    report(rows, name, engine.revision(name) ?? "", values.json === true);
    return 0;
  } finally {
    engine.close();
    await store.close();
  }
}

function resolvePolicyFile(reference: string, policyDir: string): string | undefined {
  for (const candidate of [reference, `${policyDir}/${reference}`, `${policyDir}/${reference}.js`]) {
    const path = resolve(candidate);
    if (existsSync(path) && path.endsWith(".js")) return path;
  }
  return undefined;
}

export function summarise(rows: readonly ReplayRow[]) {
  const costBefore = roundUsd(rows.reduce((sum, row) => sum + row.costBefore, 0));
  const costAfter = roundUsd(rows.reduce((sum, row) => sum + row.costAfter, 0));
  const transitions = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.before} → ${row.after}`;
    transitions.set(key, (transitions.get(key) ?? 0) + 1);
  }
  return {
    replayed: rows.length,
    changed: rows.filter((row) => row.before !== row.after).length,
    rejected: rows.filter((row) => row.after.startsWith("reject")).length,
    policy_errors: rows.filter((row) => row.error).length,
    cost_before_usd: costBefore,
    cost_after_usd: costAfter,
    change_pct: costBefore > 0 ? Math.round(((costAfter - costBefore) / costBefore) * 1000) / 10 : 0,
    transitions: [...transitions].sort((a, b) => b[1] - a[1]).map(([move, count]) => ({ move, count })),
  };
}

function report(rows: readonly ReplayRow[], name: string, revision: string, json: boolean): void {
  const summary = summarise(rows);
  if (json) {
    console.log(JSON.stringify({ policy: name, revision, ...summary }));
    return;
  }
  console.log(`Replay of ${rows.length} logged auto decisions under ${name}@${revision}\n`);
  const { transitions, ...totals } = summary;
  printTable([totals]);
  console.log("");
  printTable(transitions.slice(0, 20));
}
