// Budget terms shared by the guard and the CLI: views, alerts, periods, worst-case cost and the errors.

import { type CatalogModel, pricesFor } from "../catalog";
import { SpendexError } from "../errors";
import type { BudgetPeriod, BudgetRow, BudgetScope, SharedBudgetKey } from "../store";

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

export interface Ledger {
  period: BudgetPeriod;
  periodStart: number;
  /** When the period ends (epoch ms) and the same as ISO text, computed once per period. */
  periodEnd: number;
  resetsAt: string;
  spent: number;
  reserved: number;
  /** Alert bits this instance has already handled this period (the store dedupes across instances). */
  alerted: number;
}

export const THRESHOLDS = [
  { bit: 1, ratio: 0.5 },
  { bit: 2, ratio: 0.8 },
  { bit: 4, ratio: 1 },
] as const;

/** Output tokens assumed for the reservation when the client set no max_tokens. */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4_096;

/**
 * Worst-case cost of a request on the priciest candidate: prompt estimate plus max output, at the prices of the
 * estimated prompt's size (a long-prompt tier, as `costOf` bills it).
 */
export function worstCaseUsd(
  candidates: readonly CatalogModel[],
  promptTokens: number,
  maxTokens: number | undefined,
  choices = 1,
): number {
  let worst = 0;
  for (const model of candidates) {
    // `n` choices are each up to the output limit; the prompt is billed once.
    const output = Math.min(maxTokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS, model.maxOutputTokens) * choices;
    const prices = pricesFor(model.prices, promptTokens);
    worst = Math.max(worst, (promptTokens * prices.input + output * prices.output) / 1_000_000);
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

const ADJECTIVE: Record<BudgetPeriod, string> = { day: "daily", month: "monthly" };

export function exceeded(row: BudgetRow, ledger: Ledger, now: number): SpendexError {
  const resets = new Date(periodEnd(row.period, now)).toISOString();
  const remaining = Math.max(0, row.limitUsd - ledger.spent - ledger.reserved);
  return new SpendexError({
    type: "billing_error",
    code: "budget_exceeded",
    status: 402,
    message: `The ${ADJECTIVE[row.period]} budget of ${row.scope} '${row.name}' ($${row.limitUsd}) cannot cover this request ($${round(remaining)} remaining). It resets at ${resets}.`,
    headers: { "x-should-retry": "false" },
  });
}

export function sharedKey(row: BudgetRow, ledger: Ledger, now: number): SharedBudgetKey {
  return {
    scope: row.scope,
    name: row.name,
    periodStart: ledger.periodStart,
    limitUsd: row.limitUsd,
    seedSpentUsd: ledger.spent,
    // A day past the period's end, so late settlements still find their counter.
    expiresAt: periodEnd(row.period, now) + 86_400_000,
  };
}

export function unavailable(cause: unknown): SpendexError {
  return new SpendexError({
    type: "service_unavailable",
    code: "budget_unavailable",
    message:
      "Budgets cannot be checked right now (the shared budget counter is unreachable). Try again shortly.",
    retryable: true,
    cause,
  });
}

export function round(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

export function noop(): void {}

/** What a request and its policy see of one budget: limit, spend, what remains, when it resets. */
export function view(
  row: BudgetRow,
  ledger: Ledger,
  counter?: { spentUsd: number; reservedUsd: number },
): BudgetView {
  const spent = counter?.spentUsd ?? ledger.spent;
  const reserved = counter?.reservedUsd ?? ledger.reserved;
  return {
    scope: row.scope,
    name: row.name,
    limit_usd: row.limitUsd,
    spent_usd: round(spent),
    reserved_usd: round(reserved),
    remaining_usd: round(Math.max(0, row.limitUsd - spent - reserved)),
    period: row.period,
    resets_at: ledger.resetsAt,
  };
}
