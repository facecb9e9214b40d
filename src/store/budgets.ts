// Budgets and their spend per period: limits set by config or CLI, spend added as requests settle.

import type { Database, Statement } from "bun:sqlite";
import { and, eq } from "drizzle-orm";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type * as schema from "./schema";
import { budgetSpend, budgets } from "./schema";
import type { BudgetStore, MaybePromise } from "./types";

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

/**
 * The two writes the server repeats (spend about every 100 ms, reservations about every second), as SQL that
 * this thread and the writer thread (`log-writer.ts`) both prepare.
 */
export const BUDGET_WRITES = {
  addSpend:
    "INSERT INTO budget_spend (scope, name, period_start, spent_usd, alerts_sent) VALUES (?1, ?2, ?3, ?4, 0) " +
    "ON CONFLICT (scope, name, period_start) DO UPDATE SET spent_usd = spent_usd + ?4 RETURNING spent_usd",
  setReserved:
    "INSERT INTO budget_spend (scope, name, period_start, spent_usd, reserved_usd, alerts_sent) " +
    "VALUES (?1, ?2, ?3, 0, ?4, 0) ON CONFLICT (scope, name, period_start) DO UPDATE SET reserved_usd = ?4",
} as const;

export type BudgetWrite = keyof typeof BUDGET_WRITES;

/** Runs a budget write elsewhere (the writer thread): its first column's value, or undefined when it cannot. */
export type BudgetOffload = (
  write: BudgetWrite,
  params: Array<string | number>,
) => Promise<number | null> | undefined;

export class BudgetRepository implements BudgetStore {
  private readonly statements: Record<BudgetWrite, Statement>;

  constructor(
    private readonly db: BunSQLiteDatabase<typeof schema>,
    sqlite: Database,
    private readonly offload?: BudgetOffload,
  ) {
    this.statements = {
      addSpend: sqlite.prepare(BUDGET_WRITES.addSpend),
      setReserved: sqlite.prepare(BUDGET_WRITES.setReserved),
    };
  }

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

  /**
   * Adds to the period's spend in one statement, so concurrent writers never lose an increment. With the
   * writer thread (a file database in the server) the statement runs there: on this thread a write cost about
   * 100 µs of the event loop at p50, and milliseconds when it fell on a WAL checkpoint or a busy lock.
   */
  addSpend(scope: BudgetScope, name: string, periodStart: number, usd: number): MaybePromise<number> {
    const params = [scope, name, periodStart, usd];
    const offloaded = this.offload?.("addSpend", params);
    if (offloaded) return offloaded.then((total) => total ?? usd);
    const row = this.statements.addSpend.get(...params) as { spent_usd: number } | null;
    return row?.spent_usd ?? usd;
  }

  /** Records the reservations in flight, so that `budgets list` can show them (on the writer thread if any). */
  setReserved(scope: BudgetScope, name: string, periodStart: number, usd: number): MaybePromise<void> {
    const params = [scope, name, periodStart, usd];
    const offloaded = this.offload?.("setReserved", params);
    if (offloaded) return offloaded.then(() => undefined);
    this.statements.setReserved.run(...params);
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
