// The request log in PostgreSQL: rows are queued on the request path and written off it, one multi-row INSERT per batch.

import { and, asc, getTableColumns, gte, isNotNull, type SQL } from "drizzle-orm";
import type { Sql } from "postgres";
import type { RequestLogOptions } from "../request-log";
import { requests } from "../schema.pg";
import {
  JsonText,
  type LoggedRequest,
  type QueuedRow,
  type ReadOptions,
  type RequestLogStore,
} from "../types";
import type { PgDb } from "./keys";

const COLUMNS = Object.entries(getTableColumns(requests)).map(([field, column]) => ({
  field,
  name: column.name,
}));
const COLUMN_NAMES = COLUMNS.map((column) => column.name);
/** 30 columns × 500 rows stays far below PostgreSQL's 65,535 parameters per statement. */
const BATCH_ROWS = 500;
/** How often close() tries again before giving up on rows the database keeps refusing. */
const CLOSE_ATTEMPTS = 6;

function toColumns(row: QueuedRow): Record<string, unknown> {
  const record = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const { field, name } of COLUMNS) {
    const value = record[field] ?? null;
    out[name] = value instanceof JsonText ? value.toString() : value;
  }
  return out;
}

export class PgRequestLog implements RequestLogStore {
  private queue: QueuedRow[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private written = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly db: PgDb,
    private readonly ready: Promise<void>,
    private readonly options: RequestLogOptions,
  ) {}

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
        throw new Error(`request log: ${this.queue.length} rows could not be written to PostgreSQL`);
      }
      await Bun.sleep(100 * 2 ** attempt);
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
        // ON CONFLICT keeps a retried batch that did reach the database (reply lost) from failing forever.
        await this
          .sql`INSERT INTO requests ${this.sql(batch.map(toColumns) as never, COLUMN_NAMES)} ON CONFLICT (id) DO NOTHING`;
        this.written += batch.length;
      } catch (error) {
        this.queue.unshift(...batch);
        this.options.onError?.(error);
        if (!this.closed) this.schedule(Math.max(this.options.flushIntervalMs, 250));
        return;
      }
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
