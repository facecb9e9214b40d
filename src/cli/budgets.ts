// `spendex budgets`: spend limits per key, team or agent, per day or month, and where each stands.

import { parseArgs } from "node:util";
import { budgetStatuses } from "../gateway/budget-status";
import type { BudgetScope, Store } from "../store";
import { printTable } from "./table";

export const USAGE = `usage:
  spendex budgets set (--key NAME | --team NAME | --agent NAME) --period day|month --limit-usd X
  spendex budgets list [--json]
  spendex budgets remove (--key NAME | --team NAME | --agent NAME)`;

export async function runBudgetsCommand(argv: string[], store: Store, now = Date.now()): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      key: { type: "string" },
      team: { type: "string" },
      agent: { type: "string" },
      period: { type: "string" },
      "limit-usd": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (action === "list") {
    const { rows } = await budgetStatuses(store.budgets, now);
    if (values.json) console.log(JSON.stringify(rows));
    else printTable(rows);
    return 0;
  }
  const subjects = (["key", "team", "agent"] as const).filter((scope) => values[scope] !== undefined);
  if (subjects.length !== 1) return usage("name exactly one of --key, --team, --agent");
  const scope = subjects[0] as BudgetScope;
  const name = values[scope] as string;
  if (action === "set") {
    if (values.period !== "day" && values.period !== "month") return usage("--period must be day or month");
    const limit = Number(values["limit-usd"]);
    if (!Number.isFinite(limit) || limit < 0) return usage("--limit-usd must be a number ≥ 0");
    if (scope === "key" && !(await store.keys.byName(name))) return usage(`no key named '${name}'`);
    await store.budgets.set({ scope, name, period: values.period, limitUsd: limit });
    console.log(`Budget for ${scope} '${name}': $${limit} per ${values.period}.`);
    return 0;
  }
  if (action === "remove") {
    if (!(await store.budgets.remove(scope, name))) return usage(`no budget for ${scope} '${name}'`);
    console.log(`Removed the budget of ${scope} '${name}'.`);
    return 0;
  }
  return usage(action ? `unknown budgets action '${action}'` : "");
}

function usage(problem: string): number {
  if (problem) console.error(`spendex: ${problem}`);
  console.error(USAGE);
  return 2;
}
