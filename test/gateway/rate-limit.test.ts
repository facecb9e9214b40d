// The per-key token bucket (GCRA) on an injected clock: the burst, the refill edges, limit changes, memory bound.

import { describe, expect, test } from "bun:test";
import { SpendexError } from "../../src/errors";
import { RateLimiter, TokenBuckets } from "../../src/gateway/rate-limit";
import type { KeyRecord, SharedRateCounter } from "../../src/store";

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

describe("token buckets", () => {
  test("a burst of N, then one every 60/N s: refused 1 ms before the edge, admitted at it", () => {
    const { time, now } = clock();
    const buckets = new TokenBuckets(now);
    expect([1, 2, 3].map(() => buckets.take("k", 3))).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
    ]);
    expect(buckets.take("k", 3)).toEqual({ allowed: false, retryAfterMs: 20_000 });
    time.now += 19_999;
    expect(buckets.take("k", 3)).toEqual({ allowed: false, retryAfterMs: 1 });
    time.now += 1;
    expect(buckets.take("k", 3)).toEqual({ allowed: true, remaining: 0 });
    expect(buckets.take("k", 3)).toEqual({ allowed: false, retryAfterMs: 20_000 });
    // A full minute of silence refills the bucket, but never beyond N.
    time.now += 120_000;
    expect([1, 2, 3, 4].map(() => buckets.take("k", 3).allowed)).toEqual([true, true, true, false]);
  });

  test("a client retrying every 250 ms: the burst, then exactly N a minute; at most 2N - 1 in any 60 s span", () => {
    const { time, now } = clock();
    const buckets = new TokenBuckets(now);
    const admitted: number[] = [];
    for (let ms = 0; ms < 180_000; ms += 250) {
      time.now = 1_000_000 + ms;
      if (buckets.take("k", 10).allowed) admitted.push(ms);
    }
    let most = 0;
    for (const start of admitted)
      most = Math.max(most, admitted.filter((t) => t >= start && t < start + 60_000).length);
    expect(admitted.slice(0, 10)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250]);
    expect(admitted.slice(10, 13)).toEqual([6_000, 12_000, 18_000]);
    expect(admitted.length).toBe(10 + 29); // then one each 6 s, from 6 s to 174 s
    expect(most).toBe(19); // a token bucket's worst span: a full bucket, then the minute's refill
  });

  test("limits that do not divide a minute evenly still admit exactly N at once", () => {
    const buckets = new TokenBuckets(clock().now);
    for (const limit of [7, 9, 11, 13, 997]) {
      const admitted = Array.from({ length: limit + 1 }, () => buckets.take(`k${limit}`, limit).allowed);
      expect(admitted.filter(Boolean).length).toBe(limit);
    }
  });

  test("keys are independent, and a changed limit applies at once to the credit already used", () => {
    const { now } = clock();
    const buckets = new TokenBuckets(now);
    for (let i = 0; i < 5; i++) buckets.take("a", 10);
    expect(buckets.take("b", 10)).toEqual({ allowed: true, remaining: 9 });
    // 5 of 10 a minute used 30 s of credit; at 2 a minute one more request (30 s) fits, then one each 30 s.
    expect(buckets.take("a", 2)).toEqual({ allowed: true, remaining: 0 });
    expect(buckets.take("a", 2)).toEqual({ allowed: false, retryAfterMs: 30_000 });
    // Raised to 60 a minute: the 60 s used are 60 requests' worth, so one more fits after 1 s.
    expect(buckets.take("a", 60)).toEqual({ allowed: false, retryAfterMs: 1_000 });
  });

  test("memory: idle keys are swept after a minute; a hard cap bounds a flood of new keys", () => {
    const { time, now } = clock();
    const buckets = new TokenBuckets(now, 1_000);
    for (let i = 0; i < 500; i++) buckets.take(`idle-${i}`, 60);
    expect(buckets.size()).toBe(500);
    time.now += 60_000; // every bucket is full again: the next request sweeps them
    buckets.take("active", 60);
    expect(buckets.size()).toBe(1);
    for (let i = 0; i < 5_000; i++) buckets.take(`flood-${i}`, 60);
    expect(buckets.size()).toBe(1_000);
  });
});

const key = (rpmLimit: number) => ({ id: "abcd1234", rpmLimit }) as KeyRecord & { rpmLimit: number };

describe("rate limiter", () => {
  test("refuses with the key's limit, a whole-second retry-after and no key in the message", () => {
    const limiter = new RateLimiter({ now: clock().now });
    expect(limiter.admit(key(2))).toEqual({ limit: 2, remaining: 1 });
    expect(limiter.admit(key(2))).toEqual({ limit: 2, remaining: 0 });
    let thrown: unknown;
    try {
      limiter.admit(key(2));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpendexError);
    const error = thrown as SpendexError;
    expect([error.status, error.type, error.code, error.retryable]).toEqual([
      429,
      "rate_limit_error",
      "key_rate_limit_exceeded",
      true,
    ]);
    expect(error.message).toBe(
      "Rate limit exceeded: this API key allows 2 requests per minute. Retry after 30 s.",
    );
    expect(error.headers).toEqual({
      "retry-after": "30",
      "x-should-retry": "true",
      "x-spendex-ratelimit-limit-requests": "2",
      "x-spendex-ratelimit-remaining-requests": "0",
    });
  });

  test("a sub-second wait still says retry-after 1", () => {
    const limiter = new RateLimiter({ now: clock().now });
    for (let i = 0; i < 120; i++) expect(tryAdmit(limiter, key(120))).toBe(true);
    const error = catchError(() => limiter.admit(key(120)));
    expect(error.message).toEndWith("Retry after 1 s.");
    expect(error.headers["retry-after"]).toBe("1");
  });

  test("a failing shared counter falls back to this instance's buckets, and is retried a second later", async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const shared: SharedRateCounter = {
      take: async () => {
        calls += 1;
        throw new Error("connect ECONNREFUSED 127.0.0.1:1");
      },
      takeTokens: async () => ({ allowed: true, remaining: 0 }),
      adjustTokens: async () => {},
      close: async () => {},
    };
    const limiter = new RateLimiter({ shared, onError: (error) => errors.push(error) });
    expect(await limiter.admit(key(2))).toEqual({ limit: 2, remaining: 1 });
    // Within the next second the shared counter is not asked again: a down Redis costs nothing per request.
    expect(limiter.admit(key(2))).toEqual({ limit: 2, remaining: 0 });
    expect(() => limiter.admit(key(2))).toThrow("allows 2 requests per minute");
    expect([calls, errors.length]).toEqual([1, 1]);
    await Bun.sleep(1_010);
    // Asked again after a second; still down: not reported again for the same outage.
    const again = limiter.admit(key(2));
    expect(again).toBeInstanceOf(Promise);
    await expect(again).rejects.toThrow("allows 2 requests per minute");
    expect([calls, errors.length]).toEqual([2, 1]);
  });
});

function tryAdmit(limiter: RateLimiter, k: KeyRecord & { rpmLimit: number }): boolean {
  try {
    limiter.admit(k);
    return true;
  } catch {
    return false;
  }
}

function catchError(run: () => unknown): SpendexError {
  try {
    run();
  } catch (error) {
    return error as SpendexError;
  }
  throw new Error("expected a throw");
}
