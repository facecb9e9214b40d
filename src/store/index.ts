// The store: chooses SQLite or PostgreSQL from the database URL and exposes the repositories behind one interface.

import { openPostgresStore } from "./postgres";
import type { RequestLogOptions } from "./request-log";
import { openSqliteStore, type SqliteStore } from "./sqlite";
import type { Store } from "./types";

export type { BudgetPeriod, BudgetRepository, BudgetRow, BudgetScope, SpendRow } from "./budgets";
export type { DeadLetterEntry } from "./dead-letter";
export type { IssuedKey, KeyEnv, KeyRecord, KeyRepository } from "./keys";
export { generateKey, hashKey, parseKey } from "./keys";
export type { PostgresStore } from "./postgres";
export {
  openSharedCounter,
  openSharedRateCounter,
  type SharedBudgetCounter,
  type SharedBudgetKey,
  type SharedRateCounter,
  type SharedRateVerdict,
} from "./redis";
export type { RequestLog } from "./request-log";
export type { Db, SqliteStore } from "./sqlite";
export {
  type BudgetStore,
  type CreateKeyOptions,
  chain,
  type ImportResult,
  JsonText,
  type KeyStore,
  type LoggedRequest,
  type MaybePromise,
  type QueuedRow,
  type ReadOptions,
  type RequestLogStore,
  type RequestRow,
  type Store,
} from "./types";

export interface StoreOptions {
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`. */
  url: string;
  log?: Partial<RequestLogOptions>;
}

/**
 * Opens the store the URL names. SQLite is ready on return; PostgreSQL applies its migrations in the background,
 * and `store.ready` (which every query awaits) settles when they are done.
 */
export function openStore(options: StoreOptions & { url: `sqlite:${string}` }): SqliteStore;
export function openStore(options: StoreOptions): Store;
export function openStore(options: StoreOptions): Store {
  const log = { batchSize: 32, flushIntervalMs: 50, ...options.log };
  const { url } = options;
  if (url.startsWith("sqlite:")) return openSqliteStore(url.slice("sqlite:".length) || ":memory:", log);
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    if (!URL.canParse(url))
      throw new Error(`DATABASE_URL is not a valid postgres:// URL (see README: Storage)`);
    return openPostgresStore(url, log);
  }
  throw new Error(
    `DATABASE_URL '${url.split(":")[0]}:…' is not supported; use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE (see README: Storage)`,
  );
}
