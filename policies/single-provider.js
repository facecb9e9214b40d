// @ts-check
/// <reference path="policy.d.ts" />
// single-provider: route only to one provider, named by the `x-spendex-provider` header, else by
// `metadata.provider`, else openai. Within it, the cheapest model of the classified tier that fits.

/** @type {Record<string, number>} */
const RANK = { simple: 0, medium: 1, complex: 2 };
const DEFAULT_PROVIDER = "openai";

/**
 * @param {Spendex.PolicyInput} input
 * @returns {Spendex.PolicyDecision}
 */
// biome-ignore lint/correctness/noUnusedVariables: the sandbox calls route()
function route(input) {
  const { request } = input;
  const provider = request.headers["x-spendex-provider"] ?? request.metadata.provider ?? DEFAULT_PROVIDER;
  const { candidates } = input;
  const tools = request.tools;
  const vision = request.images;
  const schema = request.json_mode === "json_schema";
  const capable = tools || vision || schema;
  const tokens = request.estimated_prompt_tokens + (request.max_tokens ?? 0);
  const base = RANK[input.classification.tier] ?? -1;
  // Tier distance from the classified tier: the tiers above count 1, 2; the ones below 4, 5.
  /** @type {Record<string, number>} */
  const distance =
    base === 0
      ? { simple: 0, medium: 1, complex: 2 }
      : base === 1
        ? { simple: 4, medium: 0, complex: 1 }
        : { simple: 5, medium: 4, complex: 0 };
  // One pass keeping the best three in locals (healthy first, then tier distance, then price, then id): the
  // order a full sort gives, without a comparator call per pair (every operation is slow in the sandbox).
  let own = 0;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let first;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let second;
  /** @type {Spendex.PolicyCandidate | undefined} */
  let third;
  let o1 = Infinity;
  let o2 = Infinity;
  let o3 = Infinity;
  let p1 = Infinity;
  let p2 = Infinity;
  let p3 = Infinity;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index];
    if (candidate.provider !== provider) continue;
    own++;
    if (tokens > candidate.context_window) continue;
    if (capable) {
      const { capabilities } = candidate;
      if ((tools && !capabilities.tools) || (vision && !capabilities.vision)) continue;
      if (schema && !capabilities.json_schema) continue;
    }
    const order = distance[candidate.tier] + (candidate.healthy ? 0 : 10);
    if (order > o3) continue;
    const { prices } = candidate;
    // 3:1 input to output like the catalog's blended price (x4, which orders the same).
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
  if (own === 0) {
    return {
      reject: {
        status: 400,
        code: "provider_unavailable",
        message: `No model of provider "${provider}" is connected.`,
      },
    };
  }
  if (!first) {
    return {
      reject: {
        status: 400,
        code: "no_capable_model",
        message: `No "${provider}" model can serve this request.`,
      },
    };
  }
  // Fallbacks stay with the provider: leaving it is exactly what this policy forbids.
  const fallbacks = [];
  if (second) fallbacks.push(second.id);
  if (third) fallbacks.push(third.id);
  return {
    model: first.id,
    fallbacks,
    reason: `${provider} only: cheapest ${first.tier} model for a ${input.classification.tier} request`,
    tags: [`provider:${provider}`],
  };
}
