// The request-log writer thread: inserts batches into the SQLite file so that the event loop never waits on disk.
// Messages: {type:"open", path, sql} then {type:"write", id, rows} (rows as positional values); answers
// {type:"written", id, refused?: [{index, error}]} or {type:"failed", id, error} (transient: the batch is retried).

import { Database, type Statement } from "bun:sqlite";
import { refusedBySqlite } from "./dead-letter";

declare const self: Worker;

type Message =
  | { type: "open"; path: string; sql: string }
  | { type: "write"; id: number; rows: Array<Array<string | number | null>> };

type Values = Array<string | number | null>;
let insertBatch: ((rows: Values[]) => void) | undefined;
/** Inserts row by row in one transaction; returns the rows SQLite refused (a transient error still throws). */
let insertEach: ((rows: Values[]) => Array<{ index: number; error: string }>) | undefined;

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
