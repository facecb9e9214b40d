// The store's backend-neutral surface: repositories that SQLite answers synchronously and PostgreSQL asynchronously.

import type { BudgetRow, BudgetScope, SpendRow } from "./budgets";
import type { IssuedKey, KeyEnv, KeyRecord } from "./keys";
import type { requests } from "./schema";

/** A value SQLite returns at once and PostgreSQL as a promise; callers `await` it (or `chain` on hot paths). */
export type MaybePromise<T> = T | Promise<T>;

/** Runs `next` synchronously when `value` is already there, so the SQLite path never yields to the event loop. */
export function chain<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export type RequestRow = typeof requests.$inferInsert;

/**
 * A JSON column whose text is produced when the row is written (in the log's batch flush), not on the request
 * path: the policy input of an `auto` request is a few kilobytes of JSON. The value must not change once queued.
 */
export class JsonText {
  constructor(
    readonly value: unknown,
    /** Applied by the serialisation (e.g. rounding), so that it too runs at the flush. */
    private readonly replacer?: (key: string, value: unknown) => unknown,
  ) {}
  /**
   * Never throws: a value JSON.stringify cannot take (a captured body nested tens of thousands of levels deep) would
   * otherwise fail the whole batch and lose its rows. The row is kept; only that column says why it is empty.
   */
  toString(): string {
    try {
      return JSON.stringify(this.value, this.replacer);
    } catch (error) {
      return JSON.stringify({ unserialisable: error instanceof Error ? error.name : "error" });
    }
  }
  /** A row written as JSON (the dead-letter file) carries the text, as the database would. */
  toJSON(): string {
    return this.toString();
  }
}

/** A row as the request path queues it: JSON columns may still be unserialised. */
export type QueuedRow = Omit<RequestRow, "decisionInput" | "capturedRequest" | "stages" | "attempts"> & {
  stages: string | JsonText;
  attempts: string | JsonText;
  decisionInput?: string | JsonText | null;
  capturedRequest?: string | JsonText | null;
};
export type LoggedRequest = typeof requests.$inferSelect;

export interface CreateKeyOptions {
  name: string;
  env: KeyEnv;
  team?: string;
  policy?: string;
  allowedProviders?: string[];
  failover?: string;
  /** Requests per minute; absent: no limit of the key's own. */
  rpmLimit?: number;
  /** Tokens per minute (prompt + completion); absent: no limit of the key's own. */
  tpmLimit?: number;
}

export interface KeyStore {
  create(options: CreateKeyOptions): MaybePromise<IssuedKey>;
  byId(id: string): MaybePromise<KeyRecord | undefined>;
  byName(name: string): MaybePromise<KeyRecord | undefined>;
  list(): MaybePromise<KeyRecord[]>;
  /** Sets (a number) or removes (null) an active key's requests-per-minute limit; false when no active key has that name. */
  setRpmLimit(name: string, rpmLimit: number | null): MaybePromise<boolean>;
  /** Sets (a number) or removes (null) an active key's tokens-per-minute limit; false when no active key has that name. */
  setTpmLimit(name: string, tpmLimit: number | null): MaybePromise<boolean>;
  /** Resolves false when no active key has that name. */
  revoke(name: string): MaybePromise<boolean>;
}

export interface BudgetStore {
  set(budget: BudgetRow): MaybePromise<void>;
  remove(scope: BudgetScope, name: string): MaybePromise<boolean>;
  list(): MaybePromise<BudgetRow[]>;
  spend(scope: BudgetScope, name: string, periodStart: number): MaybePromise<SpendRow>;
  /** Adds to the period's spend atomically and returns the new total (every instance's spend included). */
  addSpend(scope: BudgetScope, name: string, periodStart: number, usd: number): MaybePromise<number>;
  setReserved(scope: BudgetScope, name: string, periodStart: number, usd: number): MaybePromise<void>;
  /** Sets alert bits; returns the bits newly set, so that across instances each alert goes out once. */
  markAlerts(scope: BudgetScope, name: string, periodStart: number, bits: number): MaybePromise<number>;
}

export interface ReadOptions {
  /** Rows at or after this time (epoch ms). */
  since?: number;
  limit?: number;
  /** Only rows that logged a policy decision input (for replay). */
  withDecision?: boolean;
}

export interface RequestLogStore {
  /** O(1) on the request path: the row is written by the next batched flush. */
  record(row: QueuedRow): void;
  pending(): number;
  writtenCount(): number;
  /** Rows the database refused for good, set aside in the dead-letter file (see src/store/dead-letter.ts). */
  deadLetteredCount(): number;
  flush(): MaybePromise<void>;
  /** Writes every queued row, then stops; rows recorded after close are written at once. */
  close(): Promise<void>;
  /** Logged rows, oldest first. */
  read(options?: ReadOptions): MaybePromise<LoggedRequest[]>;
  /** Where rows the database refused are set aside (undefined: kept in memory, for an in-memory database). */
  deadLetterPath(): string | undefined;
  /**
   * Writes rows now, one at a time, bypassing the queue (`spendex log import`): rows already present are
   * counted, not written twice; rows the database refuses are named and not set aside again. A transient
   * failure (locked, unreachable) throws, with nothing counted as refused.
   */
  importRows(rows: readonly QueuedRow[]): MaybePromise<ImportResult>;
}

export interface ImportResult {
  inserted: number;
  /** Rows whose id was already in the log. */
  present: number;
  refused: Array<{ index: number; error: string }>;
}

export interface Store {
  readonly backend: "sqlite" | "postgres";
  keys: KeyStore;
  budgets: BudgetStore;
  log: RequestLogStore;
  /** Settles once migrations are applied; rejects with a clear message when the database cannot be reached. */
  ready: Promise<void>;
  /** True when the database answers a trivial query. */
  ping(): MaybePromise<boolean>;
  close(): Promise<void>;
}
