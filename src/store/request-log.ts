// The request log: rows are queued on the request path and written in batched transactions off it.

import type { Database, Statement } from "bun:sqlite";
import { and, asc, getTableColumns, gte, isNotNull, type SQL } from "drizzle-orm";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { BUDGET_WRITES, type BudgetWrite } from "./budgets";
import { DeadLetter, refusedBySqlite } from "./dead-letter";
import type * as schema from "./schema";
import { requests } from "./schema";
import {
  type ImportResult,
  JsonText,
  type LoggedRequest,
  type QueuedRow,
  type ReadOptions,
  type RequestLogStore,
  type RequestRow,
} from "./types";

export type { RequestRow };

/**
 * The insert is one prepared statement built once from the drizzle schema: building the query through
 * drizzle's query builder cost about 30 µs a row, most of the gateway's own time per request.
 */
// A row without a field that has a default (a dead-lettered row from an older version) takes the default, not NULL.
const COLUMNS = Object.entries(getTableColumns(requests)).map(([field, column]) => ({
  field,
  name: column.name,
  absent: column.hasDefault ? (column.default as unknown) : null,
}));
// ON CONFLICT (id) DO NOTHING makes a retried batch idempotent. Not `INSERT OR IGNORE`: that also skips a row
// violating NOT NULL or CHECK, silently, where such a row must reach the dead-letter file.
const INSERT_SQL = `INSERT INTO requests (${COLUMNS.map((c) => `"${c.name}"`).join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")}) ON CONFLICT (id) DO NOTHING`;

type SqlValue = string | number | null;

function toValues(row: QueuedRow): SqlValue[] {
  const record = row as Record<string, unknown>;
  return COLUMNS.map(({ field, absent }) => {
    const value = record[field] === undefined ? absent : record[field];
    if (value === undefined || value === null) return null;
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value instanceof JsonText) return value.toString();
    return value as SqlValue;
  });
}

export interface RequestLogOptions {
  batchSize: number;
  flushIntervalMs: number;
  /**
   * "thread": batches are inserted by a worker thread on its own connection (the server's choice for a file
   * database: the insert costs 10–20 µs a row, which then stays off the event loop). "inline": on this thread
   * (the CLI, tests, and `:memory:`, which a second connection cannot see).
   */
  writer?: "thread" | "inline";
  /**
   * Told when a batch could not be written (the rows stay queued and are tried again) and when rows are set
   * aside in the dead-letter file.
   */
  onError?: (error: unknown) => void;
  /**
   * Where rows the database refuses for good are appended as JSON lines. Default: beside the SQLite file
   * (`<db>.deadletter.jsonl`); PostgreSQL: `./data/spendex-log.deadletter.jsonl`; `:memory:` keeps them in memory.
   */
  deadLetterPath?: string;
  /**
   * Base of the exponential backoff between close()'s tries to write what is still queued, before the rest is set
   * aside (default 50 ms for SQLite, 100 ms for PostgreSQL: about 1.5 s and 6 s in all).
   */
  closeRetryMs?: number;
}

/** Tries at close before the rows still refused by a transient error are set aside rather than lost. */
const CLOSE_ATTEMPTS = 5;

type Refusal = { index: number; error: string };
type WriterAnswer = { type: string; id: number; error?: string; refused?: Refusal[]; value?: number | null };

export class RequestLog implements RequestLogStore {
  private queue: QueuedRow[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private written = 0;
  private readonly insert: Statement;
  private readonly insertBatch: (rows: QueuedRow[]) => void;
  private readonly insertEach: (rows: QueuedRow[]) => Refusal[];
  private readonly importEach: (rows: readonly QueuedRow[]) => ImportResult;
  private readonly deadLetter: DeadLetter;
  private worker: Worker | undefined;
  /** Batches posted to the writer thread and not yet acknowledged, by message id. */
  private readonly inFlight = new Map<number, QueuedRow[]>();
  private nextBatch = 1;
  /** Budget writes posted to the writer thread and not yet answered, by message id. */
  private readonly runs = new Map<
    number,
    { resolve: (value: number | null) => void; reject: (error: Error) => void }
  >();
  private nextRun = 1;
  private idle: Array<() => void> = [];

  constructor(
    sqlite: Database,
    private readonly options: RequestLogOptions,
    private readonly db: BunSQLiteDatabase<typeof schema>,
    path?: string,
  ) {
    this.insert = sqlite.prepare(INSERT_SQL);
    this.insertBatch = sqlite.transaction((rows: QueuedRow[]) => {
      for (const row of rows) this.insert.run(...toValues(row));
    });
    // After a batch failed on a row SQLite can never store: the others are written, the refused ones named.
    this.insertEach = sqlite.transaction((rows: QueuedRow[]) => {
      const refused: Refusal[] = [];
      rows.forEach((row, index) => {
        try {
          this.insert.run(...toValues(row));
        } catch (error) {
          if (!refusedBySqlite(error)) throw error;
          refused.push({ index, error: error instanceof Error ? error.message : String(error) });
        }
      });
      return refused;
    });
    this.importEach = sqlite.transaction((rows: readonly QueuedRow[]) => {
      const result: ImportResult = { inserted: 0, present: 0, refused: [] };
      rows.forEach((row, index) => {
        try {
          if (this.insert.run(...toValues(row)).changes > 0) result.inserted += 1;
          else result.present += 1;
        } catch (error) {
          if (!refusedBySqlite(error)) throw error;
          result.refused.push({ index, error: error instanceof Error ? error.message : String(error) });
        }
      });
      return result;
    });
    this.deadLetter = new DeadLetter(
      options.deadLetterPath ?? (path && path !== ":memory:" ? `${path}.deadletter.jsonl` : undefined),
      options.onError,
    );
    if (options.writer === "thread" && path && path !== ":memory:") {
      this.worker = new Worker(new URL("./log-writer.ts", import.meta.url).href);
      // Not unref'd: a flush awaiting the thread's answer must keep the process alive (close() terminates it).
      this.worker.onmessage = (event: MessageEvent<WriterAnswer>) => {
        const answer = event.data;
        if (answer.type === "ran" || answer.type === "run-failed") this.ranOnWriter(answer);
        else this.acknowledged(answer);
      };
      // If the thread dies, nothing it held is lost: its batches go back to the queue and writing goes inline.
      this.worker.onerror = (event) => this.writerFailed(event);
      this.worker.postMessage({ type: "open", path, sql: INSERT_SQL, statements: BUDGET_WRITES });
    }
  }

  /**
   * Runs one of the budget writes on the writer thread; undefined when there is no thread (the caller then
   * writes on its own connection). Rejects if the statement fails or the thread goes away.
   */
  runOnWriter(statement: BudgetWrite, params: Array<string | number>): Promise<number | null> | undefined {
    const worker = this.worker;
    if (!worker) return undefined;
    const id = this.nextRun++;
    return new Promise((resolve, reject) => {
      this.runs.set(id, { resolve, reject });
      worker.postMessage({ type: "run", id, statement, params });
    });
  }

  private ranOnWriter(answer: { type: string; id: number; value?: number | null; error?: string }): void {
    const run = this.runs.get(answer.id);
    this.runs.delete(answer.id);
    if (answer.type === "ran") run?.resolve(answer.value ?? null);
    else run?.reject(new Error(`writer thread: ${answer.error}`));
  }

  /** The thread is gone: its pending writes fail (budget spend stays unwritten and is retried inline). */
  private dropRuns(reason: string): void {
    for (const run of this.runs.values()) run.reject(new Error(reason));
    this.runs.clear();
  }

  private writerFailed(event: ErrorEvent): void {
    this.options.onError?.(new Error(`request log writer thread failed: ${event.message}`));
    this.worker?.terminate();
    this.worker = undefined;
    this.dropRuns("the writer thread failed");
    for (const batch of this.inFlight.values()) this.queue.unshift(...batch);
    this.inFlight.clear();
    this.flushInline();
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  private acknowledged(message: { type: string; id: number; error?: string; refused?: Refusal[] }): void {
    const batch = this.inFlight.get(message.id);
    this.inFlight.delete(message.id);
    if (batch && message.type === "written") {
      const refused = message.refused ?? [];
      this.written += batch.length - refused.length;
      this.setAside(batch, refused);
    } else if (batch) {
      // Never drop a row: the batch goes back to the front of the queue and is tried again.
      this.queue.unshift(...batch);
      this.options.onError?.(new Error(`request log write failed: ${message.error}`));
      if (!this.closed) this.schedule(Math.max(this.options.flushIntervalMs, 250));
    }
    if (this.inFlight.size === 0) {
      const waiting = this.idle;
      this.idle = [];
      for (const resolve of waiting) resolve();
    }
  }

  /** O(1) on the request path: the row is written by the next flush. */
  record(row: QueuedRow): void {
    this.queue.push(row);
    if (this.queue.length >= this.options.batchSize) this.schedule(0);
    else this.schedule(this.options.flushIntervalMs);
  }

  /** Rows queued and not yet written. */
  pending(): number {
    let count = this.queue.length;
    for (const batch of this.inFlight.values()) count += batch.length;
    return count;
  }

  /** Rows written since start. */
  writtenCount(): number {
    return this.written;
  }

  deadLetteredCount(): number {
    return this.deadLetter.count();
  }

  /** The dead-letter file (undefined for an in-memory database, whose refused rows are kept in memory). */
  deadLetterPath(): string | undefined {
    return this.deadLetter.path;
  }

  importRows(rows: readonly QueuedRow[]): ImportResult {
    const result = this.importEach(rows);
    this.written += result.inserted;
    return result;
  }

  private setAside(batch: QueuedRow[], refused: Refusal[]): void {
    for (const { index, error } of refused) {
      const row = batch[index];
      if (row) this.deadLetter.add([row], error);
    }
  }

  /**
   * Writes every queued row now (with the writer thread: hands them over and resolves once they are written).
   * Rows that fail to write are put back at the front of the queue.
   */
  flush(): void | Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.worker) {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 500);
        const id = this.nextBatch++;
        this.inFlight.set(id, batch);
        this.worker.postMessage({ type: "write", id, rows: batch.map(toValues) });
      }
      if (this.inFlight.size === 0) return;
      return new Promise((resolve) => this.idle.push(resolve));
    }
    this.flushInline();
  }

  /** Writes the queue on this thread; false when a transient error left rows queued. */
  private flushInline(): boolean {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, 500);
      try {
        let refused: Refusal[] = [];
        try {
          this.insertBatch(batch);
        } catch (error) {
          if (!refusedBySqlite(error)) throw error;
          refused = this.insertEach(batch);
        }
        this.written += batch.length - refused.length;
        this.setAside(batch, refused);
      } catch (error) {
        this.queue.unshift(...batch);
        this.options.onError?.(error);
        if (!this.closed) this.schedule(Math.max(this.options.flushIntervalMs, 250));
        return false;
      }
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.worker) {
      await this.flush();
      this.worker.terminate();
      this.worker = undefined;
      this.dropRuns("the store is closed");
    }
    // Whatever the thread could not write (or all rows, inline) is written here, on this connection. A database
    // that stays locked or full gets a few tries; then the rows go to the dead-letter file, never nowhere.
    for (let attempt = 1; !this.flushInline(); attempt++) {
      if (attempt >= CLOSE_ATTEMPTS) {
        this.deadLetter.add(this.queue.splice(0), "not written before shutdown: the database kept failing");
        return;
      }
      await Bun.sleep((this.options.closeRetryMs ?? 50) * 2 ** attempt);
    }
  }

  read(options: ReadOptions = {}): LoggedRequest[] {
    const where: SQL[] = [];
    if (options.since !== undefined) where.push(gte(requests.time, options.since));
    if (options.withDecision) where.push(isNotNull(requests.decisionInput));
    return this.db
      .select()
      .from(requests)
      .where(and(...where))
      .orderBy(asc(requests.time))
      .limit(options.limit ?? -1)
      .all();
  }

  private schedule(delayMs: number): void {
    if (this.closed) {
      this.flush();
      return;
    }
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delayMs);
  }
}
