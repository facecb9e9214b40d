// `bun bench/log-insert.ts`: what the request log's primary key costs per inserted row, random ids (UUIDv4)
// against time-ordered ids (UUIDv7), in batches of 100 into a table that already holds 100,000 rows, with the
// real schema's columns and indexes (one prepared statement per batch transaction, as the writer thread does).

import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatTable } from "../src/cli/table";
import { progress } from "./lib";

const PREFILL = 100_000;
const MEASURED = 50_000;
const BATCH = 100;

type Row = Array<string | number | null>;
const ids = {
  random: () => `req_${crypto.randomUUID().replaceAll("-", "")}`,
  "time-ordered": () => `req_${Bun.randomUUIDv7().replaceAll("-", "")}`,
};

function row(id: string): Row {
  return [
    id,
    Date.now(),
    "key_1",
    "bench",
    "gpt-5-nano",
    "gpt-5-nano",
    "openai",
    "simple",
    200,
    0,
    21,
    0,
    12,
  ];
}

let runs = 0;
function run(kind: keyof typeof ids, dir: string): number {
  runs += 1;
  const path = join(dir, `${kind}-${runs}.db`);
  const db = new Database(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  db.exec(
    "CREATE TABLE requests (id TEXT PRIMARY KEY, time INTEGER NOT NULL, key_id TEXT, key_name TEXT, requested_model TEXT, routed_model TEXT, provider TEXT, tier TEXT, status INTEGER NOT NULL, cached_tokens INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL)",
  );
  db.exec(
    "CREATE INDEX requests_time ON requests(time); CREATE INDEX requests_key ON requests(key_id, time)",
  );
  const insert = db.prepare(`INSERT OR IGNORE INTO requests VALUES (${Array(13).fill("?").join(", ")})`);
  const batch = db.transaction((rows: Row[]) => {
    for (const values of rows) insert.run(...values);
  });
  const make = () => Array.from({ length: BATCH }, () => row(ids[kind]()));
  for (let i = 0; i < PREFILL / BATCH; i++) batch(make());
  const batches = Array.from({ length: MEASURED / BATCH }, make);
  const start = performance.now();
  for (const rows of batches) batch(rows);
  const perRow = ((performance.now() - start) * 1000) / MEASURED;
  db.close();
  return perRow;
}

const dir = mkdtempSync(join(tmpdir(), "spendex-log-insert-"));
try {
  const results: Record<string, number[]> = { random: [], "time-ordered": [] };
  for (let round = 1; round <= 2; round++) {
    for (const kind of Object.keys(ids) as Array<keyof typeof ids>) {
      results[kind]?.push(run(kind, dir));
      progress(`round ${round}/2 ${kind}`);
    }
  }
  console.log(
    formatTable(
      Object.entries(results).map(([kind, values]) => ({
        request_id: kind,
        us_per_row_best: Math.min(...values).toFixed(2),
        us_per_row_runs: values.map((v) => v.toFixed(2)).join(" / "),
      })),
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
