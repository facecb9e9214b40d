// The repository suite over each backend (one line each), and what only PostgreSQL has to prove: failed batches retry.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { runLogCommand } from "../../src/cli/log";
import { openStore, type Store } from "../../src/store";
import { createTestDatabase, postgresReachable, SKIP_POSTGRES } from "./services";
import { repositorySuite, row } from "./suite";

const sqlite = {
  async create() {
    const dir = mkdtempSync(join(tmpdir(), "spendex-store-"));
    return {
      url: `sqlite:${join(dir, "store.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};
const pg = await postgresReachable();

repositorySuite("sqlite", sqlite);
repositorySuite("postgres", { create: createTestDatabase }, pg ? {} : { skip: SKIP_POSTGRES });

describe("sqlite budget writes on the writer thread", () => {
  test("spend and reservations are written by the thread, add up with an inline connection, and close settles", async () => {
    const { url, drop } = await sqlite.create();
    const threaded = openStore({ url, log: { batchSize: 32, flushIntervalMs: 5, writer: "thread" } });
    const inline = openStore({ url, log: { batchSize: 32, flushIntervalMs: 5, writer: "inline" } });
    try {
      // Off the event loop: the threaded store answers with a promise, the inline one with the value itself.
      const first = threaded.budgets.addSpend("key", "k", 0, 0.25);
      expect(first).toBeInstanceOf(Promise);
      expect(await first).toBe(0.25);
      expect(inline.budgets.addSpend("key", "k", 0, 0.5)).toBe(0.75);
      const totals = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? inline : threaded).budgets.addSpend("key", "k", 0, 0.01),
        ),
      );
      expect(new Set(totals.map((total) => Math.round(total * 100))).size).toBe(40);
      expect(Math.max(...totals)).toBeCloseTo(1.15, 10);
      await threaded.budgets.setReserved("key", "k", 0, 0.125);
      const spend = await inline.budgets.spend("key", "k", 0);
      expect(spend.spentUsd).toBeCloseTo(1.15, 10);
      expect(spend.reservedUsd).toBe(0.125);
      await threaded.close();
    } finally {
      await inline.close();
      await drop();
    }
  });
});

describe.skipIf(!pg)(pg ? "postgres request log" : `postgres request log — ${SKIP_POSTGRES}`, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  test("a batch the database refuses stays queued and is written once the table is back", async () => {
    const errors: unknown[] = [];
    const store: Store = openStore({
      url: database.url,
      log: { batchSize: 1_000, flushIntervalMs: 5, onError: (error) => errors.push(error) },
    });
    await store.ready;
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      await admin`ALTER TABLE requests RENAME TO requests_away`;
      for (let i = 0; i < 20; i++) store.log.record(row(`r${i}`, Date.now()));
      await store.log.flush();
      expect(errors.length).toBeGreaterThan(0);
      expect(store.log.pending()).toBe(20);
      await admin`ALTER TABLE requests_away RENAME TO requests`;
      await store.close();
      expect(store.log.pending()).toBe(0);
      const [count] = await admin`select count(*)::int as n from requests`;
      expect(count?.n).toBe(20);
    } finally {
      await admin.end();
    }
  });

  test("rows PostgreSQL keeps refusing at shutdown are set aside, and `log import` writes them once it is back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spendex-pg-close-"));
    const deadLetterPath = join(dir, "log.deadletter.jsonl");
    const errors: unknown[] = [];
    const log = { batchSize: 1_000, flushIntervalMs: 5, closeRetryMs: 1, deadLetterPath };
    const store: Store = openStore({ url: database.url, log: { ...log, onError: (e) => errors.push(e) } });
    await store.ready;
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      await admin`ALTER TABLE requests RENAME TO requests_gone`;
      const start = Date.now();
      for (let i = 0; i < 5; i++) store.log.record(row(`closing-${i}`, start + i));
      await store.close();
      expect(store.log.pending()).toBe(0);
      expect(store.log.deadLetteredCount()).toBe(5);
      const lines = readFileSync(deadLetterPath, "utf8").trim().split("\n");
      expect(lines.map((line) => (JSON.parse(line) as { row: { id: string } }).row.id)).toEqual(
        [0, 1, 2, 3, 4].map((i) => `closing-${i}`),
      );
      expect(lines[0]).toContain("not written before shutdown");

      await admin`ALTER TABLE requests_gone RENAME TO requests`;
      const again = openStore({ url: database.url, log });
      await again.ready;
      const printed: string[] = [];
      const print = console.log;
      console.log = (...parts: unknown[]) => void printed.push(parts.join(" "));
      try {
        expect(await runLogCommand(["import"], again)).toBe(0);
      } finally {
        console.log = print;
        await again.close();
      }
      expect(printed.join("\n")).toMatch(/\s5\s+5\s+0\s+0\s+0\s*$/m);
      const ids = await admin`select id from requests where id like 'closing-%' order by time`;
      expect(ids.map((r) => r.id)).toEqual([0, 1, 2, 3, 4].map((i) => `closing-${i}`));
      expect(existsSync(deadLetterPath)).toBe(false);
    } finally {
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an unsupported or malformed DATABASE_URL fails with a message naming the forms", () => {
    expect(() => openStore({ url: "mysql://localhost/db" })).toThrow("use sqlite:PATH or postgres://");
    expect(() => openStore({ url: "postgres://exa mple:99999/x" })).toThrow("not a valid postgres:// URL");
  });

  test("an unreachable server rejects ready with host and database, never the password", async () => {
    const store = openStore({ url: "postgres://root:secret@127.0.0.1:1/nowhere" });
    const error = (await store.ready.catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("cannot open PostgreSQL at 127.0.0.1:1/nowhere");
    expect(error.message).not.toContain("secret");
    expect(await store.ping()).toBe(false);
    await store.close();
  });
});
