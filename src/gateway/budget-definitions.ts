// Budget definitions (limits per key, team and agent), cached from the store: re-read at most every `refreshMs`,
// one read in flight serving every waiting request, so that the request path usually reads them from memory.

import type { BudgetRow, BudgetScope, BudgetStore, MaybePromise } from "../store";

export class BudgetDefinitions {
  private rows: BudgetRow[] = [];
  private readAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<BudgetRow[]> | undefined;

  constructor(
    private readonly repository: BudgetStore,
    private readonly refreshMs: number,
    /** Told when a re-read fails; the definitions already held stay in use. */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Budget definitions, re-read at most every `refreshMs`; one read in flight serves every waiting request. */
  read(now: number): MaybePromise<BudgetRow[]> {
    if (now - this.readAt <= this.refreshMs) return this.rows;
    const listed = this.repository.list();
    if (!(listed instanceof Promise)) return this.accept(listed, now);
    this.refreshing ??= listed
      .then(
        (rows) => this.accept(rows, now),
        (error: unknown) => {
          // A database blip keeps the definitions we have rather than failing every request.
          if (this.readAt === Number.NEGATIVE_INFINITY) throw error;
          this.onError(error);
          return this.rows;
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** The definition of one budget, as last read. */
  row(scope: BudgetScope, name: string): BudgetRow | undefined {
    return this.rows.find((row) => row.scope === scope && row.name === name);
  }

  private accept(rows: BudgetRow[], now: number): BudgetRow[] {
    this.rows = rows;
    this.readAt = now;
    return rows;
  }
}
