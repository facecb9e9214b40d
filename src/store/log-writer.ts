// The SQLite writer thread: inserts request-log batches (and runs the budget writes) on its own connection, so
// that the event loop never waits on disk, on a WAL checkpoint or on a busy lock.
// Messages: {type:"open", path, sql, statements} then {type:"write", id, rows} (rows as positional values), answered
// {type:"written", id, refused?: [{index, error}]} or {type:"failed", id, error} (transient: the batch is retried);
// and {type:"run", id, statement, params}, answered {type:"ran", id, value} (the first column of the row the
// statement returned, or null) or {type:"run-failed", id, error}.

import { Database, type Statement } from "bun:sqlite";
import { refusedBySqlite } from "./dead-letter";

declare const self: Worker;

type Message =
  | { type: "open"; path: string; sql: string; statements: Record<string, string> }
  | { type: "write"; id: number; rows: Array<Array<string | number | null>> }
  | { type: "run"; id: number; statement: string; params: Array<string | number> };

type Values = Array<string | number | null>;
let insertBatch: ((rows: Values[]) => void) | undefined;
/** Inserts row by row in one transaction; returns the rows SQLite refused (a transient error still throws). */
let insertEach: ((rows: Values[]) => Array<{ index: number; error: string }>) | undefined;
const statements = new Map<string, Statement>();

self.onmessage = (event: MessageEvent<Message>) => {
  const message = event.data;
  if (message.type === "open") {
    const db = new Database(message.path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    const insert: Statement = db.prepare(message.sql);
    insertBatch = db.transaction((rows: Values[]) => {
      for (const row of rows) insert.run(...row);
    });
    insertEach = db.transaction((rows: Values[]) => {
      const refused: Array<{ index: number; error: string }> = [];
      rows.forEach((row, index) => {
        try {
          insert.run(...row);
        } catch (error) {
          if (!refusedBySqlite(error)) throw error;
          refused.push({ index, error: error instanceof Error ? error.message : String(error) });
        }
      });
      return refused;
    });
    for (const [name, sql] of Object.entries(message.statements)) statements.set(name, db.prepare(sql));
    return;
  }
  if (message.type === "run") {
    try {
      const statement = statements.get(message.statement);
      if (!statement) throw new Error(`writer thread has no statement '${message.statement}'`);
      const row = statement.values(...message.params)[0];
      self.postMessage({ type: "ran", id: message.id, value: row?.[0] ?? null });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      self.postMessage({ type: "run-failed", id: message.id, error: text });
    }
    return;
  }
  try {
    if (!insertBatch || !insertEach) throw new Error("log writer used before it was opened");
    try {
      insertBatch(message.rows);
      self.postMessage({ type: "written", id: message.id });
    } catch (error) {
      if (!refusedBySqlite(error)) throw error;
      // Some row cannot be stored: write the others, name the refused ones.
      self.postMessage({ type: "written", id: message.id, refused: insertEach(message.rows) });
    }
  } catch (error) {
    self.postMessage({
      type: "failed",
      id: message.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
};
