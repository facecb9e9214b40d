// What one request carries through the pipeline, and its stage timings.

import type { CatalogModel, Needs, Tier, TokenCounts } from "../catalog";
import type { Classification } from "../classify/types";
import type { ChatRequest } from "../openai/types";
import type { KeyRecord } from "../store";
import type { BudgetView } from "./budgets";
import type { Admission } from "./rate-limit";
import type { TokenAdmission } from "./token-rate-limit";

export const STAGES = [
  "authenticate",
  "parse",
  "classify",
  "decide",
  "dispatch",
  "stream",
  "record",
] as const;
export type Stage = (typeof STAGES)[number];

export interface Attempt {
  model: string;
  /**
   * Upstream HTTP status; 0 when no response came (connect error, timeout); null when the gateway skipped the
   * candidate without calling it (`skipped` says why).
   */
  status: number | null;
  ms: number;
  error?: string;
  /** The candidate was not called: its circuit is open, or its adapter cannot carry a parameter (`param`). */
  skipped?: "circuit_open" | "unsupported";
  param?: string;
}

export type RoutedModel = Pick<CatalogModel, "id" | "name" | "provider"> & { tier?: Tier };

export type FailoverMode = "off" | "same-provider" | "equivalent";

/** How the request ended, for the log. */
export type Outcome = "complete" | "error_after_first_byte" | "client_aborted" | "failed";

export interface PolicyTrace {
  name: string;
  revision: string;
  reason?: string;
  tags?: string[];
  error?: string;
  /** The policy input, kept for replay. */
  input?: unknown;
}

export interface RequestContext {
  id: string;
  startedAt: number;
  /** Epoch ms at arrival. */
  time: number;
  key?: KeyRecord;
  /** The key's own rate limit and what is left of it, when the key has one. */
  rate?: Admission;
  /** The key's own tokens-per-minute limit: what is left, and the correction `record` makes (decision 0006). */
  tokenRate?: TokenAdmission;
  agent?: string;
  request?: ChatRequest;
  /** Set for `/v1/embeddings`; a chat completion leaves it unset (logged as `chat`). */
  endpoint?: "embeddings";
  requestedModel?: string;
  needs?: Needs;
  estimatedPromptTokens: number;
  classification?: Classification;
  tier?: Tier;
  pinned: boolean;
  candidates: CatalogModel[];
  policy?: PolicyTrace;
  /** A chat model, or an embedding model (which has no tier). */
  routed?: RoutedModel;
  attempts: Attempt[];
  tokens?: TokenCounts;
  /** The upstream reported no usage: `tokens` is an estimate. */
  usageEstimated?: boolean;
  costUsd: number;
  savedUsd: number;
  status: number;
  errorCode?: string;
  outcome: Outcome;
  /** Stage durations in ms. */
  stages: Partial<Record<Stage, number>>;
  /** Headers from the client that start with a configured forward prefix. */
  forwardHeaders?: Record<string, string>;
  /** The budgets that apply to this request (key, team, agent), read before routing. */
  budgets: BudgetView[];
  /** Budget reservation to settle when the request ends. */
  release?: (actualUsd: number) => void;
}

export function newContext(id: string): RequestContext {
  return {
    id,
    startedAt: performance.now(),
    time: Date.now(),
    pinned: true,
    candidates: [],
    attempts: [],
    budgets: [],
    estimatedPromptTokens: 0,
    costUsd: 0,
    savedUsd: 0,
    status: 0,
    outcome: "complete",
    stages: {},
  };
}

/** Times a synchronous stage into the context. */
export function timed<T>(context: RequestContext, stage: Stage, run: () => T): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    context.stages[stage] = (context.stages[stage] ?? 0) + (performance.now() - start);
  }
}

/** The `server-timing` header value from the stages measured so far. */
export function serverTiming(context: RequestContext): string {
  let out = "";
  for (const stage of STAGES) {
    const ms = context.stages[stage];
    if (ms === undefined) continue;
    out += `${out ? ", " : ""}${stage};dur=${Math.round(ms * 1000) / 1000}`;
  }
  return out;
}
