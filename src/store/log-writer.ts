// The request-log writer thread: inserts batches into the SQLite file so that the event loop never waits on disk.
// Messages: {type:"open", path, sql} then {type:"write", id, rows} (rows as positional values); answers
// {type:"written"|"failed", id, error?}.

import { Database, type Statement } from "bun:sqlite";

declare const self: Worker;

type Message =
  | { type: "open"; path: string; sql: string }
  | { type: "write"; id: number; rows: Array<Array<string | number | null>> };

let insertBatch: ((rows: Array<Array<string | number | null>>) => void) | undefined;

self.onmessage = (event: MessageEvent<Message>) => {
  const message = event.data;
  if (message.type === "open") {
    const db = new Database(message.path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    const insert: Statement = db.prepare(message.sql);
    insertBatch = db.transaction((rows: Array<Array<string | number | null>>) => {
      for (const row of rows) insert.run(...row);
    });
    return;
  }
  try {
    if (!insertBatch) throw new Error("log writer used before it was opened");
    insertBatch(message.rows);
    self.postMessage({ type: "written", id: message.id });
  } catch (error) {
    self.postMessage({
      type: "failed",
      id: message.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
};
