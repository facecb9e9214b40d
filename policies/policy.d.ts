// Editor types for policy authors: add `/// <reference path="policy.d.ts" />` and `// @ts-check` to a policy.
// Mirrors src/policy/contract.ts (a type test keeps the two equal).

declare namespace Spendex {
  type Tier = "simple" | "medium" | "complex";

  interface PolicyRequest {
    /** The model the client asked for (`auto`, or a pinned `provider/name`). */
    model: string;
    message_count: number;
    estimated_prompt_tokens: number;
    max_tokens: number | null;
    stream: boolean;
    /** True when the request carries tool definitions. */
    tools: boolean;
    tool_choice: "none" | "auto" | "required" | { type: "function"; name: string } | null;
    /** True when any message carries an image part. */
    images: boolean;
    /** Null when the client did not ask for JSON output. */
    json_mode: "json_object" | "json_schema" | null;
    metadata: { [key: string]: string };
    user: string | null;
    /** Only the `x-spendex-*` request headers, names lower-cased. */
    headers: { [name: string]: string };
  }

  interface PolicyClassification {
    tier: Tier;
    /** Calibrated probability of `tier`, 0..1. */
    confidence: number;
    scores: { simple: number; medium: number; complex: number };
    /** Classifier signals, snake_case: estimated_tokens, turns, code_fences, math_density, ... */
    signals: { [signal: string]: number | boolean | string };
  }

  interface PolicyKey {
    id: string;
    name: string;
    team: string | null;
    env: string | null;
  }

  interface PolicyBudget {
    scope: "key" | "team" | "agent";
    /** The key, team or agent name the budget belongs to. */
    name: string;
    limit_usd: number;
    spent_usd: number;
    /** limit_usd - spent_usd - reserved spend; may be negative after an overrun. */
    remaining_usd: number;
    period: "day" | "month";
    resets_at: string;
  }

  interface PolicyCandidate {
    /** `provider/name`: the value to put in a decision's `model`. */
    id: string;
    provider: string;
    tier: Tier;
    /** USD per 1M tokens. */
    prices: { input: number; cached_input: number; output: number };
    context_window: number;
    capabilities: { tools: boolean; vision: boolean; json_schema: boolean; streaming: boolean };
    /** False while the provider's circuit breaker is open. */
    healthy: boolean;
    /** Recent median latency in ms; null before any traffic. */
    p50_ms: number | null;
  }

  /** Frozen: a policy cannot change it, and nothing it does survives to the next decision. */
  interface PolicyInput {
    request: PolicyRequest;
    classification: PolicyClassification;
    key: PolicyKey;
    /** From the `x-spendex-agent` header, else `request.user`; null when neither is given. */
    agent: string | null;
    /** One entry per budget that applies to this request (key, team, agent). */
    budgets: PolicyBudget[];
    /** Connected, allowed models; `model` and `fallbacks` must name some of these. */
    candidates: PolicyCandidate[];
    /** ISO time of the decision; `Date.now()` and `new Date()` return it, so replay is exact. */
    now: string;
  }

  interface PolicyRoute {
    /** A candidate id (`provider/name`), or a bare name that matches exactly one candidate. */
    model: string;
    /** Tried in order when `model` fails; at most 8, non-candidates are dropped. */
    fallbacks?: string[];
    /** Shown in the response's `spendex.reason` and the request log; at most 500 characters. */
    reason?: string;
    /** Labels for the request log; at most 16 of 64 characters. */
    tags?: string[];
  }

  interface PolicyReject {
    /** status 400-499 (e.g. 402 budget, 403 forbidden, 429 slow down); code matches /^[a-z0-9_]{1,64}$/. */
    reject: { status: number; code: string; message: string };
  }

  type PolicyDecision = PolicyRoute | PolicyReject;
}

/**
 * The one function a policy defines. It runs in a sandbox with no network, files, timers or randomness,
 * within 5 ms of CPU and 16 MiB of memory; any error falls back to the built-in policy.
 */
declare function route(input: Spendex.PolicyInput): Spendex.PolicyDecision;
