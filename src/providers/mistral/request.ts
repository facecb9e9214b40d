// OpenAI request -> Mistral chat body: renamed and dropped parameters, developer role, 9-character tool ids.

import { UnsupportedError } from "../../errors";
import type { ChatMessage, ChatRequest } from "../../openai/types";
import { refuseName } from "../core/content";
import type { CallOptions } from "../types";
import { toMistralToolCallId } from "./tool-ids";

const PROVIDER = "mistral";

/**
 * OpenAI parameters Mistral does not take, by what we do with them. Dropped ones have no effect on the answer:
 * Mistral always reports usage at the end of a stream; `user`/`safety_identifier` are abuse-tracking labels;
 * `prompt_cache_key` is a cache-routing label (Anthropic and Gemini drop it too); `store` asks OpenAI to keep the
 * completion, which Mistral cannot. Everything else changes the output and is refused. Parameters in neither list
 * (Mistral's own, such as `safe_prompt`) pass through untouched.
 */
const DROPPED = new Set(["stream_options", "user", "safety_identifier", "store", "prompt_cache_key"]);
const UNSUPPORTED: Record<string, (value: unknown) => boolean> = {
  logit_bias: (value) => value != null && Object.keys(value as object).length > 0,
  logprobs: (value) => value === true,
  top_logprobs: (value) => value != null,
  modalities: (value) => Array.isArray(value) && value.some((modality) => modality !== "text"),
  audio: (value) => value != null,
  web_search_options: (value) => value != null,
  verbosity: (value) => value != null,
  functions: (value) => value != null,
  function_call: (value) => value != null,
  // Mistral's tiers are auto / standard_only; OpenAI's flex, scale and priority have no equivalent.
  service_tier: (value) => value != null && value !== "auto" && value !== "default",
};
/**
 * Magistral models always reason, at their own depth, and `reasoning_effort` is for Mistral's adjustable models
 * only (e.g. `mistral-small-latest`, which get it as sent; on Magistral it is reported to 422). An effort that asks
 * for reasoning is therefore dropped: the answer reasons either way. `none` and `minimal` ask for (almost) none,
 * which a Magistral model cannot give: refused, as Anthropic and Gemini refuse them.
 */
const MAGISTRAL_EFFORTS = new Set(["low", "medium", "high", "xhigh"]);
const isMagistral = (model: string) => model.startsWith("magistral");

/** Same meaning, Mistral's name. */
const RENAMED: Record<string, string> = { max_completion_tokens: "max_tokens", seed: "random_seed" };

export function toMistralBody(options: CallOptions, stream: boolean): Record<string, unknown> {
  const request = options.request;
  const body: Record<string, unknown> = {};
  for (const key in request) {
    const value = request[key];
    // null means "the default" for every OpenAI parameter, and Mistral refuses fields it does not know even when
    // null (SDKs and frameworks send `reasoning_effort: null`, `audio: null`...): leaving them out is the same.
    if (value == null || DROPPED.has(key)) continue;
    if (key === "reasoning_effort" && isMagistral(options.upstreamModel)) {
      if (MAGISTRAL_EFFORTS.has(value as string)) continue;
      throw new UnsupportedError(
        PROVIDER,
        key,
        `Magistral models always reason, so effort '${String(value)}' has no equivalent`,
      );
    }
    const refuses = UNSUPPORTED[key];
    if (refuses !== undefined) {
      // Not refused means a neutral value (`logprobs: false`, `modalities: ["text"]`...): nothing to carry.
      if (refuses(value)) throw new UnsupportedError(PROVIDER, key, describe(key, value));
      continue;
    }
    body[RENAMED[key] ?? key] = value;
  }
  // OpenAI's newer max_completion_tokens wins over max_tokens when a client sends both.
  if (request.max_completion_tokens != null) body.max_tokens = request.max_completion_tokens;
  body.model = options.upstreamModel;
  body.stream = stream;
  body.messages = toMistralMessages(request.messages);
  return body;
}

function describe(key: string, value: unknown): string {
  if (key === "service_tier") return `service tier '${String(value)}' has no Mistral equivalent`;
  return "Mistral's chat API has no equivalent";
}

/** Copies only what Mistral's message schema knows (it rejects extra fields such as `refusal` or `annotations`). */
export function toMistralMessages(messages: ChatRequest["messages"]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    out[i] = toMistralMessage(messages[i] as ChatMessage, i);
  }
  return out;
}

function toMistralMessage(message: ChatMessage, index: number): Record<string, unknown> {
  switch (message.role) {
    case "system":
    case "developer":
      refuseName(message, `messages[${index}]`, PROVIDER);
      return { role: "system", content: message.content ?? "" };
    case "user":
      refuseName(message, `messages[${index}]`, PROVIDER);
      return { role: "user", content: message.content ?? "" };
    case "assistant": {
      refuseName(message, `messages[${index}]`, PROVIDER);
      const out: Record<string, unknown> = { role: "assistant", content: message.content ?? null };
      if (message.tool_calls != null && message.tool_calls.length > 0) {
        out.tool_calls = message.tool_calls.map((call) => ({
          id: toMistralToolCallId(call.id),
          type: "function",
          function: { name: call.function.name, arguments: call.function.arguments },
        }));
      }
      if (message.prefix === true) out.prefix = true;
      return out;
    }
    case "tool": {
      const out: Record<string, unknown> = { role: "tool", content: message.content ?? "" };
      if (message.tool_call_id != null) out.tool_call_id = toMistralToolCallId(message.tool_call_id);
      if (message.name != null) out.name = message.name;
      return out;
    }
    default:
      throw new UnsupportedError(
        PROVIDER,
        `messages[${index}].role`,
        `role '${message.role}' is not accepted`,
      );
  }
}
