// Rows the database refuses for good (a value it cannot store, a constraint) go to a JSON-lines file instead of
// blocking the log queue forever or being dropped. Transient failures (locked, full, connection lost) are not
// dead-lettered: those rows stay queued and are tried again.

import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { QueuedRow } from "./types";

/** SQLite result codes that say "try again later", not "this row can never be stored". */
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL|INTERRUPT|NOLFS)/;

/** Whether a bun:sqlite error is about the rows themselves (so retrying them can never succeed). */
export function refusedBySqlite(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("SQLITE_")) return !SQLITE_TRANSIENT.test(code);
  // A value bun:sqlite cannot bind is a TypeError thrown before SQLite runs.
  return error instanceof TypeError || error instanceof RangeError;
}

/**
 * Whether a PostgreSQL error is about the rows: SQLSTATE class 22 (data exception: bad encoding, value out of
 * range) or 23 (integrity constraint). Connection errors, resource limits, lock timeouts, shutdowns and errors
 * without a SQLSTATE (network) are transient.
 */
export function refusedByPostgres(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

export interface DeadLetterEntry {
  /** ISO time the row was set aside. */
  at: string;
  error: string;
  row: QueuedRow;
}

/**
 * Appends refused rows to `path` as JSON lines (`{ at, error, row }`). Without a path (an in-memory database), or
 * when the file cannot be written, the entries are kept in memory so that nothing is lost while the process runs.
 */
export class DeadLetter {
  private readonly held: DeadLetterEntry[] = [];
  private total = 0;

  constructor(
    readonly path: string | undefined,
    private readonly onError?: (error: unknown) => void,
  ) {}

  add(rows: readonly QueuedRow[], error: unknown): void {
    if (rows.length === 0) return;
    const at = new Date().toISOString();
    const message = error instanceof Error ? error.message : String(error);
    const entries = rows.map((row) => ({ at, error: message, row }));
    this.total += rows.length;
    this.onError?.(
      new Error(
        `request log: ${rows.length} row(s) refused by the database (${message}); set aside in ${this.path ?? "memory"}`,
      ),
    );
    if (this.path) {
      try {
        mkdirSync(dirname(this.path), { recursive: true });
        appendFileSync(this.path, `${entries.map((entry) => JSON.stringify(entry)).join("\n")}\n`);
        return;
      } catch (writeError) {
        this.onError?.(writeError);
      }
    }
    this.held.push(...entries);
  }

  /** Rows set aside since start. */
  count(): number {
    return this.total;
  }

  /** Entries that could not be written to the file (or all of them, without a file). */
  inMemory(): readonly DeadLetterEntry[] {
    return this.held;
  }
}
