// Shared budget counters in Redis: check-and-reserve as one Lua script, so instances behind a load balancer
// reserve against the same spent + reserved figures. ioredis is imported only here.

import Redis from "ioredis";
import type { BudgetScope } from "./budgets";

/** One budget in one period; `seedSpentUsd` (from the database) starts a counter Redis does not have yet. */
export interface SharedBudgetKey {
  scope: BudgetScope;
  name: string;
  periodStart: number;
  limitUsd: number;
  seedSpentUsd: number;
  /** Epoch ms after which the counter may go (a while after the period ends). */
  expiresAt: number;
}

export type SharedReserveOutcome =
  | { ok: true }
  | { ok: false; index: number; spentUsd: number; reservedUsd: number };

export interface SharedBudgetCounter {
  /** Reserves `usd` on every budget or on none; `index` names the first budget that cannot take it. */
  reserve(keys: readonly SharedBudgetKey[], usd: number): Promise<SharedReserveOutcome>;
  /** Releases a reservation and adds the real cost to spent. */
  settle(keys: readonly SharedBudgetKey[], reservedUsd: number, actualUsd: number): Promise<void>;
  /** Current figures; undefined for a budget whose counter has not started. */
  read(
    keys: readonly SharedBudgetKey[],
  ): Promise<Array<{ spentUsd: number; reservedUsd: number } | undefined>>;
  close(): Promise<void>;
}

// KEYS: one hash {spent, reserved} per budget and period. ARGV: usd, then limit, seed, expire-at per key.
const RESERVE = `
local usd = tonumber(ARGV[1])
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 3
  redis.call('HSETNX', KEYS[i], 'spent', ARGV[base + 2])
  local spent = tonumber(redis.call('HGET', KEYS[i], 'spent'))
  local reserved = tonumber(redis.call('HGET', KEYS[i], 'reserved') or '0')
  if spent + reserved + usd > tonumber(ARGV[base + 1]) then
    return {i, tostring(spent), tostring(reserved)}
  end
end
for i = 1, #KEYS do
  redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', ARGV[1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[1 + (i - 1) * 3 + 3])
end
return {0}
`;

// ARGV: reserved usd to release, actual usd to add. A counter that expired (the period is long over) is left alone.
const SETTLE = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local left = tonumber(redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', '-' .. ARGV[1]))
    -- Float residue from many increments must not read as a reservation in flight.
    if left < 1e-12 then redis.call('HSET', KEYS[i], 'reserved', '0') end
    if tonumber(ARGV[2]) > 0 then redis.call('HINCRBYFLOAT', KEYS[i], 'spent', ARGV[2]) end
  end
end
return 0
`;

interface ScriptedRedis extends Redis {
  spendexReserve(...args: Array<string | number>): Promise<Array<number | string>>;
  spendexSettle(...args: Array<string | number>): Promise<number>;
}

export interface SharedCounterOptions {
  /** Prefix of every key, so several deployments (or test runs) can share one Redis. Default `spendex:`. */
  prefix?: string;
  onError?: (error: unknown) => void;
}

function checkRedisUrl(url: string): void {
  if (!/^rediss?:\/\//.test(url) || !URL.canParse(url)) {
    throw new Error(`REDIS_URL must look like redis://HOST:PORT[/DB] (see README: Storage)`);
  }
}

export function openSharedCounter(url: string, options: SharedCounterOptions = {}): SharedBudgetCounter {
  checkRedisUrl(url);
  // A request waits for at most one reconnect attempt: budgets fail closed rather than hang.
  const redis = new Redis(url, {
    keyPrefix: options.prefix ?? "spendex:",
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  }) as ScriptedRedis;
  // ioredis reports every failed reconnect; one line per distinct error per 30 s is enough for an operator.
  let reported = { message: "", at: 0 };
  redis.on("error", (error: Error) => {
    const now = Date.now();
    if (error.message === reported.message && now - reported.at < 30_000) return;
    reported = { message: error.message, at: now };
    options.onError?.(error);
  });
  redis.defineCommand("spendexReserve", { lua: RESERVE });
  redis.defineCommand("spendexSettle", { lua: SETTLE });
  const keyOf = (key: SharedBudgetKey) => `budget:${key.scope}:${key.name}:${key.periodStart}`;

  return {
    async reserve(keys, usd) {
      const args: Array<string | number> = [keys.length, ...keys.map(keyOf), String(usd)];
      for (const key of keys) args.push(String(key.limitUsd), String(key.seedSpentUsd), key.expiresAt);
      const [index, spent, reserved] = await redis.spendexReserve(...args);
      if (Number(index) === 0) return { ok: true };
      return { ok: false, index: Number(index) - 1, spentUsd: Number(spent), reservedUsd: Number(reserved) };
    },
    async settle(keys, reservedUsd, actualUsd) {
      await redis.spendexSettle(keys.length, ...keys.map(keyOf), String(reservedUsd), String(actualUsd));
    },
    async read(keys) {
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.hmget(keyOf(key), "spent", "reserved");
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, value]) => {
        const [spent, reserved] = (error ? [] : value) as Array<string | null>;
        if (spent === null || spent === undefined) return undefined;
        return { spentUsd: Number(spent), reservedUsd: Number(reserved ?? 0) };
      });
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** One key's verdict from the shared bucket (see gateway/rate-limit.ts for the algorithm). */
export type SharedRateVerdict =
  | { allowed: true; remaining: number }
  | { allowed: false; retryAfterMs: number };

export interface SharedRateCounter {
  /** Takes one request from the key's bucket of `limit` a minute, or says how long until one is free. */
  take(id: string, limit: number): Promise<SharedRateVerdict>;
  /** Takes `tokens` from the key's bucket of `limit` tokens a minute if it holds that many (decision 0006). */
  takeTokens(id: string, limit: number, tokens: number): Promise<SharedRateVerdict>;
  /** Corrects the key's token bucket by `delta` tokens once a request's real size is known; debt is allowed. */
  adjustTokens(id: string, limit: number, delta: number): Promise<void>;
  close(): Promise<void>;
}

// GCRA in one script: KEYS[1] holds the time (ms) at which the key's bucket is full again; ARGV: limit, period ms,
// and the cost (1 for a request; a request's estimated tokens for a token bucket).
// Redis's own clock (TIME) is the one clock, so instances with skewed clocks still share one bucket.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local interval = period / limit
local full = tonumber(redis.call('GET', KEYS[1]) or '0')
if full < now then full = now end
local ahead = full + interval * tonumber(ARGV[3] or '1') - now
if ahead > period + 0.000001 then
  return {0, string.format('%.3f', ahead - period)}
end
if ahead <= 0 then return {1, tostring(limit)} end
redis.call('SET', KEYS[1], string.format('%.3f', now + ahead), 'PX', math.ceil(ahead))
return {1, string.format('%d', math.floor((period - ahead) / interval + 0.000000001))}
`;

// A token bucket's correction: ARGV limit, period ms, delta tokens. No check, so the bucket may go into debt (its time
// more than a period ahead); given back past full, the key is simply gone (a full bucket).
const ADJUST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local full = tonumber(redis.call('GET', KEYS[1]) or '0')
if full < now then full = now end
full = full + tonumber(ARGV[2]) / tonumber(ARGV[1]) * tonumber(ARGV[3])
if full <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], string.format('%.3f', full), 'PX', math.ceil(full - now))
return 1
`;

interface RateScriptedRedis extends Redis {
  spendexRateTake(...args: Array<string | number>): Promise<[number, string]>;
  spendexRateAdjust(...args: Array<string | number>): Promise<number>;
}

const verdictOf = ([allowed, value]: [number, string]): SharedRateVerdict =>
  Number(allowed) === 1
    ? { allowed: true, remaining: Number(value) }
    : { allowed: false, retryAfterMs: Number(value) };

/**
 * Per-key request and token buckets in Redis. A connection of its own with a short command timeout: a slow or absent Redis
 * must cost a limited request at most that long before the gateway falls back to its own buckets.
 */
export function openSharedRateCounter(
  url: string,
  options: SharedCounterOptions & { commandTimeoutMs?: number } = {},
): SharedRateCounter {
  checkRedisUrl(url);
  const redis = new Redis(url, {
    keyPrefix: options.prefix ?? "spendex:",
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeoutMs ?? 250,
    // Connects at the first limited request: a deployment without rate limits opens no second connection.
    lazyConnect: true,
  }) as RateScriptedRedis;
  let reported = { message: "", at: 0 };
  redis.on("error", (error: Error) => {
    const now = Date.now();
    if (error.message === reported.message && now - reported.at < 30_000) return;
    reported = { message: error.message, at: now };
    options.onError?.(error);
  });
  redis.defineCommand("spendexRateTake", { lua: TAKE, numberOfKeys: 1 });
  redis.defineCommand("spendexRateAdjust", { lua: ADJUST, numberOfKeys: 1 });
  return {
    async take(id, limit) {
      return verdictOf(await redis.spendexRateTake(`ratelimit:key:${id}`, limit, 60_000));
    },
    async takeTokens(id, limit, tokens) {
      return verdictOf(await redis.spendexRateTake(`ratelimit:tokens:${id}`, limit, 60_000, tokens));
    },
    async adjustTokens(id, limit, delta) {
      await redis.spendexRateAdjust(`ratelimit:tokens:${id}`, limit, 60_000, delta);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
