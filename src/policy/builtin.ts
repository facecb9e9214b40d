// The built-in policy: what answers when no policy is configured or a policy fails. Plain TypeScript, no sandbox.

import type { PolicyCandidate, PolicyDecision, PolicyInput, PolicyRequest } from "./contract";

const TIER_ORDER = ["simple", "medium", "complex"] as const;

/** What a request needs from a model. */
export interface PolicyNeeds {
  tools: boolean;
  vision: boolean;
  json_schema: boolean;
  /** Estimated prompt tokens plus requested output: the context window must hold both. */
  context_tokens: number;
}

export function requestNeeds(request: PolicyRequest): PolicyNeeds {
  return {
    tools: request.tools,
    vision: request.images,
    json_schema: request.json_mode === "json_schema",
    context_tokens: request.estimated_prompt_tokens + (request.max_tokens ?? 0),
  };
}

export function fitsNeeds(candidate: PolicyCandidate, needs: PolicyNeeds): boolean {
  const { capabilities } = candidate;
  if (needs.tools && !capabilities.tools) return false;
  if (needs.vision && !capabilities.vision) return false;
  if (needs.json_schema && !capabilities.json_schema) return false;
  return needs.context_tokens <= candidate.context_window;
}

/** The catalog's ordering price: USD per 1M tokens, blended 3:1 input to output. */
export function blendedPrice(candidate: PolicyCandidate): number {
  return (3 * candidate.prices.input + candidate.prices.output) / 4;
}

/**
 * The classified tier first, then each tier above it, then the tiers below (closest first); cheapest first
 * within a tier. Staying close to the classified tier matters more than price across tiers.
 */
function preference(tier: PolicyCandidate["tier"]): (a: PolicyCandidate, b: PolicyCandidate) => number {
  const base = TIER_ORDER.indexOf(tier);
  const rank = (candidate: PolicyCandidate): number => {
    const distance = TIER_ORDER.indexOf(candidate.tier) - base;
    return distance >= 0 ? distance : TIER_ORDER.length - distance;
  };
  return (a, b) => rank(a) - rank(b) || blendedPrice(a) - blendedPrice(b) || a.id.localeCompare(b.id);
}

function describeNeeds(needs: PolicyNeeds): string {
  const wanted = [needs.tools && "tools", needs.vision && "vision", needs.json_schema && "json_schema"];
  const list = wanted.filter((item): item is string => typeof item === "string");
  return list.length > 0 ? ` with ${list.join(", ")}` : "";
}

/**
 * Cheapest healthy candidate of the classified tier with every capability the request needs, moving up a
 * tier when none fits, then to any tier; an unhealthy fitting candidate only when no healthy one fits (the
 * gateway's failover may still reach it). Up to two fallbacks in the same order.
 */
export function builtinDecide(input: PolicyInput): PolicyDecision {
  const { candidates, classification, request } = input;
  if (candidates.length === 0) {
    return { reject: { status: 503, code: "no_candidates", message: "No model is connected for this key." } };
  }
  const needs = requestNeeds(request);
  const fitting = candidates.filter((candidate) => fitsNeeds(candidate, needs));
  const healthy = fitting.filter((candidate) => candidate.healthy);
  const pool = (healthy.length > 0 ? healthy : fitting).sort(preference(classification.tier));
  const [chosen, ...rest] = pool;
  if (chosen === undefined) {
    return {
      reject: {
        status: 400,
        code: "no_capable_model",
        message: `No connected model has what this request needs${describeNeeds(needs)} and a context window of ${needs.context_tokens} tokens.`,
      },
    };
  }
  const state = chosen.healthy ? "healthy" : "unhealthy";
  return {
    model: chosen.id,
    fallbacks: rest.slice(0, 2).map((candidate) => candidate.id),
    reason: `builtin: cheapest ${state} ${chosen.tier} candidate${describeNeeds(needs)} (classified ${classification.tier})`,
  };
}
