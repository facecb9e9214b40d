// What becomes of each OpenAI request parameter on Gemini: generationConfig, toolConfig, dropped, or refused.

import { UnsupportedError } from "../../errors";
import type { ChatRequest, ToolChoice } from "../../openai/types";
import { stopList } from "../core/content";
import { toGeminiSchema } from "./schema";

export const PROVIDER = "gemini";

const STRUCTURAL = new Set(["model", "messages", "stream", "max_tokens", "max_completion_tokens", "tools"]);
/** No effect on the answer (labels, storage, usage reporting that Gemini always does). */
const DROPPED = new Set([
  "stream_options",
  "metadata",
  "store",
  "user",
  "prompt_cache_key",
  "safety_identifier",
]);
/** OpenAI's reasoning effort as a Gemini 2.5 thinking budget in tokens. */
const THINKING_BUDGET: Record<string, number> = { low: 1024, medium: 8192, high: 24576 };

const refuse = (param: string, detail = "the Gemini API has no equivalent") =>
  new UnsupportedError(PROVIDER, param, detail);

/** Fills `generation` (generationConfig) and `body.toolConfig`. */
export function applyParams(
  request: ChatRequest,
  body: Record<string, unknown>,
  generation: Record<string, unknown>,
): void {
  for (const key in request) {
    const value = request[key];
    if (value == null || STRUCTURAL.has(key) || DROPPED.has(key)) continue;
    switch (key) {
      case "temperature":
        generation.temperature = value; // Gemini's range is OpenAI's 0..2.
        break;
      case "top_p":
        generation.topP = value;
        break;
      case "top_k":
        generation.topK = value;
        break;
      case "seed":
        generation.seed = value;
        break;
      case "presence_penalty":
        generation.presencePenalty = value;
        break;
      case "frequency_penalty":
        generation.frequencyPenalty = value;
        break;
      case "stop":
        generation.stopSequences = stopList(value as ChatRequest["stop"]);
        break;
      case "response_format":
        applyResponseFormat(value as NonNullable<ChatRequest["response_format"]>, generation);
        break;
      case "tool_choice":
        if (request.tools !== undefined && request.tools.length > 0) {
          body.toolConfig = { functionCallingConfig: toFunctionCallingConfig(value as ToolChoice) };
        }
        break;
      case "parallel_tool_calls":
        // Gemini may always answer with several calls; "at most one" cannot be promised.
        if (value === false && request.tools !== undefined && request.tools.length > 0) {
          throw refuse(key, "parallel function calls cannot be turned off");
        }
        break;
      case "reasoning_effort": {
        const budget = THINKING_BUDGET[value as string];
        if (budget === undefined)
          throw refuse(key, `reasoning effort '${String(value)}' has no thinking budget`);
        // Without includeThoughts Gemini thinks but returns no thought summaries, so no reasoning_content.
        generation.thinkingConfig = { thinkingBudget: budget, includeThoughts: true };
        break;
      }
      case "service_tier":
        if (value !== "auto" && value !== "default")
          throw refuse(key, `service tier '${String(value)}' is not offered`);
        break;
      case "n":
        if (value !== 1) throw refuse(key, "only one choice per request");
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
}

export function toFunctionCallingConfig(choice: ToolChoice): Record<string, unknown> {
  if (choice === "auto") return { mode: "AUTO" };
  if (choice === "required") return { mode: "ANY" };
  if (choice === "none") return { mode: "NONE" };
  const named = choice as { type?: unknown; function?: { name?: unknown } };
  if (named.type === "function" && typeof named.function?.name === "string") {
    return { mode: "ANY", allowedFunctionNames: [named.function.name] };
  }
  throw refuse("tool_choice", "only auto, required, none and a named function are supported");
}

function applyResponseFormat(
  format: NonNullable<ChatRequest["response_format"]>,
  generation: Record<string, unknown>,
): void {
  if (format.type === "text") return;
  if (format.type === "json_object") {
    generation.responseMimeType = "application/json";
    return;
  }
  if (format.type === "json_schema") {
    generation.responseMimeType = "application/json";
    // The gateway does not validate response_format: a client may send json_schema without its object.
    const schema = format.json_schema?.schema;
    if (schema !== undefined) generation.responseSchema = toGeminiSchema(schema);
    return;
  }
  throw refuse("response_format", `format '${String((format as { type: unknown }).type)}' is not supported`);
}
