// @ts-check
/// <reference path="policy.d.ts" />
// agent-budgets: per-agent spend caps. An agent whose budget is spent gets 402; one under a quarter of its
// budget moves down a tier; under a tenth, it gets the cheapest model that can serve the request at all.

const TIERS = ["simple", "medium", "complex"];
const NEAR_CAP = 0.25;
const AT_CAP = 0.1;

/**
 * @param {Spendex.PolicyInput} input
 * @returns {Spendex.PolicyDecision}
 */
// biome-ignore lint/correctness/noUnusedVariables: the sandbox calls route()
function route(input) {
  const spent = input.budgets.find((budget) => budget.scope !== "agent" && budget.remaining_usd <= 0);
  if (spent) {
    const message = `The ${spent.scope} budget "${spent.name}" is spent; it resets at ${spent.resets_at}.`;
    return { reject: { status: 402, code: "budget_exceeded", message } };
  }
  const cap = input.budgets.find((budget) => budget.scope === "agent" && budget.name === input.agent);
  const share = cap ? (cap.limit_usd > 0 ? cap.remaining_usd / cap.limit_usd : 0) : 1;
  if (cap && cap.remaining_usd <= 0) {
    const message = `Agent "${cap.name}" has spent its ${cap.period}ly budget of $${cap.limit_usd}; it resets at ${cap.resets_at}.`;
    return { reject: { status: 402, code: "agent_budget_exceeded", message } };
  }
  let tier = TIERS.indexOf(input.classification.tier);
  const tags = input.agent ? [`agent:${input.agent}`] : [];
  if (share < AT_CAP) {
    tier = 0;
    tags.push("agent-at-cap");
  } else if (share < NEAR_CAP && tier > 0) {
    tier -= 1;
    tags.push("agent-near-cap");
  }
  const ranked = rank(input, tier, share < AT_CAP);
  const [first, ...rest] = ranked;
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
    fallbacks: rest.slice(0, 2).map((candidate) => candidate.id),
    reason: cap
      ? `agent ${cap.name} has ${(share * 100).toFixed(0)}% of its budget left: ${first.tier} model`
      : `no agent cap: cheapest ${first.tier} model`,
    tags,
  };
}

/**
 * Healthy first; by tier distance from `base` (up before down), or by price alone when `cheapest`.
 * @param {Spendex.PolicyInput} input
 * @param {number} base
 * @param {boolean} cheapest
 */
function rank(input, base, cheapest) {
  /** @param {Spendex.PolicyCandidate} candidate */
  const order = (candidate) => {
    const distance = cheapest ? 0 : TIERS.indexOf(candidate.tier) - base;
    return (candidate.healthy ? 0 : 10) + (distance >= 0 ? distance : TIERS.length - distance);
  };
  return input.candidates
    .filter((candidate) => fits(candidate, input.request))
    .sort((a, b) => order(a) - order(b) || price(a) - price(b) || (a.id < b.id ? -1 : 1));
}

/** @param {Spendex.PolicyCandidate} candidate @param {Spendex.PolicyRequest} request */
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
