// @ts-check
/// <reference path="policy.d.ts" />
// single-provider: route only to one provider, named by the `x-spendex-provider` header, else by
// `metadata.provider`, else openai. Within it, the cheapest model of the classified tier that fits.

const TIERS = ["simple", "medium", "complex"];
const DEFAULT_PROVIDER = "openai";

/**
 * @param {Spendex.PolicyInput} input
 * @returns {Spendex.PolicyDecision}
 */
// biome-ignore lint/correctness/noUnusedVariables: the sandbox calls route()
function route(input) {
  const { request } = input;
  const provider = request.headers["x-spendex-provider"] ?? request.metadata.provider ?? DEFAULT_PROVIDER;
  const own = input.candidates.filter((candidate) => candidate.provider === provider);
  if (own.length === 0) {
    return {
      reject: {
        status: 400,
        code: "provider_unavailable",
        message: `No model of provider "${provider}" is connected.`,
      },
    };
  }
  const base = TIERS.indexOf(input.classification.tier);
  /** @param {Spendex.PolicyCandidate} candidate */
  const order = (candidate) => {
    const distance = TIERS.indexOf(candidate.tier) - base;
    return (candidate.healthy ? 0 : 10) + (distance >= 0 ? distance : TIERS.length - distance);
  };
  const ranked = own
    .filter((candidate) => fits(candidate, request))
    .sort((a, b) => order(a) - order(b) || price(a) - price(b) || (a.id < b.id ? -1 : 1));
  const [first, ...rest] = ranked;
  if (!first) {
    return {
      reject: {
        status: 400,
        code: "no_capable_model",
        message: `No "${provider}" model can serve this request.`,
      },
    };
  }
  return {
    model: first.id,
    // Fallbacks stay with the provider: leaving it is exactly what this policy forbids.
    fallbacks: rest.slice(0, 2).map((candidate) => candidate.id),
    reason: `${provider} only: cheapest ${first.tier} model for a ${input.classification.tier} request`,
    tags: [`provider:${provider}`],
  };
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
