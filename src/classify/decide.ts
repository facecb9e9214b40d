// Turns calibrated probabilities into a tier: the operating point, then the explicit rules on signals.

import { TIERS, type Tier } from "../catalog/types";
import type { Decision } from "./manifest";
import type { Classification, Signals } from "./types";

export const ARGMAX: Decision = { simpleBias: 0, complexBias: 0 };

/** Index of the tier chosen by the operating point: argmax of log p + bias. */
export function decideIndex(probs: ArrayLike<number>, decision: Decision): number {
  const biased = [
    Math.log(Math.max(probs[0] ?? 0, 1e-12)) + decision.simpleBias,
    Math.log(Math.max(probs[1] ?? 0, 1e-12)),
    Math.log(Math.max(probs[2] ?? 0, 1e-12)) + decision.complexBias,
  ];
  let best = 0;
  for (let i = 1; i < biased.length; i++) if ((biased[i] ?? 0) > (biased[best] ?? 0)) best = i;
  return best;
}

/**
 * Rules the pooled vectors cannot judge, applied after the learned decision:
 * - `long_context`: estimated tokens at or above `longContextTokens` need a long-context model, so at least
 *   `complex` (the top tier, so exactly `complex`); `signals.rule` names it whether or not the model agreed,
 *   and confidence is 1 because a rule decided, not a guess.
 * - images are reported in `signals.images`; routing picks a vision-capable model of the tier.
 */
export function classifyFromProbs(
  probs: ArrayLike<number>,
  signals: Signals,
  decision: Decision,
  longContextTokens: number,
): Classification {
  const scores = { simple: probs[0] ?? 0, medium: probs[1] ?? 0, complex: probs[2] ?? 0 };
  let tier: Tier = TIERS[decideIndex(probs, decision)] ?? "medium";
  let confidence = scores[tier];
  if (signals.estimatedTokens >= longContextTokens) {
    tier = "complex";
    confidence = 1;
    signals.rule = "long_context";
  }
  return { tier, confidence, scores, signals };
}
