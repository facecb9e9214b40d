// @ts-check
/// <reference path="policy.d.ts" />
// default: the cheapest healthy candidate of the classified tier that can serve the request. Moves up a tier
// when the classifier is unsure, down a tier when a budget runs low, and rejects once a budget is spent.

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
  if (input.classification.confidence < LOW_CONFIDENCE && tier < 2) {
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
 * tiers above, then the ones below; cheapest first within a tier, ids breaking ties. One pass keeping the
 * best three in locals gives the order a full sort would, at a fraction of the cost: inside the sandbox every
 * operation counts (~0.1 µs each), and a comparator call per pair costs more than the whole pass.
 * @param {Spendex.PolicyInput} input
 * @param {number} base index of the target tier (0 simple, 1 medium, 2 complex)
 * @returns {Spendex.PolicyCandidate[]}
 */
function rank(input, base) {
  const { request, candidates } = input;
  const tools = request.tools;
  const vision = request.images;
  const schema = request.json_mode === "json_schema";
  const capable = tools || vision || schema;
  const tokens = request.estimated_prompt_tokens + (request.max_tokens ?? 0);
  // Tier distance from the target: the tiers above count 1, 2; the ones below 4, 5 (after every tier above).
  /** @type {Record<string, number>} */
  const distance =
    base === 0
      ? { simple: 0, medium: 1, complex: 2 }
      : base === 1
        ? { simple: 4, medium: 0, complex: 1 }
        : { simple: 5, medium: 4, complex: 0 };
  /** @type {Spendex.PolicyCandidate | undefined} */
  let first;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let second;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let third;
  let s1 = Infinity;
  let s2 = Infinity;
  let s3 = Infinity;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index];
    if (tokens > candidate.context_window) continue;
    if (capable) {
      const { capabilities } = candidate;
      if ((tools && !capabilities.tools) || (vision && !capabilities.vision)) continue;
      if (schema && !capabilities.json_schema) continue;
    }
    const { prices } = candidate;
    // Unhealthy after every healthy one, then by tier distance, then by price (3:1 input to output, x4).
    const score =
      (distance[candidate.tier] + (candidate.healthy ? 0 : 10)) * 4e6 + 3 * prices.input + prices.output;
    if (score > s3 || (score === s3 && third !== undefined && candidate.id > third.id)) continue;
    if (score < s2 || (score === s2 && second !== undefined && candidate.id < second.id)) {
      s3 = s2;
      third = second;
      if (score < s1 || (score === s1 && first !== undefined && candidate.id < first.id)) {
        s2 = s1;
        second = first;
        s1 = score;
        first = candidate;
      } else {
        s2 = score;
        second = candidate;
      }
    } else {
      s3 = score;
      third = candidate;
    }
  }
  /** @type {Spendex.PolicyCandidate[]} */
  const ranked = [];
  if (first) ranked.push(first);
  if (second) ranked.push(second);
  if (third) ranked.push(third);
  return ranked;
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
