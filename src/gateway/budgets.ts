// Budgets: reserve the worst case before dispatch, settle the real cost after, alert at 50/80/100%.
//
// Check-and-reserve is one synchronous step on the event loop, so concurrent requests of one instance can never
// both take the last of a budget: a limit is overrun by at most the difference between one request's reservation
// and its real cost. Spend is persisted per period in the store as requests settle.

import type { CatalogModel } from "../catalog";
import { SpendexError } from "../errors";
import type { BudgetPeriod, BudgetRepository, BudgetRow, BudgetScope } from "../store";

export interface BudgetView {
  scope: BudgetScope;
  name: string;
  limit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  period: BudgetPeriod;
  resets_at: string;
}

export interface Alert {
  scope: BudgetScope;
  name: string;
  period: BudgetPeriod;
  threshold: number;
  limit_usd: number;
  spent_usd: number;
  resets_at: string;
}

interface Ledger {
  periodStart: number;
  spent: number;
  reserved: number;
}

const THRESHOLDS = [
  { bit: 1, ratio: 0.5 },
  { bit: 2, ratio: 0.8 },
  { bit: 4, ratio: 1 },
] as const;

/** Output tokens assumed for the reservation when the client set no max_tokens. */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4_096;

export class BudgetGuard {
  private rows: BudgetRow[] = [];
  private readAt = 0;
  private readonly ledgers = new Map<string, Ledger>();
  /** Ledgers whose reservations changed since they were last written for `budgets list`. */
  private readonly dirty = new Map<string, { row: BudgetRow; ledger: Ledger }>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly repository: BudgetRepository,
    private readonly options: {
      onAlert?: (alert: Alert) => void;
      now?: () => number;
      refreshMs?: number;
    } = {},
  ) {}

  /** The budgets that apply to a request, with spend and what remains. */
  applicable(subjects: Partial<Record<BudgetScope, string | null | undefined>>): BudgetView[] {
    const now = this.now();
    const out: BudgetView[] = [];
    for (const row of this.budgets(now)) {
      if (subjects[row.scope] !== row.name) continue;
      const ledger = this.ledger(row, now);
      const remaining = row.limitUsd - ledger.spent - ledger.reserved;
      out.push({
        scope: row.scope,
        name: row.name,
        limit_usd: row.limitUsd,
        spent_usd: round(ledger.spent),
        reserved_usd: round(ledger.reserved),
        remaining_usd: round(Math.max(0, remaining)),
        period: row.period,
        resets_at: new Date(periodEnd(row.period, now)).toISOString(),
      });
    }
    return out;
  }

  /**
   * Reserves `usd` on every applicable budget or on none. Returns the release function, called once with the
   * real cost; throws 402 naming the first budget that cannot take it.
   */
  reserve(views: readonly BudgetView[], usd: number): (actualUsd: number) => void {
    if (views.length === 0) return noop;
    const now = this.now();
    const rows = views
      .map((view) => this.row(view.scope, view.name))
      .filter((row): row is BudgetRow => !!row);
    for (const row of rows) {
      const ledger = this.ledger(row, now);
      if (ledger.spent + ledger.reserved + usd > row.limitUsd) {
        // Reservations keep spend under the limit, so "100%" means the first request the budget turned away.
        this.alert(row, ledger, 4, now);
        throw exceeded(row, ledger, now);
      }
    }
    const held = rows.map((row) => ({ row, ledger: this.ledger(row, now) }));
    for (const item of held) {
      item.ledger.reserved += usd;
      this.markDirty(item.row, item.ledger);
    }
    let settled = false;
    return (actualUsd: number) => {
      if (settled) return;
      settled = true;
      for (const { row, ledger } of held) {
        ledger.reserved = Math.max(0, ledger.reserved - usd);
        this.markDirty(row, ledger);
        if (actualUsd > 0) this.settle(row, ledger, actualUsd);
      }
    };
  }

  private settle(row: BudgetRow, ledger: Ledger, usd: number): void {
    const now = this.now();
    if (ledger.periodStart !== periodStart(row.period, now)) return;
    ledger.spent = this.repository.addSpend(row.scope, row.name, ledger.periodStart, usd);
    let bits = 0;
    for (const threshold of THRESHOLDS)
      if (ledger.spent >= threshold.ratio * row.limitUsd) bits |= threshold.bit;
    if (bits !== 0) this.alert(row, ledger, bits, now);
  }

  private alert(row: BudgetRow, ledger: Ledger, bits: number, now: number): void {
    if (!this.options.onAlert) return;
    const fresh = this.repository.markAlerts(row.scope, row.name, ledger.periodStart, bits);
    for (const threshold of THRESHOLDS) {
      if ((fresh & threshold.bit) === 0) continue;
      this.options.onAlert({
        scope: row.scope,
        name: row.name,
        period: row.period,
        threshold: threshold.ratio,
        limit_usd: row.limitUsd,
        spent_usd: round(ledger.spent),
        resets_at: new Date(periodEnd(row.period, now)).toISOString(),
      });
    }
  }

  /** Writes the reservations in flight, off the request path, about once a second. */
  private markDirty(row: BudgetRow, ledger: Ledger): void {
    this.dirty.set(`${row.scope}\u0000${row.name}`, { row, ledger });
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flushReserved(), 1_000);
    this.flushTimer.unref?.();
  }

  flushReserved(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const { row, ledger } of this.dirty.values()) {
      this.repository.setReserved(row.scope, row.name, ledger.periodStart, round(ledger.reserved));
    }
    this.dirty.clear();
  }

  private budgets(now: number): BudgetRow[] {
    if (now - this.readAt > (this.options.refreshMs ?? 2_000)) {
      this.rows = this.repository.list();
      this.readAt = now;
    }
    return this.rows;
  }

  private row(scope: BudgetScope, name: string): BudgetRow | undefined {
    return this.rows.find((row) => row.scope === scope && row.name === name);
  }

  private ledger(row: BudgetRow, now: number): Ledger {
    const key = `${row.scope}\u0000${row.name}`;
    const start = periodStart(row.period, now);
    let ledger = this.ledgers.get(key);
    if (!ledger || ledger.periodStart !== start) {
      // A new period (or first use): spend comes from the store; reservations in flight carry over.
      const spent = this.repository.spend(row.scope, row.name, start).spentUsd;
      ledger = { periodStart: start, spent, reserved: ledger?.reserved ?? 0 };
      this.ledgers.set(key, ledger);
    }
    return ledger;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** Worst-case cost of a request on the priciest candidate: prompt estimate plus max output. */
export function worstCaseUsd(
  candidates: readonly CatalogModel[],
  promptTokens: number,
  maxTokens: number | undefined,
): number {
  let worst = 0;
  for (const model of candidates) {
    const output = Math.min(maxTokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS, model.maxOutputTokens);
    worst = Math.max(worst, (promptTokens * model.prices.input + output * model.prices.output) / 1_000_000);
  }
  return worst;
}

export function periodStart(period: BudgetPeriod, now: number): number {
  const date = new Date(now);
  return period === "day"
    ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())
    : Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

export function periodEnd(period: BudgetPeriod, now: number): number {
  const date = new Date(now);
  return period === "day"
    ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
    : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

function exceeded(row: BudgetRow, ledger: Ledger, now: number): SpendexError {
  const resets = new Date(periodEnd(row.period, now)).toISOString();
  const remaining = Math.max(0, row.limitUsd - ledger.spent - ledger.reserved);
  return new SpendexError({
    type: "billing_error",
    code: "budget_exceeded",
    status: 402,
    message: `The ${row.period}ly budget of ${row.scope} '${row.name}' ($${row.limitUsd}) cannot cover this request ($${round(remaining)} remaining). It resets at ${resets}.`,
    headers: { "x-should-retry": "false" },
  });
}

function round(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

function noop(): void {}
