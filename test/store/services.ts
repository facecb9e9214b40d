// Test support: the local PostgreSQL and Redis, a fresh database per test file, and a clear reason when absent.

import Redis from "ioredis";
import postgres from "postgres";

/** The server holding the test databases; override with SPENDEX_TEST_POSTGRES (any database on that server). */
export const POSTGRES_URL = process.env.SPENDEX_TEST_POSTGRES ?? "postgres://root@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.SPENDEX_TEST_REDIS ?? "redis://127.0.0.1:6379";

export const SKIP_POSTGRES = `SKIPPED: no PostgreSQL at ${new URL(POSTGRES_URL).host} (set SPENDEX_TEST_POSTGRES)`;
export const SKIP_REDIS = `SKIPPED: no Redis at ${new URL(REDIS_URL).host} (set SPENDEX_TEST_REDIS)`;

export async function postgresReachable(): Promise<boolean> {
  const sql = postgres(POSTGRES_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function redisReachable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates `spendex_test_<random>` and returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = unique("spendex_test");
  const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      try {
        // FORCE ends connections a failed test may have left open.
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end({ timeout: 1 });
      }
    },
  };
}

/** Deletes a test run's counters (they would expire on their own a day after their period). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 }))
      keys.push(...(batch as string[]));
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
