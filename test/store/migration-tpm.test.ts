// Upgrading a database made before per-key token limits (at migration 0003): its keys keep their requests limit and
// get no token limit, on both backends.

import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle as drizzleSqlite } from "drizzle-orm/bun-sqlite";
import { migrate as migrateSqlite } from "drizzle-orm/bun-sqlite/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/postgres-js";
import { migrate as migratePg } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { openStore, type Store } from "../../src/store";
import { createTestDatabase, postgresReachable, SKIP_POSTGRES } from "./services";

const dir = mkdtempSync(join(tmpdir(), "spendex-migrate-tpm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a migrations folder holding only its first `count` migrations: the schema of an older release. */
function olderMigrations(folder: string, count: number): string {
  const out = join(dir, `${folder}-${count}`);
  cpSync(join(import.meta.dir, "../../src/store", folder), out, { recursive: true });
  const journalPath = join(out, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: Array<{ tag: string }> };
  expect(journal.entries.map((entry) => entry.tag)).toContain("0004_key_tpm_limit");
  journal.entries = journal.entries.slice(0, count);
  writeFileSync(journalPath, JSON.stringify(journal));
  return out;
}

const OLD_KEY = {
  id: "Old00001",
  name: "from-before",
  env: "live",
  hash: "0".repeat(64),
  last4: "abcd",
  created_at: 1_700_000_000_000,
  rpm_limit: 60,
};

async function expectUpgraded(store: Store): Promise<void> {
  await store.ready;
  const old = await store.keys.byId(OLD_KEY.id);
  expect(old?.name).toBe("from-before");
  expect([old?.rpmLimit, old?.tpmLimit]).toEqual([60, null]);
  expect(await store.keys.setTpmLimit("from-before", 200_000)).toBe(true);
  expect(await store.keys.byId(OLD_KEY.id)).toMatchObject({ rpmLimit: 60, tpmLimit: 200_000 });
  expect(await store.keys.setTpmLimit("from-before", null)).toBe(true);
  expect(await store.keys.setTpmLimit("no-such-key", 5)).toBe(false);
  expect(await store.keys.byId(OLD_KEY.id)).toMatchObject({ rpmLimit: 60, tpmLimit: null });
  await store.close();
}

test("sqlite: 0004 adds tpm_limit to a database at 0003", async () => {
  const file = join(dir, "old.db");
  const sqlite = new Database(file);
  migrateSqlite(drizzleSqlite(sqlite), { migrationsFolder: olderMigrations("migrations", 4) });
  sqlite
    .query(
      "INSERT INTO api_keys (id, name, env, hash, last4, created_at, rpm_limit) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .run(
      OLD_KEY.id,
      OLD_KEY.name,
      OLD_KEY.env,
      OLD_KEY.hash,
      OLD_KEY.last4,
      OLD_KEY.created_at,
      OLD_KEY.rpm_limit,
    );
  expect(
    sqlite.query("SELECT name FROM pragma_table_info('api_keys') WHERE name = 'tpm_limit'").all(),
  ).toEqual([]);
  sqlite.close();
  await expectUpgraded(openStore({ url: `sqlite:${file}` }));
});

const pg = await postgresReachable();
describe.skipIf(!pg)(pg ? "postgres" : `postgres — ${SKIP_POSTGRES}`, () => {
  test("postgres: 0004 adds tpm_limit to a database at 0003", async () => {
    const database = await createTestDatabase();
    try {
      const client = postgres(database.url, { max: 1, onnotice: () => {} });
      await migratePg(drizzlePg(client), { migrationsFolder: olderMigrations("migrations-pg", 4) });
      await client`INSERT INTO api_keys ${client(OLD_KEY)}`;
      const columns =
        await client`SELECT column_name FROM information_schema.columns WHERE table_name = 'api_keys' AND column_name = 'tpm_limit'`;
      expect(columns.length).toBe(0);
      await client.end({ timeout: 1 });
      await expectUpgraded(openStore({ url: database.url }));
    } finally {
      await database.drop();
    }
  });
});
