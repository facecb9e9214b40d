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
  for (const candidate of candidates) if (candidate.id === reference) return reference;
  // A bare name: the part after the first slash, compared in place (this runs for every answer).
  let match: string | undefined;
  for (const candidate of candidates) {
    const id = candidate.id;
    const start = id.indexOf("/") + 1;
    if (id.length - start === reference.length && id.startsWith(reference, start)) {
      if (match !== undefined) return undefined;
      match = id;
    }
  }
  return match;
}

const ROUTE_KEYS = new Set(["model", "fallbacks", "reason", "tags"]);
const REJECT_CODE = /^[a-z0-9_]{1,64}$/;

function isStringList(value: unknown, maxItems: number, maxLength: number): boolean {
  if (!Array.isArray(value) || value.length > maxItems) return false;
  for (const item of value) if (typeof item !== "string" || item.length > maxLength) return false;
  return true;
}

/**
 * PolicyDecisionSchema written out by hand: this runs on every decision, and the compiled TypeBox check
 * cost more than the rest of the host's work. It only ever accepts what the schema accepts (a test checks
 * the two on generated answers); anything it refuses goes through TypeBox, which also words the error.
 */
export function isWellFormedDecision(value: unknown): value is PolicyDecision {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === "reject") {
    const reject = record.reject;
    if (typeof reject !== "object" || reject === null || Array.isArray(reject)) return false;
    const { status, code, message } = reject as Record<string, unknown>;
    return (
      Object.keys(reject).length === 3 &&
      typeof status === "number" &&
      Number.isInteger(status) &&
      status >= 400 &&
      status <= 499 &&
      typeof code === "string" &&
      REJECT_CODE.test(code) &&
      typeof message === "string" &&
      message.length >= 1 &&
      message.length <= 500
    );
  }
  for (const key of keys) if (!ROUTE_KEYS.has(key)) return false;
  const { model, fallbacks, reason, tags } = record;
  return (
    typeof model === "string" &&
    model.length >= 1 &&
    (fallbacks === undefined || isStringList(fallbacks, 8, Number.POSITIVE_INFINITY)) &&
    (reason === undefined || (typeof reason === "string" && reason.length <= 500)) &&
    (tags === undefined || isStringList(tags, 16, 64))
  );
}

export function normaliseDecision(raw: unknown, candidates: readonly PolicyCandidate[]): Normalised {
  const shapeError = isWellFormedDecision(raw) ? undefined : decisionError(raw);
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
