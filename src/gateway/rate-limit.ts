// Per-key rate limits, requests and tokens per minute: a token bucket kept as one number per key (GCRA), in this
// instance's memory or, with REDIS_URL, in a counter every instance shares. Decision 0006 says why.

import { SpendexError } from "../errors";
import type { KeyRecord, MaybePromise, SharedRateCounter, SharedRateVerdict } from "../store";
import { type TokenAdmission, tokenDecision, tooLargeForKey } from "./token-rate-limit";

export const RATE_PERIOD_MS = 60_000;
/** Entries are swept at most this often; a key idle for a full period is dropped at the next sweep. */
const SWEEP_EVERY_MS = RATE_PERIOD_MS;
/** A hard bound, whatever the sweep: beyond it the oldest entries go first (their buckets are the fullest). */
const MAX_ENTRIES = 100_000;
const EPSILON_MS = 1e-6;

/** What a request admitted under its key's limit learns: the limit and the requests left right now. */
export interface Admission {
  limit: number;
  remaining: number;
}

export type Verdict = SharedRateVerdict;
/** A key with a tokens-per-minute limit (what `key.tpmLimit !== null` establishes). */
export type TpmKey = KeyRecord & { tpmLimit: number };

/**
 * A token bucket of `limit` requests that refills at `limit` a minute, stored as its "theoretical arrival time"
 * (GCRA): the time at which the bucket would be full again. A request is admitted when, after adding its share
 * (one emission interval, period / limit), that time is at most one period ahead of now. O(1), no timers, and a
 * bucket whose time is in the past is full, which is the same as having no entry: so idle keys can be forgotten.
 */
export class TokenBuckets {
  /** key id → theoretical arrival time (epoch ms). Insertion order is first-use order. */
  private readonly full = new Map<string, number>();
  private sweptAt: number;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = MAX_ENTRIES,
  ) {
    this.sweptAt = now();
  }

  /** Takes `cost` units (1 request, or a request's estimated tokens) when the bucket holds at least that many. */
  take(id: string, limit: number, cost = 1): Verdict {
    const now = this.now();
    if (now - this.sweptAt >= SWEEP_EVERY_MS) this.sweep(now);
    const interval = RATE_PERIOD_MS / limit;
    const previous = this.full.get(id);
    const next = (previous !== undefined && previous > now ? previous : now) + interval * cost;
    const ahead = next - now;
    // The epsilon absorbs float residue: 7 intervals of 60000 / 7 ms must still fit in one period.
    if (ahead > RATE_PERIOD_MS + EPSILON_MS) return { allowed: false, retryAfterMs: ahead - RATE_PERIOD_MS };
    if (previous === undefined && this.full.size >= this.maxEntries) this.evictOldest();
    this.full.set(id, next);
    return { allowed: true, remaining: Math.floor((RATE_PERIOD_MS - ahead) / interval + 1e-9) };
  }

  /**
   * Gives back (delta < 0) or takes more (delta > 0) once a request's real size is known. No check: the bucket may
   * go into debt (its time more than a period ahead), which delays the next admissions (decision 0006, tokens).
   */
  adjust(id: string, limit: number, delta: number): void {
    const now = this.now();
    const previous = this.full.get(id);
    const next =
      (previous !== undefined && previous > now ? previous : now) + (RATE_PERIOD_MS / limit) * delta;
    if (next <= now) {
      this.full.delete(id);
      return;
    }
    if (previous === undefined && this.full.size >= this.maxEntries) this.evictOldest();
    this.full.set(id, next);
  }

  /** Entries held (tests and /ready-style diagnostics). */
  size(): number {
    return this.full.size;
  }

  /** Drops every full bucket: one pass a minute, so amortised O(1) per request. */
  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [id, at] of this.full) if (at <= now) this.full.delete(id);
  }

  /**
   * Past the cap (far more limited keys active within a minute than any deployment has), the first-inserted entry
   * goes: usually a stale one; if not, that key's bucket restarts full (decision 0006).
   */
  private evictOldest(): void {
    const oldest = this.full.keys().next();
    if (!oldest.done) this.full.delete(oldest.value);
  }
}

export interface RateLimiterOptions {
  /** Buckets shared by every instance (Redis); without it, this instance's memory. */
  shared?: SharedRateCounter;
  now?: () => number;
  /** Told when the shared counter fails; requests then fall back to this instance's buckets. */
  onError?: (error: unknown) => void;
}

/** After the shared counter fails, this instance limits on its own for this long before trying it again. */
const SHARED_RETRY_MS = 1_000;

export class RateLimiter {
  readonly local: TokenBuckets;
  /** Tokens-per-minute buckets: a map of their own, the key id is the same. */
  readonly localTokens: TokenBuckets;
  private sharedDownUntil = 0;
  private sharedDown = false;

  constructor(private readonly options: RateLimiterOptions = {}) {
    this.local = new TokenBuckets(options.now);
    this.localTokens = new TokenBuckets(options.now);
  }

  /**
   * Admits one request of a key that has a limit (callers check `key.rpmLimit !== null` first, so unlimited keys
   * pay nothing here). Synchronous without a shared counter; throws the 429 when the bucket is empty.
   */
  admit(key: KeyRecord & { rpmLimit: number }): MaybePromise<Admission> {
    const limit = key.rpmLimit;
    const shared = this.usableShared();
    if (shared) {
      return shared.take(key.id, limit).then(
        (verdict) => this.sharedUp(decide, verdict, limit),
        (error: unknown) => decide(this.sharedFailed(error, this.local).take(key.id, limit), limit),
      );
    }
    return decide(this.local.take(key.id, limit), limit);
  }

  /**
   * Admits one request of a key with a tokens-per-minute limit when its bucket holds the request's estimated prompt
   * tokens (callers check `key.tpmLimit !== null`). The admission's `settle` corrects the bucket by what the request
   * really used, once, when it is recorded.
   */
  admitTokens(key: TpmKey, estimate: number): MaybePromise<TokenAdmission> {
    const { id, tpmLimit: limit } = key;
    // It could never fit: refused outright, taking nothing from any bucket.
    if (estimate > limit) throw tooLargeForKey(limit, estimate);
    const settle = (used: number, shared: boolean) => {
      const delta = used - estimate;
      if (delta === 0) return;
      const counter = shared ? this.usableShared() : undefined;
      if (!counter) return this.localTokens.adjust(id, limit, delta);
      counter
        .adjustTokens(id, limit, delta)
        .then(() => {
          this.sharedDown = false;
        })
        .catch((error: unknown) => this.sharedFailed(error, this.localTokens).adjust(id, limit, delta));
    };
    const decideTokens = (verdict: Verdict, shared: boolean) =>
      tokenDecision(verdict, limit, estimate, (used) => settle(used, shared));
    const shared = this.usableShared();
    if (shared) {
      return shared.takeTokens(id, limit, estimate).then(
        (verdict) => this.sharedUp(decideTokens, verdict, true),
        (error: unknown) =>
          decideTokens(this.sharedFailed(error, this.localTokens).take(id, limit, estimate), false),
      );
    }
    return decideTokens(this.localTokens.take(id, limit, estimate), false);
  }

  private usableShared(): SharedRateCounter | undefined {
    const shared = this.options.shared;
    return shared && Date.now() >= this.sharedDownUntil ? shared : undefined;
  }

  private sharedUp<T, A>(decideWith: (verdict: Verdict, arg: A) => T, verdict: Verdict, arg: A): T {
    this.sharedDown = false;
    return decideWith(verdict, arg);
  }

  /**
   * Fail open to this instance's own buckets: a Redis outage must not refuse every limited key, and the limit still
   * holds per instance meanwhile (decision 0006). Reported once per outage; Redis is asked again after a second.
   */
  private sharedFailed(error: unknown, fallback: TokenBuckets): TokenBuckets {
    this.sharedDownUntil = Date.now() + SHARED_RETRY_MS;
    if (!this.sharedDown) this.options.onError?.(error);
    this.sharedDown = true;
    return fallback;
  }
}

function decide(verdict: Verdict, limit: number): Admission {
  if (verdict.allowed) return { limit, remaining: verdict.remaining };
  throw rateLimited(limit, verdict.retryAfterMs);
}

/** The 429 for Spendex's own per-key limit; `key_rate_limit_exceeded` keeps it apart from an upstream's 429. */
export function rateLimited(limit: number, retryAfterMs: number): SpendexError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new SpendexError({
    type: "rate_limit_error",
    code: "key_rate_limit_exceeded",
    retryable: true,
    message: `Rate limit exceeded: this API key allows ${limit} request${limit === 1 ? "" : "s"} per minute. Retry after ${seconds} s.`,
    headers: {
      "retry-after": String(seconds),
      "x-should-retry": "true",
      "x-spendex-ratelimit-limit-requests": String(limit),
      "x-spendex-ratelimit-remaining-requests": "0",
    },
  });
}

/** The key's own limit on a successful answer, beside (never instead of) the upstream's `x-ratelimit-*`. */
export function rateLimitHeaders(headers: Record<string, string>, admission: Admission): void {
  headers["x-spendex-ratelimit-limit-requests"] = String(admission.limit);
  headers["x-spendex-ratelimit-remaining-requests"] = String(admission.remaining);
}
