// `spendex log import`: writes the rows set aside in the dead-letter file back into the request log, once the
// cause is fixed (a database that was down at shutdown, a constraint since relaxed). Nothing is lost on the way:
// the file is first renamed (a running server then appends new refusals to a fresh file), rows the database
// still refuses are appended back with the new reason, and an import that stops half-way leaves its renamed file
// for the next import to pick up.

import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import type { DeadLetterEntry, QueuedRow, Store } from "../store";
import { printTable } from "./table";

export const USAGE = `usage: spendex log import [--file PATH] [--dry-run]

Writes the rows of the request log's dead-letter file (default: the one the configured database uses) back
into the log. Rows already in the log are skipped; rows still refused stay in the file with the new reason.
--dry-run lists what the file holds, by reason, and changes nothing.`;

/** Rows per call to the store: one transaction each on SQLite. */
const CHUNK = 500;

interface Parsed {
  entries: DeadLetterEntry[];
  /** Lines that are not a dead-letter entry: kept in the file as they are. */
  unreadable: string[];
}

export async function runLogCommand(argv: string[], store: Store): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { file: { type: "string" }, "dry-run": { type: "boolean", default: false } },
  });
  if (action !== "import") {
    console.error(USAGE);
    return 2;
  }
  const path = values.file ?? store.log.deadLetterPath();
  if (!path) {
    console.error("spendex: this database keeps refused rows in memory only; pass --file PATH");
    return 2;
  }
  if (values["dry-run"]) return dryRun(path);
  const claimed = claim(path);
  if (claimed.length === 0) {
    console.log(`nothing to import: ${path} does not exist`);
    return 0;
  }
  const rows = [];
  let failed = false;
  for (const file of claimed) {
    const parsed = parse(readFileSync(file, "utf8"));
    let result: Awaited<ReturnType<typeof importEntries>>;
    try {
      result = await importEntries(store, parsed.entries);
    } catch (error) {
      // A transient failure (database locked or unreachable): the file goes back whole, nothing is counted.
      putBack(path, file, readFileSync(file, "utf8"));
      console.error(`spendex: import stopped, ${path} is unchanged: ${(error as Error).message}`);
      return 1;
    }
    const kept = [...result.refused.map((entry) => JSON.stringify(entry)), ...parsed.unreadable];
    putBack(path, file, kept.length > 0 ? `${kept.join("\n")}\n` : "");
    if (result.refused.length > 0 || parsed.unreadable.length > 0) failed = true;
    rows.push({
      file: basename(file),
      entries: parsed.entries.length + parsed.unreadable.length,
      imported: result.inserted,
      already_in_log: result.present,
      still_refused: result.refused.length,
      unreadable: parsed.unreadable.length,
    });
    for (const entry of result.refused.slice(0, 3)) console.error(`refused ${entry.row.id}: ${entry.error}`);
  }
  printTable(rows);
  if (failed) console.log(`\nrows not imported stay in ${path}`);
  return failed ? 1 : 0;
}

/**
 * Renames the file aside so a running server's new refusals start a fresh one, and picks up files an earlier
 * import left behind when it stopped half-way.
 */
function claim(path: string): string[] {
  const leftovers = leftoversOf(path);
  if (!existsSync(path)) return leftovers;
  const mine = `${path}.importing-${process.pid}-${Date.now()}`;
  renameSync(path, mine);
  return [...leftovers, mine];
}

/** Appends what must stay to the live file (as the server appends), then removes the claimed one. */
function putBack(path: string, claimed: string, text: string): void {
  if (text.length > 0) appendFileSync(path, text);
  rmSync(claimed, { force: true });
}

export function parse(text: string): Parsed {
  const parsed: Parsed = { entries: [], unreadable: [] };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      parsed.unreadable.push(line);
      continue;
    }
    if (isEntry(value)) parsed.entries.push(value);
    else parsed.unreadable.push(line);
  }
  return parsed;
}

function isEntry(value: unknown): value is DeadLetterEntry {
  const row = (value as { row?: unknown } | null)?.row as Record<string, unknown> | undefined;
  return (
    typeof row === "object" &&
    row !== null &&
    typeof row.id === "string" &&
    typeof row.time === "number" &&
    typeof (value as { error?: unknown }).error === "string"
  );
}

async function importEntries(store: Store, entries: readonly DeadLetterEntry[]) {
  const refused: DeadLetterEntry[] = [];
  let inserted = 0;
  let present = 0;
  const at = new Date().toISOString();
  for (let start = 0; start < entries.length; start += CHUNK) {
    const chunk = entries.slice(start, start + CHUNK);
    const result = await store.log.importRows(chunk.map((entry) => entry.row as QueuedRow));
    inserted += result.inserted;
    present += result.present;
    for (const { index, error } of result.refused) {
      const entry = chunk[index];
      if (entry) refused.push({ at, error, row: entry.row });
    }
  }
  return { inserted, present, refused };
}

function dryRun(path: string): number {
  const files = [path, ...leftoversOf(path)].filter((file) => existsSync(file));
  if (files.length === 0) {
    console.log(`nothing to import: ${path} does not exist`);
    return 0;
  }
  const byReason = new Map<string, { rows: number; first: string; last: string }>();
  let unreadable = 0;
  for (const file of files) {
    const parsed = parse(readFileSync(file, "utf8"));
    unreadable += parsed.unreadable.length;
    for (const entry of parsed.entries) {
      const group = byReason.get(entry.error) ?? { rows: 0, first: entry.at, last: entry.at };
      group.rows += 1;
      if (entry.at < group.first) group.first = entry.at;
      if (entry.at > group.last) group.last = entry.at;
      byReason.set(entry.error, group);
    }
  }
  printTable(
    [...byReason].map(([reason, group]) => ({
      rows: group.rows,
      first_set_aside: group.first,
      last_set_aside: group.last,
      reason: reason.length > 100 ? `${reason.slice(0, 97)}...` : reason,
    })),
  );
  if (unreadable > 0)
    console.log(`\n${unreadable} line(s) are not dead-letter entries and would be kept as they are`);
  return 0;
}

function leftoversOf(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.importing-`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix))
    .map((name) => join(dir, name));
}
