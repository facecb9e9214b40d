// `spendex log import`: dead-letter rows go back into the log; what is still refused, or unreadable, stays.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLogCommand } from "../../src/cli/log";
import { openStore, type SqliteStore, type Store } from "../../src/store";
import { row } from "../store/suite";

let dir: string;
let store: SqliteStore;
let file: string;
const logs: string[] = [];
const originalLog = console.log;
const originalError = console.error;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "spendex-log-import-"));
  store = openStore({ url: `sqlite:${join(dir, "spendex.db")}` });
  file = store.log.deadLetterPath() as string;
  logs.length = 0;
  console.log = (...parts: unknown[]) => void logs.push(parts.join(" "));
  console.error = (...parts: unknown[]) => void logs.push(parts.join(" "));
});

afterEach(async () => {
  console.log = originalLog;
  console.error = originalError;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (
  value: Record<string, unknown>,
  error = "not written before shutdown: the database kept failing",
) => JSON.stringify({ at: "2026-11-26T10:00:00.000Z", error, row: value });

describe("spendex log import", () => {
  test("the default file is the one beside the SQLite database", () => {
    expect(file).toBe(join(dir, "spendex.db.deadletter.jsonl"));
  });

  test("imports new rows, skips rows already logged, keeps refused and unreadable lines with the new reason", async () => {
    store.log.record(row("dl-present", 1_000));
    store.log.flush();
    const lines = [
      entry(row("dl-new", 1_001)),
      entry(row("dl-present", 1_000)),
      entry({ ...row("dl-bad", 1_002), status: null }),
      "{not json",
      entry({ ...row("dl-new2", 1_003), stream: true, decisionInput: '{"now":"x"}' }),
    ];
    writeFileSync(file, `${lines.join("\n")}\n`);

    expect(await runLogCommand(["import"], store)).toBe(1);

    const ids = store.log.read().map((logged) => logged.id);
    expect(ids).toEqual(["dl-present", "dl-new", "dl-new2"]);
    expect(store.log.read().find((logged) => logged.id === "dl-new2")?.decisionInput).toBe('{"now":"x"}');
    const kept = readFileSync(file, "utf8").trim().split("\n");
    expect(kept).toHaveLength(2);
    const refused = JSON.parse(kept[0] as string) as { error: string; row: { id: string } };
    expect(refused.row.id).toBe("dl-bad");
    expect(refused.error.toLowerCase()).toContain("not null");
    expect(kept[1]).toBe("{not json");
    expect(readdirSync(dir).filter((name) => name.includes(".importing-"))).toEqual([]);
    const table = logs.join("\n");
    expect(table).toMatch(/entries\s+imported\s+already_in_log\s+still_refused\s+unreadable/);
    expect(table).toMatch(/\s5\s+2\s+1\s+1\s+1\s*$/m);
  });

  test("a clean import empties the file and exits 0; a second import finds nothing", async () => {
    writeFileSync(file, `${entry(row("dl-a", 2_000))}\n${entry(row("dl-b", 2_001))}\n`);
    expect(await runLogCommand(["import"], store)).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(store.log.read().map((logged) => logged.id)).toEqual(["dl-a", "dl-b"]);
    expect(await runLogCommand(["import"], store)).toBe(0);
    expect(logs.at(-1)).toContain("nothing to import");
  });

  test("picks up the file an interrupted import left behind", async () => {
    writeFileSync(`${file}.importing-1-1`, `${entry(row("dl-left", 3_000))}\n`);
    writeFileSync(file, `${entry(row("dl-new", 3_001))}\n`);
    expect(await runLogCommand(["import"], store)).toBe(0);
    expect(store.log.read().map((logged) => logged.id)).toEqual(["dl-left", "dl-new"]);
    expect(readdirSync(dir).filter((name) => name.includes("deadletter"))).toEqual([]);
  });

  test("a transient failure puts the whole file back and exits 1", async () => {
    const text = `${entry(row("dl-x", 4_000))}\n${entry(row("dl-y", 4_001))}\n`;
    writeFileSync(file, text);
    const locked = {
      log: {
        deadLetterPath: () => file,
        importRows: () => {
          throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
        },
      },
    } as unknown as Store;
    expect(await runLogCommand(["import"], locked)).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(readdirSync(dir).filter((name) => name.includes(".importing-"))).toEqual([]);
    expect(logs.join("\n")).toContain("database is locked");
  });

  test("--dry-run groups the entries by reason and changes nothing", async () => {
    const text = [
      entry(row("dl-1", 5_000)),
      entry(row("dl-2", 5_001)),
      entry(row("dl-3", 5_002), "NOT NULL constraint failed: requests.status"),
      "garbage",
    ].join("\n");
    writeFileSync(file, text);
    expect(await runLogCommand(["import", "--dry-run"], store)).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(store.log.read()).toEqual([]);
    const out = logs.join("\n");
    expect(out).toMatch(
      /^\s*2\s+2026-11-26T10:00:00.000Z\s+2026-11-26T10:00:00.000Z\s+not written before shutdown/m,
    );
    expect(out).toMatch(/^\s*1\s+.*NOT NULL constraint failed/m);
    expect(out).toContain("1 line(s) are not dead-letter entries");
  });

  test("an unknown action prints the usage and exits 2", async () => {
    expect(await runLogCommand(["export"], store)).toBe(2);
    expect(logs.join("\n")).toContain("usage: spendex log import");
  });
});
