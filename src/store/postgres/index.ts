// Opens the PostgreSQL store: a connection pool, drizzle's migrations under an advisory lock, the repositories.

import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { RequestLogOptions } from "../request-log";
import * as schema from "../schema.pg";
import type { Store } from "../types";
import { PgBudgetRepository } from "./budgets";
import { PgKeyRepository } from "./keys";
import { PgRequestLog } from "./request-log";

const MIGRATIONS = join(import.meta.dir, "..", "migrations-pg");
/** Any fixed 64-bit number: instances starting together take turns applying migrations. */
const MIGRATION_LOCK = 0x5350454e444558;

export interface PostgresStore extends Store {
  readonly backend: "postgres";
}

export function openPostgresStore(url: string, log: RequestLogOptions): PostgresStore {
  const where = describe(url);
  const options: ConnectionOptions = { connect_timeout: 5, onnotice: () => {} };
  const sql = postgres(url, { ...options, max: 10 });
  const db = drizzle(sql, { schema });
  const ready = applyMigrations(url, options).catch((error: unknown) => {
    throw new Error(`cannot open PostgreSQL at ${where}: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  });
  // Queries await `ready` and report its error; this only keeps an unobserved failure from crashing the process.
  ready.catch(() => {});
  const requestLog = new PgRequestLog(sql, db, ready, log);
  return {
    backend: "postgres",
    keys: new PgKeyRepository(db, ready),
    budgets: new PgBudgetRepository(db, ready),
    log: requestLog,
    ready,
    async ping() {
      // A database that does not answer within 2 s is unready; the timer must not outlive the answer.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), 2_000);
      });
      try {
        const answered = ready.then(async () => (await sql`select 1 as ok`)[0]?.ok === 1);
        return await Promise.race([answered, timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      try {
        // A store that never opened has nothing to write unless rows were queued; those are reported.
        const opened = await ready.then(
          () => true,
          () => false,
        );
        if (opened || requestLog.pending() > 0) await requestLog.close();
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}

type ConnectionOptions = { connect_timeout: number; onnotice: () => void };

async function applyMigrations(url: string, options: ConnectionOptions): Promise<void> {
  // One dedicated connection holds the session lock and runs the migrations, then goes away.
  const client = postgres(url, { ...options, max: 1 });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** host:port/database of a URL, never its password, for error messages. */
function describe(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname || "localhost"}:${parsed.port || 5432}${parsed.pathname}`;
}
