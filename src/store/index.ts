// The store: opens the database (SQLite by default), applies migrations, and exposes the repositories.

import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { BudgetRepository } from "./budgets";
import { KeyRepository } from "./keys";
import { RequestLog, type RequestLogOptions } from "./request-log";
import * as schema from "./schema";

export type { BudgetPeriod, BudgetRepository, BudgetRow, BudgetScope, SpendRow } from "./budgets";
export type { IssuedKey, KeyEnv, KeyRecord, KeyRepository } from "./keys";
export { generateKey, hashKey, parseKey } from "./keys";
export type { RequestRow } from "./request-log";

export type Db = BunSQLiteDatabase<typeof schema>;

export interface Store {
  db: Db;
  keys: KeyRepository;
  log: RequestLog;
  budgets: BudgetRepository;
  /** True when the database answers a trivial query. */
  ping(): boolean;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `sqlite:PATH` or `sqlite::memory:`. */
  url: string;
  log?: Partial<RequestLogOptions>;
}

const MIGRATIONS = join(import.meta.dir, "migrations");

export function openStore(options: StoreOptions): Store {
  const path = sqlitePath(options.url);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { create: true });
  // WAL lets the CLI read and write while the server runs; NORMAL sync is durable across process crashes.
  sqlite.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS });
  const log = new RequestLog(sqlite, { batchSize: 256, flushIntervalMs: 50, ...options.log });
  return {
    db,
    keys: new KeyRepository(db),
    log,
    budgets: new BudgetRepository(db),
    ping() {
      try {
        return (sqlite.query("select 1 as ok").get() as { ok: number } | null)?.ok === 1;
      } catch {
        return false;
      }
    },
    async close() {
      await log.close();
      sqlite.close();
    },
  };
}

function sqlitePath(url: string): string {
  if (!url.startsWith("sqlite:")) {
    throw new Error(
      `DATABASE_URL '${url.split(":")[0]}:…' is not supported by this build; use sqlite:PATH (see README: Storage)`,
    );
  }
  return url.slice("sqlite:".length) || ":memory:";
}
