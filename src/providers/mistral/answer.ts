// Mistral answer fields OpenAI's format spells differently: finish reasons, and tool-call arguments as objects.

import { badResponse } from "../core/errors";

/**
 * Mistral's finish reasons (`@mistralai/mistralai` 2.7 `ChatCompletionChoiceFinishReason`): `stop`, `length` and
 * `tool_calls` are OpenAI's too. `model_length` (the model's context window ran out mid-answer) is OpenAI's
 * `length`: the answer is cut, which clients look for under that name. `error` (generation failed) has no OpenAI
 * equivalent, and passed through it read as a finished answer: it fails as a bad response instead (502, retried
 * or failed over when nothing was streamed yet). Any other value passes as sent.
 */
export function fromMistralFinish(reason: string, provider: string): string {
  if (reason === "model_length") return "length";
  if (reason === "error") throw badResponse(provider, "finish_reason 'error': the model failed mid-answer");
  return reason;
}

type MistralToolCall = { type?: unknown; function?: { arguments?: unknown } } | null;

/**
 * Mistral's tool calls (`ToolCall`: `{id?, type?, function: {name, arguments}, index?}`) -> OpenAI's, in place.
 * `arguments` may be an object (`{[k: string]: any} | string`): serialized to the JSON string OpenAI's clients
 * parse (the `openai` SDK concatenates streamed arguments as strings). `type` is optional there and always
 * `"function"` in OpenAI's: a missing one is filled in, since the `openai` SDK's stream helper throws `tool call
 * snapshot missing type` without it. Calls as OpenAI spells them cost two checks each and are left as they are.
 */
export function toOpenAIToolCalls(holder: { tool_calls?: unknown }): void {
  const calls = holder.tool_calls;
  if (!Array.isArray(calls)) return;
  for (const call of calls as MistralToolCall[]) {
    if (call == null) continue;
    if (call.type == null) call.type = "function";
    const fn = call.function;
    if (fn != null && typeof fn.arguments === "object" && fn.arguments !== null) {
      fn.arguments = JSON.stringify(fn.arguments);
    }
  }
}
