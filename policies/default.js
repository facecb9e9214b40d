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
/** The model and two fallbacks. */
const KEEP = 3;

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
  const fallbacks = [];
  for (let i = 1; i < ranked.length; i++) fallbacks.push(ranked[i].id);
  return {
    model: first.id,
    fallbacks,
    reason: `cheapest ${first.healthy ? "healthy" : "(unhealthy)"} ${first.tier} model for a ${input.classification.tier} request`,
    tags,
  };
}

/**
 * The best three candidates that can serve the request: healthy ones first, the target tier first, then the
 * tiers above, then the ones below; cheapest first within a tier, ids breaking ties. A single pass that
 * keeps the best three: the same order as sorting every candidate, without a comparator call per pair
 * (each function call costs about a microsecond in the sandbox).
 * @param {Spendex.PolicyInput} input
 * @param {number} base index of the target tier in TIERS
 * @returns {Spendex.PolicyCandidate[]}
 */
function rank(input, base) {
  const { request, candidates } = input;
  const tools = request.tools;
  const vision = request.images;
  const schema = request.json_mode === "json_schema";
  const tokens = request.estimated_prompt_tokens + (request.max_tokens ?? 0);
  /** @type {Spendex.PolicyCandidate[]} */
  const best = [];
  /** @type {number[]} */
  const scores = [];
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index];
    const { capabilities } = candidate;
    if (
      (tools && !capabilities.tools) ||
      (vision && !capabilities.vision) ||
      (schema && !capabilities.json_schema) ||
      tokens > candidate.context_window
    ) {
      continue;
    }
    const distance = (RANK[candidate.tier] ?? 0) - base;
    const order = (candidate.healthy ? 0 : 10) + (distance >= 0 ? distance : TIERS.length - distance);
    const score = order * 1e6 + (3 * candidate.prices.input + candidate.prices.output) / 4;
    let at = best.length;
    while (
      at > 0 &&
      (score < scores[at - 1] || (score === scores[at - 1] && candidate.id < best[at - 1].id))
    ) {
      at--;
    }
    if (at >= KEEP) continue;
    best.splice(at, 0, candidate);
    scores.splice(at, 0, score);
    if (best.length > KEEP) {
      best.pop();
      scores.pop();
    }
  }
  return best;
}

/** The budget with the smallest share of its limit left. @param {Spendex.PolicyBudget[]} budgets */
function tightestBudget(budgets) {
  let tightest;
  let least = Infinity;
  for (let index = 0; index < budgets.length; index++) {
    const budget = budgets[index];
    const share = budget.limit_usd > 0 ? budget.remaining_usd / budget.limit_usd : budget.remaining_usd;
    if (tightest === undefined || share < least) {
      least = share;
      tightest = budget;
    }
  }
  return tightest;
}
