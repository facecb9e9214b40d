// How a PolicyInput crosses into the sandbox: numbers as float64s, strings as one JSON array, candidates resent
// only when they change.

import type { PolicyBudget, PolicyCandidate, PolicyInput } from "./contract";

/**
 * Parsing JSON is most of a decision's cost inside QuickJS, so the input travels in parts: `candidates`
 * (the bulk, and rarely changed: the VM keeps the last parsed, frozen list), `signals` (crossing only if
 * the policy reads them), every per-request number (and the three request flags) as float64s that the VM
 * reads from an ArrayBuffer (QuickJS's JSON.parse costs ~0.85 µs per fractional number here, and budgets and
 * the classifier's scores carry 17 significant digits, the tier as its index), `now` as a plain string, and the
 * remaining strings and nulls as a JSON array in a fixed order (no keys), which the VM keeps parsed while it
 * does not change. The order is documented by `encode` and read by the prelude's `build`.
 */
export interface EncodedInput {
  /** The per-request strings that rarely change, as a JSON array (see `encode` for the order). */
  strings: string;
  /** The decision time as is, or (tier index -1 in `numbers`) the JSON array [tier, now, user, agent]. */
  now: string;
  /** The per-request numbers, then budgets (three each), then candidates (healthy, p50_ms). */
  numbers: Float64Array;
  /** JSON of the candidates' static part: one string (by identity) per distinct list. */
  candidates: string;
  /** Where the candidates' numbers start in `numbers`. */
  dynamicAt: number;
  /**
   * Whose signals are serialised only if the policy reads them: the VM asks the host through a callback (see
   * sandbox.ts). The gateway builds `signals` lazily too, so they are not even read otherwise.
   */
  classification: PolicyInput["classification"];
}

/** Float64s before the budgets' (see `encode`); each budget then adds three. */
export const FIXED_NUMBERS = 9;
/** JSON strings before the budgets'; each budget then adds four. */
export const FIXED_STRINGS = 9;
/** Tiers cross as their index here (the prelude holds the same list). */
export const TIERS = ["simple", "medium", "complex"] as const;

/**
 * Field-by-field equality of two candidate lists, written out because it runs on every decision: a generic
 * walk cost as much as serialising. test/policy/transport.test.ts proves it reads every field of the schema.
 */
export function sameCandidates(a: readonly PolicyCandidate[], b: readonly PolicyCandidate[]): boolean {
  if (!sameStatics(a, b)) return false;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] as PolicyCandidate;
    const y = b[index] as PolicyCandidate;
    if (x.healthy !== y.healthy || x.p50_ms !== y.p50_ms) return false;
  }
  return true;
}

/**
 * Equality of everything but `healthy` and `p50_ms`: the part of a candidate list that crosses as JSON, once
 * per distinct list. Health and latency change far more often and cross as numbers on every decision.
 */
export function sameStatics(a: readonly PolicyCandidate[], b: readonly PolicyCandidate[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] as PolicyCandidate;
    const y = b[index] as PolicyCandidate;
    if (
      x.id !== y.id ||
      x.provider !== y.provider ||
      x.tier !== y.tier ||
      x.prices.input !== y.prices.input ||
      x.prices.cached_input !== y.prices.cached_input ||
      x.prices.output !== y.prices.output ||
      x.context_window !== y.context_window ||
      x.capabilities.tools !== y.capabilities.tools ||
      x.capabilities.vision !== y.capabilities.vision ||
      x.capabilities.json_schema !== y.capabilities.json_schema ||
      x.capabilities.streaming !== y.capabilities.streaming
    ) {
      return false;
    }
  }
  return true;
}

/** Whether a candidate list and every object in it are frozen (the gateway passes such lists, reused). */
function deeplyFrozen(candidates: readonly PolicyCandidate[]): boolean {
  if (!Object.isFrozen(candidates)) return false;
  for (const candidate of candidates) {
    if (!Object.isFrozen(candidate) || !Object.isFrozen(candidate.prices)) return false;
    if (!Object.isFrozen(candidate.capabilities)) return false;
  }
  return true;
}

/** No own enumerable keys: such records cross as 0 and arrive as one shared, frozen `{}` (see the prelude). */
function isEmpty(record: Record<string, string>): boolean {
  for (const _ in record) return false;
  return true;
}

/** Distinct candidate lists an encoder remembers. */
const RECENT_LISTS = 4;

/** Encodes inputs for one engine; remembers the last candidates (a copy: callers may mutate theirs). */
export class InputEncoder {
  /**
   * The last few distinct candidate lists (copies) and the JSON of their static part, most recent first. Keys
   * may be allowed different models, so interleaved requests alternate between lists; each keeps its own JSON
   * string, which the sandbox recognises by identity and keeps parsed (see CANDIDATE_SLOTS in sandbox.ts).
   */
  private recent: Array<{ list: PolicyCandidate[]; json: string }> = [];
  /** The last deep-frozen list passed in and its entry: a frozen list cannot change, so identity suffices. */
  private lastFrozen:
    | { source: readonly PolicyCandidate[]; entry: { list: PolicyCandidate[]; json: string } }
    | undefined;

  encode(input: PolicyInput): EncodedInput {
    const { candidates, classification } = input;
    const recent = this.recent;
    let hit = -1;
    const frozen = this.lastFrozen;
    if (frozen !== undefined && frozen.source === candidates) hit = recent.indexOf(frozen.entry);
    for (let index = 0; hit < 0 && index < recent.length; index++) {
      if (sameStatics(candidates, (recent[index] as { list: PolicyCandidate[] }).list)) hit = index;
    }
    let entry: { list: PolicyCandidate[]; json: string };
    if (hit < 0) {
      // [id, provider, tier, prices, context_window, capabilities] per candidate, in the schema's order.
      const json = JSON.stringify(
        candidates.map((c) => [c.id, c.provider, c.tier, c.prices, c.context_window, c.capabilities]),
      );
      entry = { list: structuredClone(candidates), json };
      recent.unshift(entry);
      if (recent.length > RECENT_LISTS) recent.pop();
    } else {
      entry = recent[hit] as { list: PolicyCandidate[]; json: string };
      if (hit > 0) {
        recent.splice(hit, 1);
        recent.unshift(entry);
      }
    }
    if (frozen?.source !== candidates && deeplyFrozen(candidates))
      this.lastFrozen = { source: candidates, entry };
    // Values only, in the order the prelude's build() reads them: parsing keys inside QuickJS cost as much as
    // the values. Spelled out because this is the hot path; transport.test.ts proves every field crosses.
    const { request, key, budgets } = input;
    const { scores } = classification;
    const numbers = new Float64Array(FIXED_NUMBERS + 3 * budgets.length + 2 * candidates.length);
    numbers[0] = request.message_count;
    numbers[1] = request.estimated_prompt_tokens;
    // A count, so NaN is free to stand for null.
    numbers[2] = request.max_tokens ?? Number.NaN;
    numbers[3] = (request.stream ? 1 : 0) | (request.tools ? 2 : 0) | (request.images ? 4 : 0);
    numbers[4] = classification.confidence;
    numbers[5] = scores.simple;
    numbers[6] = scores.medium;
    numbers[7] = scores.complex;
    // Per request: the tier as its index and `now` as a plain string; when a user or agent is set (they change
    // from one request to the next), the tier is outside the schema or `now` holds a NUL, the JSON array
    // [tier, now, user, agent] instead, with the index -1.
    const tier = TIERS.indexOf(classification.tier);
    const plain = tier >= 0 && request.user === null && input.agent === null && !input.now.includes("\0");
    numbers[8] = plain ? tier : -1;
    const now = plain
      ? input.now
      : JSON.stringify([classification.tier, input.now, request.user, input.agent]);
    // Usually the same from one request to the next (the key, its budgets' names, the client's model and
    // headers): the sandbox sends this string only when it differs from the last one the VM parsed.
    const strings: unknown[] = [
      request.model,
      request.tool_choice,
      request.json_mode,
      isEmpty(request.metadata) ? 0 : request.metadata,
      isEmpty(request.headers) ? 0 : request.headers,
      key.id,
      key.name,
      key.team,
      key.env,
    ];
    for (let index = 0; index < budgets.length; index++) {
      const budget = budgets[index] as PolicyBudget;
      const at = FIXED_NUMBERS + 3 * index;
      numbers[at] = budget.limit_usd;
      numbers[at + 1] = budget.spent_usd;
      numbers[at + 2] = budget.remaining_usd;
      strings.push(budget.scope, budget.name, budget.period, budget.resets_at);
    }
    // Last, two per candidate: healthy (1 or 0) and p50_ms (NaN for null). The sandbox sends them into the VM
    // only when they differ from what its slot holds.
    const dynamic = FIXED_NUMBERS + 3 * budgets.length;
    for (let index = 0; index < candidates.length; index++) {
      const candidate = candidates[index] as PolicyCandidate;
      numbers[dynamic + 2 * index] = candidate.healthy ? 1 : 0;
      numbers[dynamic + 2 * index + 1] = candidate.p50_ms ?? Number.NaN;
    }
    return {
      strings: JSON.stringify(strings),
      now,
      numbers,
      candidates: entry.json,
      dynamicAt: dynamic,
      classification,
    };
  }
}
