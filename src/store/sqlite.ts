// Opens the embedded SQLite store (the default): WAL, migrations at start, synchronous repositories.

import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { BudgetRepository } from "./budgets";
import { KeyRepository } from "./keys";
import { RequestLog, type RequestLogOptions } from "./request-log";
import * as schema from "./schema";
import type { Store } from "./types";

export type Db = BunSQLiteDatabase<typeof schema>;

/** The SQLite store answers synchronously; tests and the benchmark use its repositories and `db` directly. */
export interface SqliteStore extends Store {
  readonly backend: "sqlite";
  db: Db;
  keys: KeyRepository;
  log: RequestLog;
  budgets: BudgetRepository;
  ping(): boolean;
}

const MIGRATIONS = join(import.meta.dir, "migrations");

export function openSqliteStore(path: string, log: RequestLogOptions): SqliteStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { create: true });
  // WAL lets the CLI read and write while the server runs; NORMAL sync is durable across process crashes.
  sqlite.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS });
  const requestLog = new RequestLog(sqlite, log, db, path);
  return {
    backend: "sqlite",
    db,
    keys: new KeyRepository(db),
    log: requestLog,
    budgets: new BudgetRepository(db, sqlite, (write, params) => requestLog.runOnWriter(write, params)),
    ready: Promise.resolve(),
    ping() {
      try {
        return (sqlite.query("select 1 as ok").get() as { ok: number } | null)?.ok === 1;
      } catch {
        return false;
      }
    },
    async close() {
      await requestLog.close();
      sqlite.close();
    },
  };
}
