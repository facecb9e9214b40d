// The repository behaviour every backend must show; each backend opts in with one line in repositories.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestRow, Store, StoreOptions } from "../../src/store";
import { unique } from "./services";

export interface Backend {
  /** A fresh, empty database: its URL and how to remove it. */
  create(): Promise<{ url: string; drop(): Promise<void> }>;
}

export interface SuiteOptions {
  /** Why the suite cannot run here; it is then skipped under a name that says so. */
  skip?: string;
}

export function row(id: string, time: number): RequestRow {
  return {
    id,
    time,
    keyId: "k",
    status: 200,
    stream: false,
    outcome: "complete",
    promptTokens: 10,
    cachedTokens: 0,
    completionTokens: 5,
    costUsd: 0.0001,
    savedUsd: 0,
    totalMs: 1.5,
    stages: "{}",
    attempts: "[]",
  };
}

export function repositorySuite(name: string, backend: Backend, options: SuiteOptions = {}): void {
  describe.skipIf(options.skip !== undefined)(options.skip ? `${name} — ${options.skip}` : name, () => {
    let database: { url: string; drop(): Promise<void> };
    const opened: Store[] = [];
    const open = async (log?: StoreOptions["log"]) => {
      const store = (await import("../../src/store")).openStore({
        url: database.url,
        ...(log ? { log } : {}),
      });
      await store.ready;
      opened.push(store);
      return store;
    };
    beforeAll(async () => {
      database = await backend.create();
    });
    afterAll(async () => {
      for (const store of opened) await store.close().catch(() => {});
      await database.drop();
    });

    test("keys: create, byId, byName, list, revoke once, duplicate names refused", async () => {
      const store = await open();
      const name = unique("key");
      const issued = await store.keys.create({
        name,
        env: "test",
        team: "growth",
        allowedProviders: ["openai"],
      });
      expect(issued.key).toStartWith(`spx_sk_test_${issued.record.id}`);
      expect(await store.keys.byId(issued.record.id)).toEqual(issued.record);
      expect((await store.keys.byName(name))?.allowedProviders).toEqual(["openai"]);
      expect(await store.keys.byId("nope0000")).toBeUndefined();
      expect((await store.keys.list()).map((key) => key.name)).toContain(name);
      await expect(Promise.resolve().then(() => store.keys.create({ name, env: "live" }))).rejects.toThrow(
        "already exists",
      );
      expect(await store.keys.revoke(name)).toBe(true);
      expect(await store.keys.revoke(name)).toBe(false);
      expect((await store.keys.byId(issued.record.id))?.revokedAt).toBeNumber();
    });

    test("keys: an rpm limit is stored at creation, changed, removed; a revoked key's is not", async () => {
      const store = await open();
      const name = unique("limited");
      const issued = await store.keys.create({ name, env: "live", rpmLimit: 30 });
      expect(issued.record.rpmLimit).toBe(30);
      expect((await store.keys.byId(issued.record.id))?.rpmLimit).toBe(30);
      expect(await store.keys.setRpmLimit(name, 600)).toBe(true);
      expect((await store.keys.byName(name))?.rpmLimit).toBe(600);
      expect(await store.keys.setRpmLimit(name, null)).toBe(true);
      expect((await store.keys.byName(name))?.rpmLimit).toBeNull();
      const plain = await store.keys.create({ name: unique("plain"), env: "live" });
      expect(plain.record.rpmLimit).toBeNull();
      expect(await store.keys.setRpmLimit(unique("absent"), 5)).toBe(false);
      await store.keys.revoke(name);
      expect(await store.keys.setRpmLimit(name, 5)).toBe(false);
      expect((await store.keys.byName(name))?.rpmLimit).toBeNull();
    });

    test("budgets: set (upsert), list, remove, spend of an unused period is zero", async () => {
      const store = await open();
      const name = unique("team");
      await store.budgets.set({ scope: "team", name, period: "day", limitUsd: 5 });
      await store.budgets.set({ scope: "team", name, period: "month", limitUsd: 7.5 });
      const mine = (await store.budgets.list()).filter((budget) => budget.name === name);
      expect(mine).toEqual([{ scope: "team", name, period: "month", limitUsd: 7.5 }]);
      expect(await store.budgets.spend("team", name, 0)).toEqual({
        spentUsd: 0,
        reservedUsd: 0,
        alertsSent: 0,
      });
      await store.budgets.setReserved("team", name, 0, 0.25);
      expect((await store.budgets.spend("team", name, 0)).reservedUsd).toBe(0.25);
      expect(await store.budgets.remove("team", name)).toBe(true);
      expect(await store.budgets.remove("team", name)).toBe(false);
    });

    test("budgets: 50 concurrent addSpend calls from two connections lose no increment", async () => {
      const [first, second] = [await open(), await open()];
      const name = unique("agent");
      const totals = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? first : second).budgets.addSpend("agent", name, 1_000, 0.01),
        ),
      );
      expect((await first.budgets.spend("agent", name, 1_000)).spentUsd).toBeCloseTo(0.5, 10);
      // Every call saw its own increment land: the totals are 0.01, 0.02, ... 0.50 in some order.
      expect(new Set(totals.map((total) => Math.round(total * 100))).size).toBe(50);
    });

    test("budgets: markAlerts hands each bit to exactly one caller, across connections", async () => {
      const [first, second] = [await open(), await open()];
      const name = unique("key");
      const fresh = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? first : second).budgets.markAlerts("key", name, 0, 3),
        ),
      );
      expect(fresh.filter((bits) => bits === 3)).toHaveLength(1);
      expect(fresh.filter((bits) => bits === 0)).toHaveLength(9);
      expect(await second.budgets.markAlerts("key", name, 0, 7)).toBe(4);
      expect((await first.budgets.spend("key", name, 0)).alertsSent).toBe(7);
    });

    test("request log: batched writes, flush, and close writes every queued row exactly once", async () => {
      const store = await open({ batchSize: 100, flushIntervalMs: 5 });
      const start = Date.now();
      for (let i = 0; i < 150; i++) store.log.record(row(`a${i}`, start + i));
      await store.log.flush();
      expect(store.log.pending()).toBe(0);
      expect(await store.log.read({ since: start })).toHaveLength(150);
      for (let i = 0; i < 1_234; i++) store.log.record(row(`b${i}`, start + 150 + i));
      expect(store.log.pending()).toBeGreaterThan(0);
      await store.close();
      expect(store.log.writtenCount()).toBe(1_384);
      const reader = await open();
      const rows = await reader.log.read({ since: start });
      expect(rows).toHaveLength(1_384);
      expect(new Set(rows.map((logged) => logged.id)).size).toBe(1_384);
      // `row()` has no usageEstimated, like a dead-lettered row from before the column: it takes the default.
      expect(rows[0]).toMatchObject({
        id: "a0",
        stream: false,
        costUsd: 0.0001,
        totalMs: 1.5,
        usageEstimated: false,
      });
      expect(await reader.log.read({ since: start, limit: 10, withDecision: true })).toEqual([]);
    });

    test("request log: importRows writes new rows, counts rows already present, names refused ones", async () => {
      const store = await open();
      const start = Date.now();
      const prefix = `import-${start}`;
      store.log.record(row(`${prefix}-present`, start));
      await store.log.flush();
      const result = await store.log.importRows([
        row(`${prefix}-new`, start + 1),
        row(`${prefix}-present`, start),
        { ...row(`${prefix}-bad`, start + 2), status: null as unknown as number },
        { ...row(`${prefix}-new2`, start + 3), stream: true },
      ]);
      expect(result.inserted).toBe(2);
      expect(result.present).toBe(1);
      expect(result.refused.map((refusal) => refusal.index)).toEqual([2]);
      expect(result.refused[0]?.error.toLowerCase()).toContain("null");
      const stored = (await store.log.read({ since: start })).filter((logged) =>
        logged.id.startsWith(prefix),
      );
      expect(stored.map((logged) => [logged.id, logged.stream])).toEqual([
        [`${prefix}-present`, false],
        [`${prefix}-new`, false],
        [`${prefix}-new2`, true],
      ]);
    });

    for (const writer of ["inline", "thread"] as const) {
      test(`request log (${writer} writer): a row the database refuses is set aside in the dead-letter file and the rest of its batch is written`, async () => {
        const dir = mkdtempSync(join(tmpdir(), "spendex-dead-letter-"));
        const deadLetterPath = join(dir, "refused.jsonl");
        const errors: unknown[] = [];
        try {
          const store = await open({
            batchSize: 100,
            flushIntervalMs: 5,
            writer,
            deadLetterPath,
            onError: (error) => errors.push(error),
          });
          const start = Date.now();
          const prefix = `dl-${writer}-${start}`;
          store.log.record(row(`${prefix}-a`, start));
          // NOT NULL column without a value: no database can ever store this row.
          store.log.record({ ...row(`${prefix}-bad`, start + 1), status: null as unknown as number });
          // PostgreSQL text cannot hold NUL; the row must still be stored.
          store.log.record({ ...row(`${prefix}-nul`, start + 2), agent: "x\u0000y" });
          store.log.record(row(`${prefix}-c`, start + 3));
          await store.log.flush();
          expect(store.log.pending()).toBe(0);
          expect(store.log.deadLetteredCount()).toBe(1);
          const stored = (await store.log.read({ since: start })).filter((logged) =>
            logged.id.startsWith(prefix),
          );
          expect(stored.map((logged) => logged.id)).toEqual([`${prefix}-a`, `${prefix}-nul`, `${prefix}-c`]);
          expect(stored[1]?.agent).toBe(name === "postgres" ? "x\uFFFDy" : "x\u0000y");
          const lines = readFileSync(deadLetterPath, "utf8").trim().split("\n");
          expect(lines).toHaveLength(1);
          const entry = JSON.parse(lines[0] as string) as {
            error: string;
            row: { id: string; costUsd: number };
          };
          expect(entry.row).toMatchObject({ id: `${prefix}-bad`, costUsd: 0.0001 });
          expect(entry.error.toLowerCase()).toContain("null");
          expect(errors.some((error) => String(error).includes("refused by the database"))).toBe(true);
          // The queue is not blocked: later rows are written as usual.
          store.log.record(row(`${prefix}-d`, start + 4));
          await store.log.flush();
          expect(store.log.pending()).toBe(0);
          expect(
            (await store.log.read({ since: start + 4 })).some((logged) => logged.id === `${prefix}-d`),
          ).toBe(true);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}
