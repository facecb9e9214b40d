// Stream chunk predicates shared by the gateway (when to commit a stream) and the adapters (when a model has begun).

import type { ChatCompletionChunk } from "./types";

/**
 * Does this chunk carry anything a client acts on? The opening role-only chunk does not. Any other non-empty delta
 * field does, extensions included: OpenAI-compatible reasoning models stream `reasoning_content` or `reasoning` for
 * minutes before any content, and holding those back would leave the client without a byte all that time.
 */
export function isSubstantive(chunk: ChatCompletionChunk): boolean {
  if (chunk.choices.length === 0) return true;
  for (const choice of chunk.choices) {
    if (choice.finish_reason) return true;
    const delta = choice.delta as Record<string, unknown>;
    for (const key in delta) {
      if (key === "role") continue;
      const value = delta[key];
      if (value !== "" && value != null) return true;
    }
  }
  return false;
}
