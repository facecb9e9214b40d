// What becomes of each OpenAI request parameter on Anthropic: mapped, dropped (no effect), or refused.

import { UnsupportedError } from "../../errors";
import type { ChatMessage, ChatRequest, ToolChoice } from "../../openai/types";
import { stopList } from "../core/content";
import { thinkingBlocksOf } from "../core/reasoning";

export const PROVIDER = "anthropic";

/** Handled elsewhere (messages, tools, limits) or carried by the stream flag. */
const STRUCTURAL = new Set(["model", "messages", "stream", "max_tokens", "max_completion_tokens", "tools"]);

/**
 * No effect on the answer, so dropping them is honest: usage always comes back; `metadata`/`store` are
 * OpenAI's stored-completion labels; `seed` is best-effort even on OpenAI and Anthropic has none;
 * `prompt_cache_key`/`safety_identifier` are routing and abuse labels.
 */
const DROPPED = new Set([
  "stream_options",
  "metadata",
  "store",
  "seed",
  "prompt_cache_key",
  "safety_identifier",
]);

const refuse = (param: string, detail = "the Messages API has no equivalent") =>
  new UnsupportedError(PROVIDER, param, detail);

/** Sets everything but messages, system, tools and max_tokens on `body`. */
export function applyParams(request: ChatRequest, body: Record<string, unknown>): void {
  const output: Record<string, unknown> = {};
  for (const key in request) {
    const value = request[key];
    if (value == null || STRUCTURAL.has(key) || DROPPED.has(key)) continue;
    switch (key) {
      case "temperature":
        // OpenAI's range is 0..2, Anthropic's 0..1. Clamping (not scaling) keeps 0..1 meaning the same on both;
        // anything above 1 asks for "more random" and gets Anthropic's most random.
        body.temperature = Math.min(value as number, 1);
        break;
      case "top_p":
        // top_p 1 samples from the whole distribution: no effect, and clients send it by default. Claude 4.5 and
        // later reject temperature together with top_p, so that combination is refused here with a clear message.
        if (value === 1) break;
        if (request.temperature != null) {
          throw refuse(key, "current Claude models take temperature or top_p, not both");
        }
        body.top_p = value;
        break;
      case "top_k":
        body.top_k = value;
        break;
      case "stop":
        body.stop_sequences = stopList(value as ChatRequest["stop"]);
        break;
      case "user":
        body.metadata = { user_id: value };
        break;
      case "tool_choice":
        // Anthropic refuses a tool_choice without tools; with none offered, every choice means the same.
        if (request.tools !== undefined && request.tools.length > 0)
          body.tool_choice = toToolChoice(value as ToolChoice);
        break;
      case "parallel_tool_calls":
        break; // read together with tool_choice below
      case "response_format":
        applyResponseFormat(value as ChatRequest["response_format"], output);
        break;
      case "reasoning_effort":
        if (value === "low" || value === "medium" || value === "high" || value === "xhigh")
          output.effort = value;
        else throw refuse(key, `reasoning effort '${String(value)}' has no Anthropic equivalent`);
        break;
      case "service_tier":
        if (value !== "auto" && value !== "default")
          throw refuse(key, `service tier '${String(value)}' is not offered`);
        break;
      case "n":
        if (value !== 1) throw refuse(key, "only one choice per request");
        break;
      case "presence_penalty":
      case "frequency_penalty":
        if (value !== 0) throw refuse(key);
        break;
      case "logprobs":
        if (value !== false) throw refuse(key);
        break;
      case "logit_bias":
        if (Object.keys(value as object).length > 0) throw refuse(key);
        break;
      case "modalities":
        if (!Array.isArray(value) || value.some((modality) => modality !== "text")) throw refuse(key);
        break;
      default:
        // top_logprobs, audio, prediction, web_search_options, functions... and anything unknown.
        throw refuse(key);
    }
  }
  if (request.parallel_tool_calls === false && request.tools !== undefined && request.tools.length > 0) {
    const choice = (body.tool_choice as Record<string, unknown> | undefined) ?? { type: "auto" };
    if (choice.type !== "none") body.tool_choice = { ...choice, disable_parallel_tool_use: true };
  }
  if (output.effort !== undefined || output.format !== undefined) body.output_config = output;
  if (output.effort !== undefined && canThink(request, body)) body.thinking = THINKING;
}

/**
 * Effort alone does not make Claude think: adaptive thinking does, and Anthropic pairs it with effort. Its text is
 * returned as `reasoning_content`. `display: summarized` asks for the text on models that would omit it.
 */
const THINKING = Object.freeze({ type: "adaptive", display: "summarized" });

/**
 * Thinking makes some valid requests invalid, so it is only turned on where it cannot: Anthropic refuses it with a
 * temperature other than 1, with top_k, with top_p below 0.95 and with a forced tool choice, and in an open tool loop
 * it wants the assistant turn to start with its signed thinking block, which a client that drops unknown fields
 * (typed clients, the Vercel AI SDK) does not send back: that step then runs without thinking (decision 0004).
 */
function canThink(request: ChatRequest, body: Record<string, unknown>): boolean {
  if (body.temperature !== undefined && body.temperature !== 1) return false;
  if (body.top_k !== undefined) return false;
  if (body.top_p !== undefined && (body.top_p as number) < 0.95) return false;
  const choice = (body.tool_choice as { type?: string } | undefined)?.type;
  if (choice === "any" || choice === "tool") return false;
  const start = openToolTurn(request.messages);
  return start === undefined || thinkingBlocksOf(start) !== undefined;
}

/**
 * The assistant message that opened an unfinished tool loop, or undefined when none is open. The trailing user and
 * tool messages become Anthropic's last user turn; with a tool result among them, the loop is open and the assistant
 * turn goes back to the first assistant message after the last user message: Anthropic wants the thinking block
 * there, before the whole run of tool calls and results (Claude thinks again only after a user turn).
 */
export function openToolTurn(messages: ChatMessage[]): ChatMessage | undefined {
  let i = messages.length - 1;
  let open = false;
  for (; i >= 0; i--) {
    const role = (messages[i] as ChatMessage).role;
    if (role === "tool") open = true;
    else if (role !== "user" && role !== "system" && role !== "developer") break;
  }
  if (!open) return undefined;
  let start: ChatMessage | undefined;
  for (; i >= 0; i--) {
    const message = messages[i] as ChatMessage;
    if (message.role === "user") break;
    if (message.role === "assistant") start = message;
  }
  return start;
}

export function toToolChoice(choice: ToolChoice): Record<string, unknown> {
  if (choice === "auto") return { type: "auto" };
  if (choice === "required") return { type: "any" };
  if (choice === "none") return { type: "none" };
  const named = choice as { type?: unknown; function?: { name?: unknown } };
  if (named.type === "function" && typeof named.function?.name === "string") {
    return { type: "tool", name: named.function.name };
  }
  throw refuse("tool_choice", "only auto, required, none and a named function are supported");
}

/**
 * json_schema maps to Anthropic's native structured output (`output_config.format`). Plain JSON mode
 * (`json_object`) has no schema to give it, and a forced tool would change what `tool_calls` means, so it is
 * refused: ask with json_schema instead.
 */
function applyResponseFormat(format: ChatRequest["response_format"], output: Record<string, unknown>): void {
  if (format === undefined || format.type === "text") return;
  // The gateway does not validate response_format: a client may send json_schema without its object.
  const schema = format.type === "json_schema" ? format.json_schema?.schema : undefined;
  if (schema !== undefined) {
    output.format = { type: "json_schema", schema };
    return;
  }
  throw refuse("response_format", "JSON mode needs a schema here: use response_format json_schema");
}
