// Per-budget gauges, exposed only behind METRICS_TOKEN (budget names are business data): the figures of
// `budgets list`, read from the store at scrape time, never on the request path. One read at a time serves every
// waiting scrape; a read that fails or outlasts `timeoutMs` is counted and its series are left out of that scrape.

import type { BudgetStore } from "../../store";
import { type BudgetStatus, budgetStatuses } from "../budget-status";
import { type Exposition, labelText } from "./exposition";

/** Budgets exposed at most, in scope, name order; the rest are counted in `spendex_budget_omitted`. */
export const MAX_BUDGET_SERIES = 1_000;
const BUDGET_LABELS = ["scope", "name", "period"];

type Read = { rows: BudgetStatus[]; total: number };

export class BudgetGauges {
  private readErrors = 0;
  private reading: Promise<Read> | undefined;

  constructor(
    private readonly repository: BudgetStore,
    private readonly options: { limit?: number; timeoutMs?: number; now?: () => number } = {},
  ) {}

  /** Writes the budget families after the others; resolves once the read has finished, failed or timed out. */
  async write(out: Exposition): Promise<void> {
    const limit = this.options.limit ?? MAX_BUDGET_SERIES;
    let read: Read | undefined;
    try {
      read = await this.read(limit);
    } catch {
      this.readErrors += 1;
    }
    if (read !== undefined) {
      const gauges: Array<[string, string, (row: BudgetStatus) => number]> = [
        ["spendex_budget_limit_usd", "Budget limit in US dollars per period.", (row) => row.limit_usd],
        [
          "spendex_budget_spent_usd",
          "Spend settled this period in US dollars, every instance's, as `budgets list` shows it.",
          (row) => row.spent_usd,
        ],
        [
          "spendex_budget_reserved_usd",
          "Reservations of requests in flight in US dollars, as last written (about every second).",
          (row) => row.reserved_usd,
        ],
        [
          "spendex_budget_reset_timestamp_seconds",
          "When the budget's period ends and its spend starts again from zero (Unix time).",
          (row) => Date.parse(row.resets_at) / 1000,
        ],
      ];
      for (const [name, help, value] of gauges) {
        out.family(name, "gauge", help);
        for (const row of read.rows)
          out.sample(name, labelText(BUDGET_LABELS, [row.scope, row.name, row.period]), value(row));
      }
      out.family(
        "spendex_budget_omitted",
        "gauge",
        `Budgets left out of this scrape: only the first ${limit} by scope and name are exposed.`,
      );
      out.sample("spendex_budget_omitted", "", read.total - read.rows.length);
    }
    out.family(
      "spendex_budget_read_errors_total",
      "counter",
      "Scrapes whose budget figures could not be read from the store (failed or timed out) and were left out.",
    );
    out.sample("spendex_budget_read_errors_total", "", this.readErrors);
  }

  /** The store's figures; a read still running when the timeout fires serves the next scrape instead. */
  private read(limit: number): Promise<Read> {
    const now = (this.options.now ?? Date.now)();
    if (this.reading === undefined) {
      const reading = budgetStatuses(this.repository, now, limit);
      this.reading = reading;
      const forget = () => {
        if (this.reading === reading) this.reading = undefined;
      };
      reading.then(forget, forget);
    }
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`budget read took over ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.reading, timeout]).finally(() => clearTimeout(timer));
  }
}
