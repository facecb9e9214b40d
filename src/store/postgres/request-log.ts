// The request log in PostgreSQL: rows are queued on the request path and written off it, one multi-row INSERT per batch.

import { and, asc, getTableColumns, gte, isNotNull, type SQL } from "drizzle-orm";
import type { Sql } from "postgres";
import { DeadLetter, refusedByPostgres } from "../dead-letter";
import type { RequestLogOptions } from "../request-log";
import { requests } from "../schema.pg";
import {
  type ImportResult,
  JsonText,
  type LoggedRequest,
  type QueuedRow,
  type ReadOptions,
  type RequestLogStore,
} from "../types";
import type { PgDb } from "./keys";

// A row without a field that has a default (a dead-lettered row from an older version) takes the default, not NULL.
const COLUMNS = Object.entries(getTableColumns(requests)).map(([field, column]) => ({
  field,
  name: column.name,
  absent: column.hasDefault ? (column.default as unknown) : null,
}));
const COLUMN_NAMES = COLUMNS.map((column) => column.name);
/** 30 columns × 500 rows stays far below PostgreSQL's 65,535 parameters per statement. */
const BATCH_ROWS = 500;
/** How often close() tries again (database unreachable) before setting the rows aside in the dead-letter file. */
const CLOSE_ATTEMPTS = 6;
const DEFAULT_DEAD_LETTER = "./data/spendex-log.deadletter.jsonl";
const NUL = /\u0000/g;

function toColumns(row: QueuedRow): Record<string, unknown> {
  const record = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const { field, name, absent } of COLUMNS) {
    const value = record[field] === undefined ? absent : record[field];
    const text = value instanceof JsonText ? value.toString() : value;
    // PostgreSQL text cannot hold NUL (a `user` or agent name may carry one): stored as U+FFFD, not refused.
    out[name] = typeof text === "string" && text.includes("\u0000") ? text.replace(NUL, "\uFFFD") : text;
  }
  return out;
}

export class PgRequestLog implements RequestLogStore {
  private queue: QueuedRow[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private written = 0;
  private inFlight: Promise<void> | undefined;
  private readonly deadLetter: DeadLetter;

  constructor(
    private readonly sql: Sql,
    private readonly db: PgDb,
    private readonly ready: Promise<void>,
    private readonly options: RequestLogOptions,
  ) {
    this.deadLetter = new DeadLetter(options.deadLetterPath ?? DEFAULT_DEAD_LETTER, options.onError);
  }

  record(row: QueuedRow): void {
    this.queue.push(row);
    if (this.queue.length >= this.options.batchSize) this.schedule(0);
    else this.schedule(this.options.flushIntervalMs);
  }

  pending(): number {
    return this.queue.length;
  }

  writtenCount(): number {
    return this.written;
  }

  deadLetteredCount(): number {
    return this.deadLetter.count();
  }

  deadLetterPath(): string | undefined {
    return this.deadLetter.path;
  }

  /** Writes every queued row; one writer at a time, so batches keep their order and nothing is written twice. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.inFlight ??= this.drain().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (let attempt = 1; ; attempt++) {
      await this.flush();
      if (this.queue.length === 0) return;
      if (attempt >= CLOSE_ATTEMPTS) {
        this.deadLetter.add(this.queue.splice(0), "not written before shutdown: PostgreSQL kept failing");
        return;
      }
      await Bun.sleep((this.options.closeRetryMs ?? 100) * 2 ** attempt);
    }
  }

  async read(options: ReadOptions = {}): Promise<LoggedRequest[]> {
    await this.ready;
    const where: SQL[] = [];
    if (options.since !== undefined) where.push(gte(requests.time, options.since));
    if (options.withDecision) where.push(isNotNull(requests.decisionInput));
    const query = this.db
      .select()
      .from(requests)
      .where(and(...where))
      .orderBy(asc(requests.time));
    return options.limit === undefined ? await query : await query.limit(options.limit);
  }

  private async drain(): Promise<void> {
    await this.ready;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_ROWS);
      try {
        try {
          await this.insert(batch);
          this.written += batch.length;
        } catch (error) {
          if (!refusedByPostgres(error)) throw error;
          await this.insertEach(batch);
        }
      } catch (error) {
        this.queue.unshift(...batch);
        this.options.onError?.(error);
        if (!this.closed) this.schedule(Math.max(this.options.flushIntervalMs, 250));
        return;
      }
    }
  }

  async importRows(rows: readonly QueuedRow[]): Promise<ImportResult> {
    await this.ready;
    const result: ImportResult = { inserted: 0, present: 0, refused: [] };
    for (const [index, row] of rows.entries()) {
      try {
        const written = await this
          .sql`INSERT INTO requests ${this.sql([toColumns(row)] as never, COLUMN_NAMES)} ON CONFLICT (id) DO NOTHING RETURNING id`;
        if (written.length > 0) result.inserted += 1;
        else result.present += 1;
      } catch (error) {
        if (!refusedByPostgres(error)) throw error;
        result.refused.push({ index, error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.written += result.inserted;
    return result;
  }

  // ON CONFLICT keeps a retried batch that did reach the database (reply lost) from failing forever.
  private async insert(rows: QueuedRow[]): Promise<void> {
    await this
      .sql`INSERT INTO requests ${this.sql(rows.map(toColumns) as never, COLUMN_NAMES)} ON CONFLICT (id) DO NOTHING`;
  }

  /**
   * A batch failed on a row PostgreSQL can never store: each row is tried alone, the refused ones set aside.
   * A transient error on the way throws with the rest still to write, and they are requeued by the caller.
   */
  private async insertEach(batch: QueuedRow[]): Promise<void> {
    while (batch.length > 0) {
      const row = batch[0] as QueuedRow;
      try {
        await this.insert([row]);
        this.written += 1;
      } catch (error) {
        if (!refusedByPostgres(error)) throw error;
        this.deadLetter.add([row], error);
      }
      batch.shift();
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) {
      this.flush().catch((error) => this.options.onError?.(error));
      return;
    }
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error) => this.options.onError?.(error));
    }, delayMs);
  }
}
