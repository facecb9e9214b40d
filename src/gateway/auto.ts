// `model: "auto"`: classify the request, build the policy input, run the policy, turn its answer into models.

import type { Catalog, CatalogModel } from "../catalog";
import type { Classification, Classifier } from "../classify/types";
import { type ErrorType, SpendexError } from "../errors";
import type { ChatRequest, ToolChoice } from "../openai/types";
import {
  type PolicyCandidate,
  type PolicyEngine,
  type PolicyInput,
  type PolicyRequest,
  spendexHeaders,
  toPolicyCandidate,
} from "../policy";
import type { Breakers } from "./breaker";
import type { RequestContext } from "./context";
import type { Constraints } from "./decide";
import type { AutoRouter } from "./index";
import type { LatencyTracker } from "./latency";
import type { RequestTraits } from "./parse";

export interface AutoRouterDeps {
  classifier: Classifier;
  policies: PolicyEngine;
  catalog: Catalog;
  breakers: Breakers;
  latency: LatencyTracker;
  /** The policy used when the key names none. */
  defaultPolicy: string;
  /** The time policies see; replay fixes it. */
  now?: () => Date;
}

export function createAutoRouter(deps: AutoRouterDeps): AutoRouter {
  const candidates = new CandidateCache();
  return {
    async route(context, traits, constraints, headers) {
      const chat = context.request as ChatRequest;
      const classifyStart = performance.now();
      const classification = await deps.classifier.classify({
        messages: chat.messages,
        tools: traits.tools,
        images: traits.images,
        jsonMode: traits.jsonMode,
      });
      context.stages.classify = performance.now() - classifyStart;
      context.classification = classification;
      context.tier = classification.tier;

      const decideStart = performance.now();
      const input = policyInput(deps, context, chat, traits, constraints, headers, candidates);
      const policyName = context.key?.policy ?? deps.defaultPolicy;
      const outcome = deps.policies.decide(policyName, input);
      const { decision } = outcome;
      context.policy = {
        name: outcome.policy,
        revision: outcome.revision,
        input,
        ...(outcome.error ? { error: outcome.error } : {}),
        ...("model" in decision && decision.reason ? { reason: decision.reason } : {}),
        ...("model" in decision && decision.tags ? { tags: decision.tags } : {}),
      };
      context.stages.decide = performance.now() - decideStart;
      if ("reject" in decision) throw rejection(decision.reject);
      const models: CatalogModel[] = [];
      for (const id of [decision.model, ...(decision.fallbacks ?? [])]) {
        const model = deps.catalog.get(id);
        if (model && !models.includes(model)) models.push(model);
      }
      return models;
    },
  };
}

/** The frozen JSON a policy decides on. Also stored in the request log so replay can run it again. */
export function policyInput(
  deps: Pick<AutoRouterDeps, "catalog" | "breakers" | "latency" | "now">,
  context: RequestContext,
  chat: ChatRequest,
  traits: RequestTraits,
  constraints: Constraints,
  headers: Headers,
  cache: CandidateCache = new CandidateCache(),
): PolicyInput {
  const key = context.key;
  const candidates = cache.list(deps, constraints.providers);
  const request: PolicyRequest = {
    model: chat.model,
    message_count: chat.messages.length,
    estimated_prompt_tokens: traits.estimatedPromptTokens,
    max_tokens: chat.max_completion_tokens ?? chat.max_tokens ?? null,
    stream: chat.stream === true,
    tools: traits.tools,
    tool_choice: toolChoice(chat.tool_choice),
    images: traits.images,
    json_mode: traits.jsonMode ? (chat.response_format?.type as "json_object" | "json_schema") : null,
    metadata: stringRecord(chat.metadata),
    user: typeof chat.user === "string" ? chat.user : null,
    headers: spendexHeaders(headers),
  };
  return {
    request,
    classification: policyClassification(
      context.classification as NonNullable<RequestContext["classification"]>,
    ),
    key: { id: key?.id ?? "", name: key?.name ?? "", team: key?.team ?? null, env: key?.env ?? null },
    agent: context.agent ?? null,
    budgets: context.budgets.map((budget) => ({
      scope: budget.scope,
      name: budget.name,
      limit_usd: budget.limit_usd,
      spent_usd: budget.spent_usd + budget.reserved_usd,
      remaining_usd: budget.remaining_usd,
      period: budget.period,
      resets_at: budget.resets_at,
    })),
    candidates,
    now: (deps.now?.() ?? new Date()).toISOString(),
  };
}

/** Most distinct provider sets whose candidate lists are kept (keys may be allowed different providers). */
const CANDIDATE_LISTS = 8;

/**
 * The candidate list of each provider set, deep-frozen and reused while every model, its health and its p50
 * are unchanged: the policy engine then recognises the list by identity instead of comparing it field by
 * field, and no candidate objects are built per request. Catalog models are compared by identity
 * (`Catalog.add` replaces a model object, it never edits one in place).
 */
export class CandidateCache {
  private readonly lists = new Map<
    string,
    { models: CatalogModel[]; healthy: boolean[]; p50: Array<number | null>; list: PolicyCandidate[] }
  >();

  list(
    deps: Pick<AutoRouterDeps, "catalog" | "breakers" | "latency">,
    providers: ReadonlySet<string>,
  ): PolicyCandidate[] {
    let key = "";
    for (const provider of providers) key += `${provider}\n`;
    const all = deps.catalog.all();
    const entry = this.lists.get(key);
    const models: CatalogModel[] = [];
    const healthy: boolean[] = [];
    const p50: Array<number | null> = [];
    let same = entry !== undefined;
    for (const model of all) {
      if (!providers.has(model.provider)) continue;
      const index = models.length;
      const up = deps.breakers.state(model.id) !== "open" && deps.breakers.state(model.provider) !== "open";
      const latency = deps.latency.p50(model.id);
      models.push(model);
      healthy.push(up);
      p50.push(latency);
      if (
        same &&
        (entry?.models[index] !== model || entry.healthy[index] !== up || entry.p50[index] !== latency)
      )
        same = false;
    }
    if (same && entry !== undefined && entry.models.length === models.length) return entry.list;
    // Frozen at run time (typed mutable, as PolicyInput declares it): whoever holds it cannot change it.
    const list = Object.freeze(
      models.map((model, index) =>
        deepFreeze(toPolicyCandidate(model, { healthy: healthy[index] === true, p50Ms: p50[index] ?? null })),
      ),
    ) as PolicyCandidate[];
    if (entry === undefined && this.lists.size >= CANDIDATE_LISTS) this.lists.clear();
    this.lists.set(key, { models, healthy, p50, list });
    return list;
  }
}

function deepFreeze(candidate: PolicyCandidate): PolicyCandidate {
  Object.freeze(candidate.prices);
  Object.freeze(candidate.capabilities);
  return Object.freeze(candidate);
}

const SNAKE = new Map<string, string>();

/**
 * The classification as policies see it (snake_case signals; names are converted once, not per request).
 * The signals object is built on first read: the policy engine reads it only for a policy that looks at
 * the signals, and the request log serialises it off the request path.
 */
function policyClassification(classification: Classification): PolicyInput["classification"] {
  let signals: Record<string, number | boolean | string> | undefined;
  return {
    tier: classification.tier,
    confidence: classification.confidence,
    scores: {
      simple: classification.scores.simple,
      medium: classification.scores.medium,
      complex: classification.scores.complex,
    },
    get signals() {
      signals ??= snakeSignals(classification.signals);
      return signals;
    },
  };
}

function snakeSignals(source: Classification["signals"]): Record<string, number | boolean | string> {
  const signals: Record<string, number | boolean | string> = {};
  for (const name in source) {
    const value = source[name];
    if (value === undefined) continue;
    let snake = SNAKE.get(name);
    if (snake === undefined) {
      snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      SNAKE.set(name, snake);
    }
    signals[snake] = value;
  }
  return signals;
}

function toolChoice(choice: ToolChoice | undefined): PolicyRequest["tool_choice"] {
  if (choice === undefined || choice === null) return null;
  if (choice === "none" || choice === "auto" || choice === "required") return choice;
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  return typeof name === "string" ? { type: "function", name } : null;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== "object") return out;
  for (const [name, item] of Object.entries(value)) if (typeof item === "string") out[name] = item;
  return out;
}

const TYPE_OF_STATUS: Record<number, ErrorType> = {
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
};

function rejection(reject: { status: number; code: string; message: string }): SpendexError {
  return new SpendexError({
    type: TYPE_OF_STATUS[reject.status] ?? "invalid_request_error",
    status: reject.status,
    code: reject.code,
    message: reject.message,
    ...(reject.status === 402 ? { headers: { "x-should-retry": "false" } } : {}),
  });
}
