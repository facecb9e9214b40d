// Budgets: reserve the worst case before dispatch, settle the real cost after, alert at 50/80/100%.
//
// Check-and-reserve is atomic, so concurrent requests can never both take the last of a budget: a limit is overrun
// by at most the difference between one request's reservation and its real cost. Within one instance the check
// and the reservation are one synchronous step on the event loop (after any awaited loads); with a shared counter
// (Redis) they are one Lua script, which holds across instances. Spend is persisted per period in the store.

import {
  type BudgetRow,
  type BudgetScope,
  type BudgetStore,
  chain,
  type MaybePromise,
  type SharedBudgetCounter,
  type SharedBudgetKey,
} from "../store";
import { BudgetDefinitions } from "./budget-definitions";
import {
  type Alert,
  type BudgetView,
  exceeded,
  type Ledger,
  noop,
  periodEnd,
  periodStart,
  round,
  sharedKey,
  THRESHOLDS,
  unavailable,
  view,
} from "./budget-terms";

export {
  type Alert,
  type BudgetView,
  DEFAULT_RESERVED_OUTPUT_TOKENS,
  periodEnd,
  periodStart,
  worstCaseUsd,
} from "./budget-terms";

const SPEND_FLUSH_MS = 100;

export class BudgetGuard {
  private readonly definitions: BudgetDefinitions;
  private readonly ledgers = new Map<string, Ledger>();
  private readonly loading = new Map<string, Promise<Ledger>>();
  /** Ledgers whose reservations changed since they were last written for `budgets list`. */
  private readonly dirty = new Map<string, { row: BudgetRow; ledger: Ledger }>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settled spend not yet written to the store, by budget and period. */
  private readonly unwritten = new Map<string, { row: BudgetRow; ledger: Ledger; usd: number }>();
  private spendTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settlements still writing, awaited by close() so no spend is lost on shutdown. */
  private readonly settling = new Set<Promise<void>>();

  constructor(
    private readonly repository: BudgetStore,
    private readonly options: {
      onAlert?: (alert: Alert) => void;
      now?: () => number;
      refreshMs?: number;
      /** Reserve on counters shared by every instance (Redis) instead of this instance's ledgers. */
      shared?: SharedBudgetCounter;
      /** Told when spend could not be written or a shared counter could not be read; requests go on. */
      onError?: (error: unknown) => void;
    } = {},
  ) {
    this.definitions = new BudgetDefinitions(repository, options.refreshMs ?? 2_000, (error) =>
      options.onError?.(error),
    );
  }

  /**
   * The budgets that apply to a request, with spend and what remains. Synchronous when the definitions and this
   * period's ledgers are in memory and no shared counter is configured (the common case): no promise per request.
   */
  applicable(subjects: Partial<Record<BudgetScope, string | null | undefined>>): MaybePromise<BudgetView[]> {
    const now = this.now();
    return chain(this.definitions.read(now), (all) => {
      const matched: BudgetRow[] = [];
      for (const row of all) if (subjects[row.scope] === row.name) matched.push(row);
      if (matched.length === 0) return [];
      return chain(this.ledgersOf(matched, now), (ledgers) => {
        if (!this.options.shared) return matched.map((row, i) => view(row, ledgers[i] as Ledger));
        // The figures are informational (the policy sees them): a counter that cannot be read falls back to
        // ours, and reserve() answers 503. The connection reports its own errors, so none are logged here.
        return this.options.shared
          .read(matched.map((row, i) => sharedKey(row, ledgers[i] as Ledger, now)))
          .catch(() => [])
          .then((counters) => matched.map((row, i) => view(row, ledgers[i] as Ledger, counters[i])));
      });
    });
  }

  /** This period's ledgers of several budgets; synchronous when all are in memory. */
  private ledgersOf(rows: readonly BudgetRow[], now: number): MaybePromise<Ledger[]> {
    const out: Ledger[] = [];
    let pending = false;
    const values = rows.map((row) => {
      const ledger = this.ledger(row, now);
      if (ledger instanceof Promise) pending = true;
      else out.push(ledger);
      return ledger;
    });
    return pending ? Promise.all(values) : out;
  }

  /**
   * Reserves `usd` on every applicable budget or on none. Resolves to the release function, called once with the
   * real cost; rejects with 402 naming the first budget that cannot take it.
   */
  reserve(views: readonly BudgetView[], usd: number): MaybePromise<(actualUsd: number) => void> {
    if (views.length === 0) return noop;
    const now = this.now();
    const rows = views
      .map((view) => this.definitions.row(view.scope, view.name))
      .filter((row): row is BudgetRow => !!row);
    return chain(this.ledgersOf(rows, now), (ledgers) => {
      const held = ledgers.map((ledger, i) => ({ row: rows[i] as BudgetRow, ledger }));
      const shared = this.options.shared;
      if (!shared) return this.hold(held, usd, undefined, now);
      const keys = held.map(({ row, ledger }) => sharedKey(row, ledger, now));
      return shared.reserve(keys, usd).then(
        (outcome) => {
          if (!outcome.ok) {
            const refused = held[outcome.index] as (typeof held)[number];
            const snapshot = { ...refused.ledger, spent: outcome.spentUsd, reserved: outcome.reservedUsd };
            if ((refused.ledger.alerted & 4) === 0) {
              refused.ledger.alerted |= 4;
              this.track(() => this.alert(refused.row, snapshot, 4, now));
            }
            throw exceeded(refused.row, snapshot, now);
          }
          return this.hold(held, usd, keys, now);
        },
        (error: unknown) => {
          throw unavailable(error);
        },
      );
    });
  }

  /**
   * Takes the reservation (after the shared counter accepted it, or after checking this instance's ledgers, with
   * no await between the check and the reservation: one step on the event loop) and returns its release.
   */
  private hold(
    held: Array<{ row: BudgetRow; ledger: Ledger }>,
    usd: number,
    keys: SharedBudgetKey[] | undefined,
    now: number,
  ): (actualUsd: number) => void {
    if (keys === undefined) {
      for (const { row, ledger } of held) {
        if (ledger.spent + ledger.reserved + usd > row.limitUsd) {
          // Reservations keep spend under the limit, so "100%" means the first request the budget turned away.
          if ((ledger.alerted & 4) === 0) {
            ledger.alerted |= 4;
            this.track(() => this.alert(row, ledger, 4, now));
          }
          throw exceeded(row, ledger, now);
        }
      }
    }
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
      }
      const shared = this.options.shared;
      if (shared && keys) this.track(() => shared.settle(keys, usd, actualUsd));
      if (actualUsd > 0)
        for (const { row, ledger } of held) this.track(() => this.settle(row, ledger, actualUsd));
    };
  }

  /** Waits for settlements in flight and writes the reservations; call before closing the store. */
  async close(): Promise<void> {
    while (this.settling.size > 0) await Promise.allSettled([...this.settling]);
    await this.flushSpend();
    await this.flushReserved();
  }

  /**
   * Spend counts in this instance's ledger at once and reaches the store in batches (one upsert per budget about
   * every SPEND_FLUSH_MS): a write per request cost about 300 µs of the event loop on a file database.
   */
  private settle(row: BudgetRow, ledger: Ledger, usd: number): MaybePromise<void> {
    const now = this.now();
    if (now < ledger.periodStart || now >= ledger.periodEnd) return;
    ledger.spent += usd;
    const key = `${row.scope}\u0000${row.name}\u0000${ledger.periodStart}`;
    const pending = this.unwritten.get(key);
    if (pending) pending.usd += usd;
    else this.unwritten.set(key, { row, ledger, usd });
    if (!this.spendTimer) {
      this.spendTimer = setTimeout(() => this.track(() => this.flushSpend()), SPEND_FLUSH_MS);
      this.spendTimer.unref?.();
    }
    let bits = 0;
    for (const threshold of THRESHOLDS)
      if (ledger.spent >= threshold.ratio * row.limitUsd) bits |= threshold.bit;
    // Alerts are rare (three a period at most), so their bookkeeping may write at once.
    if (bits !== 0 && (bits & ~ledger.alerted) !== 0) {
      ledger.alerted |= bits;
      return this.alert(row, ledger, bits, now);
    }
  }

  /** Writes the spend settled since the last write; the store's total (all instances) becomes the ledger's. */
  async flushSpend(): Promise<void> {
    if (this.spendTimer) clearTimeout(this.spendTimer);
    this.spendTimer = undefined;
    const items = [...this.unwritten.entries()];
    this.unwritten.clear();
    for (const [key, { row, ledger, usd }] of items) {
      try {
        const total = await this.repository.addSpend(row.scope, row.name, ledger.periodStart, usd);
        // Spend settled while this write was in flight is still unwritten: keep counting it.
        ledger.spent = total + (this.unwritten.get(key)?.usd ?? 0);
      } catch (error) {
        const again = this.unwritten.get(key);
        if (again) again.usd += usd;
        else this.unwritten.set(key, { row, ledger, usd });
        this.options.onError?.(error);
      }
    }
  }

  private alert(row: BudgetRow, ledger: Ledger, bits: number, now: number): MaybePromise<void> {
    const onAlert = this.options.onAlert;
    if (!onAlert) return;
    return chain(this.repository.markAlerts(row.scope, row.name, ledger.periodStart, bits), (fresh) => {
      for (const threshold of THRESHOLDS) {
        if ((fresh & threshold.bit) === 0) continue;
        onAlert({
          scope: row.scope,
          name: row.name,
          period: row.period,
          threshold: threshold.ratio,
          limit_usd: row.limitUsd,
          spent_usd: round(ledger.spent),
          resets_at: new Date(periodEnd(row.period, now)).toISOString(),
        });
      }
    });
  }

  /** Runs store work off the request path: errors are reported, never thrown at the request that settled. */
  private track(work: () => MaybePromise<void>): void {
    let pending: MaybePromise<void>;
    try {
      pending = work();
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    if (!(pending instanceof Promise)) return;
    const done = pending.catch((error: unknown) => this.options.onError?.(error));
    this.settling.add(done);
    void done.then(() => this.settling.delete(done));
  }

  /** Writes the reservations in flight, off the request path, about once a second. */
  private markDirty(row: BudgetRow, ledger: Ledger): void {
    this.dirty.set(`${row.scope}\u0000${row.name}`, { row, ledger });
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.flushReserved(), 1_000);
    this.flushTimer.unref?.();
  }

  async flushReserved(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const items = [...this.dirty.values()];
    this.dirty.clear();
    for (const { row, ledger } of items) {
      try {
        await this.repository.setReserved(row.scope, row.name, ledger.periodStart, round(ledger.reserved));
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  /** This period's ledger; its spend is read from the store once per period (one read shared by all waiters). */
  private ledger(row: BudgetRow, now: number): MaybePromise<Ledger> {
    const key = `${row.scope}\u0000${row.name}`;
    const current = this.ledgers.get(key);
    // Within the ledger's period no date arithmetic is needed.
    if (current && current.period === row.period && now >= current.periodStart && now < current.periodEnd)
      return current;
    const start = periodStart(row.period, now);
    if (current && current.periodStart === start) return current;
    const loadKey = `${key}\u0000${start}`;
    const inFlight = this.loading.get(loadKey);
    if (inFlight) return inFlight;
    const loaded = chain(this.repository.spend(row.scope, row.name, start), (spend) => {
      const latest = this.ledgers.get(key);
      if (latest && latest.periodStart === start) return latest;
      // A new period (or first use): spend comes from the store; reservations in flight carry over.
      const end = periodEnd(row.period, start);
      const ledger: Ledger = {
        period: row.period,
        periodStart: start,
        periodEnd: end,
        resetsAt: new Date(end).toISOString(),
        spent: spend.spentUsd,
        reserved: latest?.reserved ?? 0,
        alerted: 0,
      };
      this.ledgers.set(key, ledger);
      return ledger;
    });
    if (loaded instanceof Promise) {
      this.loading.set(loadKey, loaded);
      const forget = () => this.loading.delete(loadKey);
      loaded.then(forget, forget);
    }
    return loaded;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
