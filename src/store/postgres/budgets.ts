// Budgets and their spend per period in PostgreSQL, shared by every instance; increments are single statements.

import { and, eq, sql } from "drizzle-orm";
import type { BudgetRow, BudgetScope, SpendRow } from "../budgets";
import { budgetSpend, budgets } from "../schema.pg";
import type { BudgetStore } from "../types";
import type { PgDb } from "./keys";

export class PgBudgetRepository implements BudgetStore {
  constructor(
    private readonly db: PgDb,
    private readonly ready: Promise<void>,
  ) {}

  async set(budget: BudgetRow): Promise<void> {
    await this.ready;
    await this.db
      .insert(budgets)
      .values(budget)
      .onConflictDoUpdate({
        target: [budgets.scope, budgets.name],
        set: { period: budget.period, limitUsd: budget.limitUsd },
      });
  }

  async remove(scope: BudgetScope, name: string): Promise<boolean> {
    await this.ready;
    const removed = await this.db
      .delete(budgets)
      .where(and(eq(budgets.scope, scope), eq(budgets.name, name)))
      .returning({ name: budgets.name });
    return removed.length > 0;
  }

  async list(): Promise<BudgetRow[]> {
    await this.ready;
    return (await this.db.select().from(budgets)) as BudgetRow[];
  }

  async spend(scope: BudgetScope, name: string, periodStart: number): Promise<SpendRow> {
    await this.ready;
    const [row] = await this.db
      .select({
        spentUsd: budgetSpend.spentUsd,
        reservedUsd: budgetSpend.reservedUsd,
        alertsSent: budgetSpend.alertsSent,
      })
      .from(budgetSpend)
      .where(this.period(scope, name, periodStart))
      .limit(1);
    return row ?? { spentUsd: 0, reservedUsd: 0, alertsSent: 0 };
  }

  async addSpend(scope: BudgetScope, name: string, periodStart: number, usd: number): Promise<number> {
    await this.ready;
    const [row] = await this.db
      .insert(budgetSpend)
      .values({ scope, name, periodStart, spentUsd: usd, alertsSent: 0 })
      .onConflictDoUpdate({
        target: [budgetSpend.scope, budgetSpend.name, budgetSpend.periodStart],
        set: { spentUsd: sql`${budgetSpend.spentUsd} + ${usd}` },
      })
      .returning({ spentUsd: budgetSpend.spentUsd });
    return row?.spentUsd ?? usd;
  }

  async setReserved(scope: BudgetScope, name: string, periodStart: number, usd: number): Promise<void> {
    await this.ready;
    await this.db
      .insert(budgetSpend)
      .values({ scope, name, periodStart, spentUsd: 0, reservedUsd: usd, alertsSent: 0 })
      .onConflictDoUpdate({
        target: [budgetSpend.scope, budgetSpend.name, budgetSpend.periodStart],
        set: { reservedUsd: usd },
      });
  }

  /** The row is locked while its bits are read and set, so two instances crossing a threshold send one alert. */
  async markAlerts(scope: BudgetScope, name: string, periodStart: number, bits: number): Promise<number> {
    await this.ready;
    return this.db.transaction(async (tx) => {
      await tx
        .insert(budgetSpend)
        .values({ scope, name, periodStart, spentUsd: 0, reservedUsd: 0, alertsSent: 0 })
        .onConflictDoNothing();
      const [row] = await tx
        .select({ alertsSent: budgetSpend.alertsSent })
        .from(budgetSpend)
        .where(this.period(scope, name, periodStart))
        .for("update");
      const before = row?.alertsSent ?? 0;
      const fresh = bits & ~before;
      if (fresh !== 0) {
        await tx
          .update(budgetSpend)
          .set({ alertsSent: before | fresh })
          .where(this.period(scope, name, periodStart));
      }
      return fresh;
    });
  }

  private period(scope: BudgetScope, name: string, periodStart: number) {
    return and(
      eq(budgetSpend.scope, scope),
      eq(budgetSpend.name, name),
      eq(budgetSpend.periodStart, periodStart),
    );
  }
}
