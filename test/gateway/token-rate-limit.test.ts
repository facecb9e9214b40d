// The per-key tokens-per-minute bucket on an injected clock: admit on the estimate, refuse with the exact wait,
// correct up and down, debt, the request that could never fit, and the shared counter failing open.

import { describe, expect, test } from "bun:test";
import { SpendexError } from "../../src/errors";
import { RateLimiter, TokenBuckets, type TpmKey } from "../../src/gateway/rate-limit";
import type { SharedRateCounter } from "../../src/store";

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

function catchError(run: () => unknown): SpendexError {
  try {
    run();
  } catch (error) {
    return error as SpendexError;
  }
  throw new Error("expected a throw");
}

// 1,000 tokens a minute: one token refills every 60 ms.
describe("token buckets weighted by tokens", () => {
  test("admit while the bucket holds the cost; refuse with the time the deficit takes to refill", () => {
    const { time, now } = clock();
    const buckets = new TokenBuckets(now);
    expect(buckets.take("k", 1_000, 600)).toEqual({ allowed: true, remaining: 400 });
    // 500 wanted, 400 held: 100 tokens short = 6 s.
    expect(buckets.take("k", 1_000, 500)).toEqual({ allowed: false, retryAfterMs: 6_000 });
    time.now += 5_999;
    expect(buckets.take("k", 1_000, 500).allowed).toBe(false);
    time.now += 1;
    expect(buckets.take("k", 1_000, 500)).toEqual({ allowed: true, remaining: 0 });
  });

  test("correction down gives tokens back (never past full); correction up may leave the bucket in debt", () => {
    const { time, now } = clock();
    const buckets = new TokenBuckets(now);
    expect(buckets.take("k", 1_000, 600)).toEqual({ allowed: true, remaining: 400 });
    buckets.adjust("k", 1_000, -300); // used 300 of the 600 estimated
    expect(buckets.take("k", 1_000, 500)).toEqual({ allowed: true, remaining: 200 });
    buckets.adjust("k", 1_000, -5_000); // a refund larger than what was taken: the bucket is full, the entry gone
    expect(buckets.size()).toBe(0);
    expect(buckets.take("k", 1_000, 100)).toEqual({ allowed: true, remaining: 900 });
    // The answer used 2,100 tokens for an estimate of 100: 1,100 in debt (2,100 used of 1,000).
    buckets.adjust("k", 1_000, 2_000);
    // Even an empty request waits until the debt is paid: 1,100 tokens = 66 s.
    expect(buckets.take("k", 1_000, 0)).toEqual({ allowed: false, retryAfterMs: 66_000 });
    expect(buckets.take("k", 1_000, 10)).toEqual({ allowed: false, retryAfterMs: 66_600 });
    time.now += 66_000;
    expect(buckets.take("k", 1_000, 10)).toEqual({ allowed: false, retryAfterMs: 600 });
    time.now += 600;
    expect(buckets.take("k", 1_000, 10)).toEqual({ allowed: true, remaining: 0 });
  });
});

const key = (tpmLimit: number) => ({ id: "abcd1234", tpmLimit }) as TpmKey;

describe("rate limiter: tokens", () => {
  test("admission takes the estimate; settle corrects by what was used; the refusal says the limit and the wait", () => {
    const { now } = clock();
    const limiter = new RateLimiter({ now });
    const first = limiter.admitTokens(key(1_000), 400);
    expect(first).toMatchObject({ limit: 1_000, remaining: 600 });
    (first as { settle(used: number): void }).settle(700); // 400 estimated, 700 used (prompt + completion)
    expect(limiter.admitTokens(key(1_000), 250)).toMatchObject({ limit: 1_000, remaining: 50 });
    const error = catchError(() => limiter.admitTokens(key(1_000), 120));
    expect(error).toBeInstanceOf(SpendexError);
    expect([error.status, error.type, error.code, error.retryable]).toEqual([
      429,
      "rate_limit_error",
      "key_token_rate_limit_exceeded",
      true,
    ]);
    expect(error.message).toBe(
      "Token rate limit exceeded: this API key allows 1000 tokens per minute and this request needs about 120 prompt tokens. Retry after 5 s.",
    );
    // 70 short at 60 ms a token: 4.2 s, rounded up.
    expect(error.headers).toEqual({
      "retry-after": "5",
      "x-should-retry": "true",
      "x-spendex-ratelimit-limit-tokens": "1000",
      "x-spendex-ratelimit-remaining-tokens": "50",
    });
    expect(limiter.localTokens.size()).toBe(1);
    expect(limiter.local.size()).toBe(0); // the requests buckets are apart
  });

  test("a failed request gives its whole estimate back", () => {
    const limiter = new RateLimiter({ now: clock().now });
    const admitted = limiter.admitTokens(key(100), 80) as { remaining: number; settle(used: number): void };
    expect(admitted.remaining).toBe(20);
    admitted.settle(0);
    expect(limiter.localTokens.size()).toBe(0);
    expect(limiter.admitTokens(key(100), 100)).toMatchObject({ remaining: 0 });
  });

  test("a request larger than the whole minute is refused outright (400, never retried), taking nothing", () => {
    const limiter = new RateLimiter({ now: clock().now });
    const error = catchError(() => limiter.admitTokens(key(1_000), 1_001));
    expect([error.status, error.type, error.code, error.retryable]).toEqual([
      400,
      "invalid_request_error",
      "request_exceeds_key_token_limit",
      false,
    ]);
    expect(error.message).toBe(
      "This request needs about 1001 prompt tokens, more than this API key's limit of 1000 tokens per minute, so it can never be admitted. Send a shorter request or raise the key's limit (keys update NAME --tpm N).",
    );
    expect(error.headers).toEqual({ "x-should-retry": "false", "x-spendex-ratelimit-limit-tokens": "1000" });
    expect(limiter.localTokens.size()).toBe(0);
    expect(limiter.admitTokens(key(1_000), 1_000)).toMatchObject({ remaining: 0 });
  });

  test("a failing shared counter falls back to this instance's token buckets, corrections included", async () => {
    const errors: unknown[] = [];
    const calls: string[] = [];
    const down = async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:1");
    };
    const shared: SharedRateCounter = {
      take: down,
      takeTokens: (...args) => {
        calls.push(`take ${args.join(" ")}`);
        return down();
      },
      adjustTokens: down,
      close: async () => {},
    };
    const limiter = new RateLimiter({ shared, now: clock().now, onError: (error) => errors.push(error) });
    const admitted = await limiter.admitTokens(key(1_000), 300);
    expect(admitted).toMatchObject({ limit: 1_000, remaining: 700 });
    admitted.settle(500); // the local bucket now holds 500
    expect(limiter.admitTokens(key(1_000), 500)).toMatchObject({ remaining: 0 });
    expect(calls).toEqual(["take abcd1234 1000 300"]);
    expect(errors).toHaveLength(1);
  });
});
