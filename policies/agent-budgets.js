// @ts-check
/// <reference path="policy.d.ts" />
// agent-budgets: per-agent spend caps. An agent whose budget is spent gets 402; one under a quarter of its
// budget moves down a tier; under a tenth, it gets the cheapest model that can serve the request at all.

/** @type {Record<string, number>} */
const RANK = { simple: 0, medium: 1, complex: 2 };
const NEAR_CAP = 0.25;
const AT_CAP = 0.1;

/**
 * @param {Spendex.PolicyInput} input
 * @returns {Spendex.PolicyDecision}
 */
// biome-ignore lint/correctness/noUnusedVariables: the sandbox calls route()
function route(input) {
  const { budgets, agent } = input;
  /** @type {Spendex.PolicyBudget | undefined} */
  let spent;
  /** @type {Spendex.PolicyBudget | undefined} */
  let cap;
  for (let index = 0; index < budgets.length; index++) {
    const budget = budgets[index];
    if (budget.scope !== "agent") {
      if (spent === undefined && budget.remaining_usd <= 0) spent = budget;
    } else if (cap === undefined && budget.name === agent) cap = budget;
  }
  if (spent) {
    const message = `The ${spent.scope} budget "${spent.name}" is spent; it resets at ${spent.resets_at}.`;
    return { reject: { status: 402, code: "budget_exceeded", message } };
  }
  const share = cap ? (cap.limit_usd > 0 ? cap.remaining_usd / cap.limit_usd : 0) : 1;
  if (cap && cap.remaining_usd <= 0) {
    const message = `Agent "${cap.name}" has spent its ${cap.period}ly budget of $${cap.limit_usd}; it resets at ${cap.resets_at}.`;
    return { reject: { status: 402, code: "agent_budget_exceeded", message } };
  }
  let tier = RANK[input.classification.tier] ?? -1;
  const tags = agent ? [`agent:${agent}`] : [];
  if (share < AT_CAP) {
    tier = 0;
    tags.push("agent-at-cap");
  } else if (share < NEAR_CAP && tier > 0) {
    tier -= 1;
    tags.push("agent-near-cap");
  }
  const ranked = rank(input, tier, share < AT_CAP);
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
  for (let index = 1; index < ranked.length; index++) fallbacks.push(ranked[index].id);
  return {
    model: first.id,
    fallbacks,
    reason: cap
      ? `agent ${cap.name} has ${(share * 100).toFixed(0)}% of its budget left: ${first.tier} model`
      : `no agent cap: cheapest ${first.tier} model`,
    tags,
  };
}

/**
 * The best three candidates that can serve the request: healthy first; by tier distance from `base` (up
 * before down), or by price alone when `cheapest`; then cheapest, ids breaking ties. One pass keeping the best
 * three in locals: the order a full sort gives, without a comparator call per pair (each call and each
 * operation is slow inside the sandbox).
 * @param {Spendex.PolicyInput} input
 * @param {number} base
 * @param {boolean} cheapest
 * @returns {Spendex.PolicyCandidate[]}
 */
function rank(input, base, cheapest) {
  const { request, candidates } = input;
  const tools = request.tools;
  const vision = request.images;
  const schema = request.json_mode === "json_schema";
  const capable = tools || vision || schema;
  const tokens = request.estimated_prompt_tokens + (request.max_tokens ?? 0);
  // Tier distance from `base`: the tiers above count 1, 2; the ones below 4, 5 (after every tier above).
  /** @type {Record<string, number>} */
  const distance = cheapest
    ? { simple: 0, medium: 0, complex: 0 }
    : base === 0
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
  // Order (health, then distance) and price (3:1 input to output, x4) of each kept candidate.
  let o1 = Infinity;
  let o2 = Infinity;
  let o3 = Infinity;
  let p1 = Infinity;
  let p2 = Infinity;
  let p3 = Infinity;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index];
    if (tokens > candidate.context_window) continue;
    if (capable) {
      const { capabilities } = candidate;
      if ((tools && !capabilities.tools) || (vision && !capabilities.vision)) continue;
      if (schema && !capabilities.json_schema) continue;
    }
    const order = distance[candidate.tier] + (candidate.healthy ? 0 : 10);
    if (order > o3) continue;
    const { prices } = candidate;
    const price = 3 * prices.input + prices.output;
    const id = candidate.id;
    if (order === o3 && (price > p3 || (price === p3 && third !== undefined && id > third.id))) continue;
    if (
      order < o2 ||
      (order === o2 && (price < p2 || (price === p2 && second !== undefined && id < second.id)))
    ) {
      o3 = o2;
      p3 = p2;
      third = second;
      if (
        order < o1 ||
        (order === o1 && (price < p1 || (price === p1 && first !== undefined && id < first.id)))
      ) {
        o2 = o1;
        p2 = p1;
        second = first;
        o1 = order;
        p1 = price;
        first = candidate;
      } else {
        o2 = order;
        p2 = price;
        second = candidate;
      }
    } else {
      o3 = order;
      p3 = price;
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
