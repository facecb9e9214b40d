// Mistral content chunks in an answer (Magistral thinking) -> OpenAI's `content` and `reasoning_content` strings.

import { badResponse } from "../core/errors";
import { toOpenAIToolCalls } from "./answer";

/** An answer's message or a stream chunk's delta: both carry `content`, and take `reasoning_content`. */
export interface ContentHolder {
  content?: unknown;
  reasoning_content?: string;
  tool_calls?: unknown;
}

/**
 * Reasoning models answer `content` as an array of chunks (`@mistralai/mistralai` `ContentChunk`):
 * `{type: "thinking", thinking: [{type: "text", text}], signature?, closed?}` and `{type: "text", text}`; in a
 * stream, `delta.content` is such an array while the model thinks (the delta that ends the thinking may carry both),
 * then plain strings. Thinking text becomes `reasoning_content` and text chunks `content`, as the Anthropic and
 * Gemini adapters do. Citation chunks (`reference`, and `tool_reference` inside thinking) carry ids and titles, no
 * answer text, and OpenAI's message has no place for them: they are left out. Any other chunk type (image, document,
 * file, audio: input types Mistral's models do not answer with) fails the answer as a bad response rather than
 * vanish. Plain string content, every non-reasoning answer, returns after one `typeof` and is left untouched.
 * Without any text chunk, `content` becomes `empty` (`undefined` removes the key).
 */
export function fromMistralContent(holder: ContentHolder, provider: string, empty: "" | undefined): void {
  const content = holder.content;
  if (typeof content === "string" || !Array.isArray(content)) return;
  let text: string | undefined;
  let reasoning: string | undefined;
  for (const chunk of content as unknown[]) {
    // A null entry is no chunk at all: it falls through to the bad-response branch instead of a TypeError.
    const part = (chunk ?? {}) as { type?: unknown; text?: unknown; thinking?: unknown };
    if (typeof part.text === "string") {
      // `text` chunks, and any future text-bearing type: answer text is never dropped.
      text = (text ?? "") + part.text;
    } else if (part.type === "thinking") {
      if (!Array.isArray(part.thinking)) continue;
      for (const inner of part.thinking as Array<{ text?: unknown }>) {
        if (typeof inner?.text === "string" && inner.text !== "") reasoning = (reasoning ?? "") + inner.text;
      }
    } else if (part.type !== "reference") {
      throw badResponse(provider, `a '${String(part.type)}' content chunk, which has no OpenAI equivalent`);
    }
  }
  const value = text ?? empty;
  if (value === undefined) delete holder.content;
  else holder.content = value;
  if (reasoning !== undefined) holder.reasoning_content = reasoning;
}

/**
 * An answer's message: no text chunk (only thinking, or tool calls) is `""`, as Mistral's own plain answers say.
 * Tool calls get OpenAI's `type` and string arguments (`answer.ts`).
 */
export function fromMistralMessage(message: ContentHolder, provider: string): void {
  toOpenAIToolCalls(message);
  fromMistralContent(message, provider, "");
}

/** A stream delta: no text chunk means no `content` key, so clients concatenating deltas see only strings. */
export function fromMistralDelta(delta: ContentHolder, provider: string): void {
  toOpenAIToolCalls(delta);
  fromMistralContent(delta, provider, undefined);
}
