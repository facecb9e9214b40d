// How a PolicyInput crosses into the sandbox: three JSON strings, candidates resent only when they change.

import type { PolicyCandidate, PolicyInput } from "./contract";

/**
 * Parsing JSON is most of a decision's cost inside QuickJS, so the input travels in parts: `candidates`
 * (the bulk, and rarely changed: the VM keeps the last parsed, frozen list), `signals` (parsed inside only
 * if the policy reads them) and the rest, as a JSON array of values in a fixed order (no keys).
 */
export interface EncodedInput {
  rest: string;
  candidates: string;
  signals: string;
}

/**
 * Field-by-field equality of two candidate lists, written out because it runs on every decision: a generic
 * walk cost as much as serialising. test/policy/transport.test.ts proves it reads every field of the schema.
 */
export function sameCandidates(a: readonly PolicyCandidate[], b: readonly PolicyCandidate[]): boolean {
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
      x.capabilities.streaming !== y.capabilities.streaming ||
      x.healthy !== y.healthy ||
      x.p50_ms !== y.p50_ms
    ) {
      return false;
    }
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
   * The last few distinct candidate lists (copies) and their JSON, most recent first. Keys may be allowed
   * different models, so interleaved requests alternate between lists; each keeps its own JSON string, which
   * the sandbox recognises by identity and keeps parsed (see CANDIDATE_SLOTS in sandbox.ts).
   */
  private recent: Array<{ list: PolicyCandidate[]; json: string }> = [];

  encode(input: PolicyInput): EncodedInput {
    const { candidates, classification } = input;
    const recent = this.recent;
    let hit = -1;
    for (let index = 0; index < recent.length; index++) {
      if (sameCandidates(candidates, (recent[index] as { list: PolicyCandidate[] }).list)) {
        hit = index;
        break;
      }
    }
    let entry: { list: PolicyCandidate[]; json: string };
    if (hit < 0) {
      const json = JSON.stringify(candidates);
      entry = { list: JSON.parse(json) as PolicyCandidate[], json };
      recent.unshift(entry);
      if (recent.length > RECENT_LISTS) recent.pop();
    } else {
      entry = recent[hit] as { list: PolicyCandidate[]; json: string };
      if (hit > 0) {
        recent.splice(hit, 1);
        recent.unshift(entry);
      }
    }
    // Values only, in the order the prelude's build() reads them: parsing keys inside QuickJS cost as much as
    // the values. Spelled out because this is the hot path; transport.test.ts proves every field crosses.
    const { request, key } = input;
    const { scores } = classification;
    const rest = [
      request.model,
      request.message_count,
      request.estimated_prompt_tokens,
      request.max_tokens,
      request.stream,
      request.tools,
      request.tool_choice,
      request.images,
      request.json_mode,
      isEmpty(request.metadata) ? 0 : request.metadata,
      request.user,
      isEmpty(request.headers) ? 0 : request.headers,
      classification.tier,
      classification.confidence,
      scores.simple,
      scores.medium,
      scores.complex,
      key.id,
      key.name,
      key.team,
      key.env,
      input.agent,
      input.budgets.length === 0 ? 0 : input.budgets,
      input.now,
    ];
    return {
      rest: JSON.stringify(rest),
      candidates: entry.json,
      signals: JSON.stringify(classification.signals),
    };
  }
}
