// Per-key tokens-per-minute limits: what an admission carries, the refusals and the headers. The buckets themselves
// are rate-limit.ts's, weighted by tokens (decision 0006, "Tokens per minute").

import { SpendexError } from "../errors";
import type { SharedRateVerdict } from "../store";

/** The one period of every bucket (rate-limit.ts RATE_PERIOD_MS). */
const PERIOD_MS = 60_000;

/** A request admitted under its key's token limit: the figures for its headers, and the correction to make later. */
export interface TokenAdmission {
  limit: number;
  /** Tokens left in the bucket right after this request's estimate was taken. */
  remaining: number;
  /** Corrects the bucket by `used` (prompt + completion tokens) minus the estimate taken; call once, at record. */
  settle(used: number): void;
}

export function tokenDecision(
  verdict: SharedRateVerdict,
  limit: number,
  estimate: number,
  settle: (used: number) => void,
): TokenAdmission {
  if (verdict.allowed) return { limit, remaining: verdict.remaining, settle };
  // What the bucket held: the estimate less the deficit that the wait refills (limit / period tokens a ms).
  const held = Math.max(0, Math.floor(estimate - (verdict.retryAfterMs * limit) / PERIOD_MS + 1e-9));
  throw tokenRateLimited(limit, estimate, held, verdict.retryAfterMs);
}

/** 429 for the key's own token limit; a code of its own, apart from the requests limit and from an upstream's 429. */
export function tokenRateLimited(
  limit: number,
  estimate: number,
  remaining: number,
  retryAfterMs: number,
): SpendexError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new SpendexError({
    type: "rate_limit_error",
    code: "key_token_rate_limit_exceeded",
    retryable: true,
    message: `Token rate limit exceeded: this API key allows ${limit} tokens per minute and this request needs about ${estimate} prompt tokens. Retry after ${seconds} s.`,
    headers: {
      "retry-after": String(seconds),
      "x-should-retry": "true",
      "x-spendex-ratelimit-limit-tokens": String(limit),
      "x-spendex-ratelimit-remaining-tokens": String(remaining),
    },
  });
}

/**
 * A request whose estimate alone exceeds the key's whole minute could never be admitted: a 400 (not a 429, which
 * clients and SDKs retry, here forever), with `x-should-retry: false`.
 */
export function tooLargeForKey(limit: number, estimate: number): SpendexError {
  return new SpendexError({
    type: "invalid_request_error",
    code: "request_exceeds_key_token_limit",
    message: `This request needs about ${estimate} prompt tokens, more than this API key's limit of ${limit} tokens per minute, so it can never be admitted. Send a shorter request or raise the key's limit (keys update NAME --tpm N).`,
    headers: { "x-should-retry": "false", "x-spendex-ratelimit-limit-tokens": String(limit) },
  });
}

export function tokenRateLimitHeaders(headers: Record<string, string>, admission: TokenAdmission): void {
  headers["x-spendex-ratelimit-limit-tokens"] = String(admission.limit);
  headers["x-spendex-ratelimit-remaining-tokens"] = String(admission.remaining);
}
