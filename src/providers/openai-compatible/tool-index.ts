// Tool-call deltas without `index` (Ollama, Gemini's OpenAI endpoint, mistral.rs) -> OpenAI's numbered deltas.

import type { ChatCompletionChunk } from "../../openai/types";

type Delta = ChatCompletionChunk["choices"][number]["delta"];

/**
 * The OpenAI SDK's stream helper refuses a tool-call delta without a numeric index. Such servers send each call
 * whole, or its first piece with an id and the rest without: a new id is the next call, a known id that call, no id
 * the latest one. Deltas that carry an index keep it and are remembered, so a mixed stream stays consistent.
 */
export class ToolCallIndexes {
  /** Per choice: the ids seen, by index, and how many calls there are. */
  private readonly choices = new Map<number, { ids: Map<string, number>; count: number }>();

  fill(choice: number, delta: Delta): void {
    const calls = delta.tool_calls;
    if (!Array.isArray(calls)) return;
    let state = this.choices.get(choice);
    if (state === undefined) {
      state = { ids: new Map(), count: 0 };
      this.choices.set(choice, state);
    }
    for (const call of calls) {
      if (typeof call !== "object" || call === null) continue;
      const id = typeof call.id === "string" && call.id !== "" ? call.id : undefined;
      if (typeof call.index !== "number") {
        const known = id === undefined ? undefined : state.ids.get(id);
        call.index = known ?? (id === undefined ? Math.max(state.count - 1, 0) : state.count);
      }
      if (id !== undefined && !state.ids.has(id)) state.ids.set(id, call.index);
      state.count = Math.max(state.count, call.index + 1);
    }
  }
}
