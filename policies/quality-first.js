// @ts-check
/// <reference path="policy.d.ts" />
// quality-first: the most capable (most expensive) healthy model at or above the classified tier whose
// worst-case cost for this request still fits the tightest budget; rejects when nothing fits the budget.

const TIERS = ["simple", "medium", "complex"];
/** Output tokens assumed for the cost estimate when the client sets no max_tokens. */
const DEFAULT_OUTPUT_TOKENS = 1024;

/**
 * @param {Spendex.PolicyInput} input
 * @returns {Spendex.PolicyDecision}
 */
// biome-ignore lint/correctness/noUnusedVariables: the sandbox calls route()
function route(input) {
  const remaining = Math.min(Infinity, ...input.budgets.map((budget) => budget.remaining_usd));
  if (remaining <= 0) {
    return {
      reject: { status: 402, code: "budget_exceeded", message: "A budget for this request is spent." },
    };
  }
  const floor = TIERS.indexOf(input.classification.tier);
  const usable = input.candidates.filter(
    (candidate) =>
      candidate.healthy && fits(candidate, input.request) && cost(candidate, input.request) <= remaining,
  );
  // Best first: at or above the classified tier before below it, then the highest price, then the fastest.
  const ranked = usable.sort(
    (a, b) =>
      Number(TIERS.indexOf(b.tier) >= floor) - Number(TIERS.indexOf(a.tier) >= floor) ||
      price(b) - price(a) ||
      (a.p50_ms ?? Infinity) - (b.p50_ms ?? Infinity) ||
      (a.id < b.id ? -1 : 1),
  );
  const [best, ...rest] = ranked;
  if (!best) {
    const message = Number.isFinite(remaining)
      ? `No model can serve this request within the remaining budget of $${remaining.toFixed(4)}.`
      : "No healthy model can serve this request.";
    return {
      reject: { status: Number.isFinite(remaining) ? 402 : 400, code: "no_affordable_model", message },
    };
  }
  const below = TIERS.indexOf(best.tier) < floor;
  return {
    model: best.id,
    fallbacks: rest.slice(0, 3).map((candidate) => candidate.id),
    reason: `best ${best.tier} model${below ? " the budget allows" : ""} for a ${input.classification.tier} request`,
    tags: below ? ["budget-capped"] : [],
  };
}

/** Worst-case USD for this request on a candidate. @param {Spendex.PolicyCandidate} candidate @param {Spendex.PolicyRequest} request */
function cost(candidate, request) {
  const output = request.max_tokens ?? DEFAULT_OUTPUT_TOKENS;
  return (request.estimated_prompt_tokens * candidate.prices.input + output * candidate.prices.output) / 1e6;
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
