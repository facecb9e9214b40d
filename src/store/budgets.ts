// Budgets and their spend per period: limits set by config or CLI, spend added as requests settle.

import { and, eq, sql } from "drizzle-orm";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type * as schema from "./schema";
import { budgetSpend, budgets } from "./schema";
import type { BudgetStore } from "./types";

export type BudgetScope = "key" | "team" | "agent";
export type BudgetPeriod = "day" | "month";

export interface BudgetRow {
  scope: BudgetScope;
  name: string;
  period: BudgetPeriod;
  limitUsd: number;
}

export interface SpendRow {
  spentUsd: number;
  reservedUsd: number;
  alertsSent: number;
}

export class BudgetRepository implements BudgetStore {
  constructor(private readonly db: BunSQLiteDatabase<typeof schema>) {}

  set(budget: BudgetRow): void {
    this.db
      .insert(budgets)
      .values(budget)
      .onConflictDoUpdate({
        target: [budgets.scope, budgets.name],
        set: { period: budget.period, limitUsd: budget.limitUsd },
      })
      .run();
  }

  remove(scope: BudgetScope, name: string): boolean {
    const removed = this.db
      .delete(budgets)
      .where(and(eq(budgets.scope, scope), eq(budgets.name, name)))
      .returning({ name: budgets.name })
      .all();
    return removed.length > 0;
  }

  list(): BudgetRow[] {
    return this.db.select().from(budgets).all() as BudgetRow[];
  }

  spend(scope: BudgetScope, name: string, periodStart: number): SpendRow {
    const row = this.db
      .select({
        spentUsd: budgetSpend.spentUsd,
        reservedUsd: budgetSpend.reservedUsd,
        alertsSent: budgetSpend.alertsSent,
      })
      .from(budgetSpend)
      .where(
        and(
          eq(budgetSpend.scope, scope),
          eq(budgetSpend.name, name),
          eq(budgetSpend.periodStart, periodStart),
        ),
      )
      .get();
    return row ?? { spentUsd: 0, reservedUsd: 0, alertsSent: 0 };
  }

  /** Adds to the period's spend in one statement, so concurrent writers never lose an increment. */
  addSpend(scope: BudgetScope, name: string, periodStart: number, usd: number): number {
    const row = this.db
      .insert(budgetSpend)
      .values({ scope, name, periodStart, spentUsd: usd, alertsSent: 0 })
      .onConflictDoUpdate({
        target: [budgetSpend.scope, budgetSpend.name, budgetSpend.periodStart],
        set: { spentUsd: sql`${budgetSpend.spentUsd} + ${usd}` },
      })
      .returning({ spentUsd: budgetSpend.spentUsd })
      .get();
    return row?.spentUsd ?? usd;
  }

  /** Records the reservations in flight, so that `budgets list` can show them. */
  setReserved(scope: BudgetScope, name: string, periodStart: number, usd: number): void {
    this.db
      .insert(budgetSpend)
      .values({ scope, name, periodStart, spentUsd: 0, reservedUsd: usd, alertsSent: 0 })
      .onConflictDoUpdate({
        target: [budgetSpend.scope, budgetSpend.name, budgetSpend.periodStart],
        set: { reservedUsd: usd },
      })
      .run();
  }

  /** Marks alert bits as sent; returns the bits that were newly set (so each alert goes out once). */
  markAlerts(scope: BudgetScope, name: string, periodStart: number, bits: number): number {
    const before = this.spend(scope, name, periodStart).alertsSent;
    const fresh = bits & ~before;
    if (fresh === 0) return 0;
    this.db
      .insert(budgetSpend)
      .values({ scope, name, periodStart, spentUsd: 0, reservedUsd: 0, alertsSent: fresh })
      .onConflictDoUpdate({
        target: [budgetSpend.scope, budgetSpend.name, budgetSpend.periodStart],
        set: { alertsSent: before | fresh },
      })
      .run();
    return fresh;
  }
}
