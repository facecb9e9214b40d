// Where each budget stands this period, read from the store: what `spendex budgets list` prints and what `/metrics`
// exposes (behind METRICS_TOKEN). Spend is every instance's settled spend as written (about every 100 ms);
// reservations are as last written (about every second).

import type { BudgetPeriod, BudgetRow, BudgetScope, BudgetStore } from "../store";
import { periodEnd, periodStart } from "./budget-terms";

/** A type, not an interface: the CLI prints it as a plain record. */
export type BudgetStatus = {
  scope: BudgetScope;
  name: string;
  period: BudgetPeriod;
  limit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  resets_at: string;
};

/** Budgets read between two turns of the event loop: a synchronous store (SQLite) never holds it for long. */
const BATCH = 100;

/** A stable order, independent of the store: scope, then name (by code unit, not locale). */
export function byScopeAndName(a: BudgetRow, b: BudgetRow): number {
  if (a.scope !== b.scope) return a.scope < b.scope ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Every budget (or the first `limit` in scope, name order) with this period's limit, spend, reservations, what
 * remains and when it resets; `total` counts them all.
 */
export async function budgetStatuses(
  repository: BudgetStore,
  now: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<{ rows: BudgetStatus[]; total: number }> {
  const all = [...(await repository.list())].sort(byScopeAndName);
  const rows: BudgetStatus[] = [];
  for (const budget of all.slice(0, limit)) {
    if (rows.length > 0 && rows.length % BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    const spend = await repository.spend(budget.scope, budget.name, periodStart(budget.period, now));
    rows.push({
      scope: budget.scope,
      name: budget.name,
      period: budget.period,
      limit_usd: budget.limitUsd,
      spent_usd: round(spend.spentUsd),
      reserved_usd: round(spend.reservedUsd),
      remaining_usd: round(Math.max(0, budget.limitUsd - spend.spentUsd - spend.reservedUsd)),
      resets_at: new Date(periodEnd(budget.period, now)).toISOString(),
    });
  }
  return { rows, total: all.length };
}

/** Dollars to the micro-dollar, as `budgets list` has always shown them. */
function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
