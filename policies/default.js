// @ts-check
/// <reference path="policy.d.ts" />
// default: the cheapest healthy candidate of the classified tier that can serve the request. Moves up a tier
// when the classifier is unsure, down a tier when a budget runs low, and rejects once a budget is spent.

const TIERS = ["simple", "medium", "complex"];
/** @type {Record<string, number>} */
const RANK = { simple: 0, medium: 1, complex: 2 };
/** Below this confidence the request may be harder than it looks: pay for the next tier. */
const LOW_CONFIDENCE = 0.5;
/** Under this share of its limit left, a budget pushes requests one tier down. */
const BUDGET_LOW = 0.2;

/**
 * @param {Spendex.PolicyInput} input
 * @returns {Spendex.PolicyDecision}
 */
// biome-ignore lint/correctness/noUnusedVariables: the sandbox calls route()
function route(input) {
  const budget = tightestBudget(input.budgets);
  if (budget && budget.remaining_usd <= 0) {
    return {
      reject: {
        status: 402,
        code: "budget_exceeded",
        message: `The ${budget.scope} budget "${budget.name}" is spent; it resets at ${budget.resets_at}.`,
      },
    };
  }
  let tier = RANK[input.classification.tier] ?? 0;
  const tags = [];
  if (input.classification.confidence < LOW_CONFIDENCE && tier < TIERS.length - 1) {
    tier += 1;
    tags.push("low-confidence");
  }
  if (budget && budget.remaining_usd < budget.limit_usd * BUDGET_LOW && tier > 0) {
    tier -= 1;
    tags.push("budget-low");
  }
  const ranked = rank(input, tier);
  const first = ranked[0];
  if (!first) {
    return {
      reject: {
        status: 400,
        code: "no_capable_model",
        message: "No connected model can serve this request.",
      },
    };
  }
  return {
    model: first.id,
    fallbacks: ranked.slice(1, 3).map((candidate) => candidate.id),
    reason: `cheapest ${first.healthy ? "healthy" : "(unhealthy)"} ${first.tier} model for a ${input.classification.tier} request`,
    tags,
  };
}

/**
 * Candidates that can serve the request: healthy ones first, the target tier first, then the tiers above,
 * then the ones below; cheapest first within a tier.
 * @param {Spendex.PolicyInput} input
 * @param {number} base index of the target tier in TIERS
 */
function rank(input, base) {
  const scored = [];
  for (const candidate of input.candidates) {
    if (!fits(candidate, input.request)) continue;
    const distance = (RANK[candidate.tier] ?? 0) - base;
    const order = (candidate.healthy ? 0 : 10) + (distance >= 0 ? distance : TIERS.length - distance);
    // One number per candidate, so the sort compares numbers instead of calling helpers (ids break ties).
    scored.push({ candidate, score: order * 1e6 + price(candidate) });
  }
  scored.sort((a, b) => a.score - b.score || (a.candidate.id < b.candidate.id ? -1 : 1));
  return scored.map((entry) => entry.candidate);
}

/**
 * @param {Spendex.PolicyCandidate} candidate
 * @param {Spendex.PolicyRequest} request
 */
function fits(candidate, request) {
  const { capabilities } = candidate;
  if (request.tools && !capabilities.tools) return false;
  if (request.images && !capabilities.vision) return false;
  if (request.json_mode === "json_schema" && !capabilities.json_schema) return false;
  return request.estimated_prompt_tokens + (request.max_tokens ?? 0) <= candidate.context_window;
}

/** USD per 1M tokens, blended 3:1 input to output like the catalog. @param {Spendex.PolicyCandidate} candidate */
function price(candidate) {
  return (3 * candidate.prices.input + candidate.prices.output) / 4;
}

/** The budget with the smallest share of its limit left. @param {Spendex.PolicyBudget[]} budgets */
function tightestBudget(budgets) {
  /** @param {Spendex.PolicyBudget} budget */
  const share = (budget) =>
    budget.limit_usd > 0 ? budget.remaining_usd / budget.limit_usd : budget.remaining_usd;
  let tightest;
  for (const budget of budgets) if (!tightest || share(budget) < share(tightest)) tightest = budget;
  return tightest;
}
