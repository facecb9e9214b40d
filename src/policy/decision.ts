// Host-side validation of a policy's answer: shape, model references resolved to candidate ids, fallbacks pruned.

import { decisionError, type PolicyCandidate, type PolicyDecision } from "./contract";

export type Normalised =
  | { ok: true; decision: PolicyDecision; notes: string[] }
  | { ok: false; error: string };

/** `provider/name` exactly, or a bare name that matches exactly one candidate; undefined otherwise. */
export function resolveCandidate(
  reference: string,
  candidates: readonly PolicyCandidate[],
): string | undefined {
  let match: string | undefined;
  for (const candidate of candidates) {
    if (candidate.id === reference) return candidate.id;
    const slash = candidate.id.indexOf("/");
    if (candidate.id.slice(slash + 1) === reference) {
      if (match !== undefined) return undefined;
      match = candidate.id;
    }
  }
  return match;
}

export function normaliseDecision(raw: unknown, candidates: readonly PolicyCandidate[]): Normalised {
  const shapeError = decisionError(raw);
  if (shapeError !== undefined) return { ok: false, error: shapeError };
  const decision = raw as PolicyDecision;
  if ("reject" in decision) return { ok: true, decision, notes: [] };

  const model = resolveCandidate(decision.model, candidates);
  if (model === undefined) {
    return { ok: false, error: `model "${decision.model}" is not a candidate (or names several)` };
  }
  const notes: string[] = [];
  const fallbacks: string[] = [];
  for (const reference of decision.fallbacks ?? []) {
    const id = resolveCandidate(reference, candidates);
    if (id === undefined) notes.push(`fallback "${reference}" is not a candidate and was dropped`);
    else if (id !== model && !fallbacks.includes(id)) fallbacks.push(id);
  }
  const normalised: PolicyDecision = { model };
  if (decision.fallbacks !== undefined) normalised.fallbacks = fallbacks;
  if (decision.reason !== undefined) normalised.reason = decision.reason;
  if (decision.tags !== undefined) normalised.tags = decision.tags;
  return { ok: true, decision: normalised, notes };
}
