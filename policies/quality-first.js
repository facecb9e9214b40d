// @ts-check
/// <reference path="policy.d.ts" />
// quality-first: the most capable (most expensive) healthy model at or above the classified tier whose
// worst-case cost for this request still fits the tightest budget; rejects when nothing fits the budget.

/** @type {Record<string, number>} */
const RANK = { simple: 0, medium: 1, complex: 2 };
/** Output tokens assumed for the cost estimate when the client sets no max_tokens. */
const DEFAULT_OUTPUT_TOKENS = 1024;

/**
 * @param {Spendex.PolicyInput} input
 * @returns {Spendex.PolicyDecision}
 */
// biome-ignore lint/correctness/noUnusedVariables: the sandbox calls route()
function route(input) {
  const { request, budgets, candidates } = input;
  let remaining = Infinity;
  for (let index = 0; index < budgets.length; index++) {
    const left = budgets[index].remaining_usd;
    if (left < remaining) remaining = left;
  }
  if (remaining <= 0) {
    return {
      reject: { status: 402, code: "budget_exceeded", message: "A budget for this request is spent." },
    };
  }
  const floor = RANK[input.classification.tier] ?? -1;
  const tools = request.tools;
  const vision = request.images;
  const schema = request.json_mode === "json_schema";
  const capable = tools || vision || schema;
  const prompt = request.estimated_prompt_tokens;
  const tokens = prompt + (request.max_tokens ?? 0);
  const output = request.max_tokens ?? DEFAULT_OUTPUT_TOKENS;
  // Best first: at or above the classified tier (band 0) before below it, then the highest blended price,
  // then the fastest, ids breaking ties. One pass keeps the best four in locals: the order a full sort gives,
  // without a comparator call per pair (every operation and call is slow inside the sandbox).
  /** @type {Spendex.PolicyCandidate | undefined} */
  let c1;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let c2;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let c3;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let c4;
  let b1 = 2;
  let b2 = 2;
  let b3 = 2;
  let b4 = 2;
  let v1 = 0;
  let v2 = 0;
  let v3 = 0;
  let v4 = 0;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index];
    if (!candidate.healthy || tokens > candidate.context_window) continue;
    if (capable) {
      const { capabilities } = candidate;
      if ((tools && !capabilities.tools) || (vision && !capabilities.vision)) continue;
      if (schema && !capabilities.json_schema) continue;
    }
    const { prices } = candidate;
    // Worst-case USD for this request on this candidate.
    if ((prompt * prices.input + output * prices.output) / 1e6 > remaining) continue;
    const band = RANK[candidate.tier] >= floor ? 0 : 1;
    // 3:1 input to output like the catalog's blended price (x4, which orders the same).
    const value = 3 * prices.input + prices.output;
    // An empty slot has band 2, so every candidate beats it.
    if (band > b4 || (band === b4 && (value < v4 || (value === v4 && !tieBefore(candidate, c4))))) continue;
    if (band < b3 || (band === b3 && (value > v3 || (value === v3 && tieBefore(candidate, c3))))) {
      c4 = c3;
      b4 = b3;
      v4 = v3;
      if (band < b2 || (band === b2 && (value > v2 || (value === v2 && tieBefore(candidate, c2))))) {
        c3 = c2;
        b3 = b2;
        v3 = v2;
        if (band < b1 || (band === b1 && (value > v1 || (value === v1 && tieBefore(candidate, c1))))) {
          c2 = c1;
          b2 = b1;
          v2 = v1;
          c1 = candidate;
          b1 = band;
          v1 = value;
        } else {
          c2 = candidate;
          b2 = band;
          v2 = value;
        }
      } else {
        c3 = candidate;
        b3 = band;
        v3 = value;
      }
    } else {
      c4 = candidate;
      b4 = band;
      v4 = value;
    }
  }
  const best = [];
  if (c1) best.push(c1);
  if (c2) best.push(c2);
  if (c3) best.push(c3);
  if (c4) best.push(c4);
  const chosen = best[0];
  if (!chosen) {
    const message = Number.isFinite(remaining)
      ? `No model can serve this request within the remaining budget of $${remaining.toFixed(4)}.`
      : "No healthy model can serve this request.";
    return {
      reject: { status: Number.isFinite(remaining) ? 402 : 400, code: "no_affordable_model", message },
    };
  }
  const below = RANK[chosen.tier] < floor;
  const fallbacks = [];
  for (let index = 1; index < best.length; index++) fallbacks.push(best[index].id);
  return {
    model: chosen.id,
    fallbacks,
    reason: `best ${chosen.tier} model${below ? " the budget allows" : ""} for a ${input.classification.tier} request`,
    tags: below ? ["budget-capped"] : [],
  };
}

/**
 * Between two candidates of the same band and price: the lower p50 latency first (unknown last), then the id.
 * @param {Spendex.PolicyCandidate} candidate @param {Spendex.PolicyCandidate | undefined} kept
 */
function tieBefore(candidate, kept) {
  if (kept === undefined) return true;
  const latency = candidate.p50_ms ?? Infinity;
  const keptLatency = kept.p50_ms ?? Infinity;
  if (latency !== keptLatency) return latency < keptLatency;
  return candidate.id < kept.id;
}
