// Gemini GenerateContentResponse -> OpenAI chat.completion: parts (thoughts -> reasoning_content), function calls
// (their thought signatures kept in the call), finishReason, usageMetadata.

import type { TokenCounts } from "../../catalog/types";
import type { ChatCompletion, FinishReason, ToolCall, Usage } from "../../openai/types";
import { assistantMessage } from "../core/message";
import { idWithSignature } from "../core/reasoning";
import { badResponse } from "../openai-compatible/response";
import type { CompletionResult } from "../types";

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  /** Opaque; Gemini wants it back in the same part (required on function calls by Gemini 3). */
  thoughtSignature?: string;
  functionCall?: { name?: string; args?: unknown; id?: string };
}

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  index?: number;
}

export interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason?: string };
}

/** Output withheld by a filter or a policy (@google/genai 1.x `FinishReason`): OpenAI's content_filter. */
const FILTERED = new Set([
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
  "ESCALATION",
  "PUP_LIMITED_DISABLED",
  "MODEL_ARMOR",
]);

/** Cut by a token limit: MAX_TOKENS, or CONTINUATION (the per-request limit, to be continued by another call). */
const CUT = new Set(["MAX_TOKENS", "CONTINUATION"]);

/** The model's output could not be used: an answer with nothing in it is a failed call, not an empty success. */
const UNUSABLE = new Set([
  "MALFORMED_FUNCTION_CALL",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "MALFORMED_RESPONSE",
  "MISSING_THOUGHT_SIGNATURE",
]);

/** A response that called functions finishes with tool_calls whatever Gemini says (it says STOP). */
export function toFinishReason(reason: string | undefined, calledTools: boolean): FinishReason | null {
  if (reason === undefined) return null;
  if (CUT.has(reason)) return "length";
  if (FILTERED.has(reason)) return "content_filter";
  return calledTools ? "tool_calls" : "stop";
}

/**
 * A finish that left no text and no call (a malformed or unexpected function call...) is a retryable bad response,
 * so the gateway retries or fails over before the client sees anything; with an answer, it ends as `stop`.
 */
export function unusableFinish(provider: string, reason: string | undefined, answered: boolean): void {
  if (!answered && reason !== undefined && UNUSABLE.has(reason)) {
    throw badResponse(provider, `no answer, finishReason ${reason}`);
  }
}

/** Thinking tokens are billed as output, so they count as completion tokens. */
export function toTokenCounts(usage: UsageMetadata | undefined): TokenCounts {
  return {
    prompt: (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0),
    cached: usage?.cachedContentTokenCount ?? 0,
    completion: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
  };
}

export function toOpenAIUsage(usage: UsageMetadata | undefined): Usage {
  const tokens = toTokenCounts(usage);
  return {
    prompt_tokens: tokens.prompt,
    completion_tokens: tokens.completion,
    total_tokens: tokens.prompt + tokens.completion,
    prompt_tokens_details: { cached_tokens: tokens.cached },
    completion_tokens_details: { reasoning_tokens: usage?.thoughtsTokenCount ?? 0 },
  };
}

/** Gemini gives calls no id: ids are made from the response id and the call's position, unique per response. */
export function toolCallId(responseId: string | undefined, index: number): string {
  return responseId ? `call_${responseId}_${index}` : `call_${index}`;
}

/**
 * A function call's thought signature goes where LiteLLM puts it: in `provider_specific_fields.thought_signature`
 * and after `__thought__` in the id, which every client sends back with the tool result (decision 0004).
 */
export function toToolCall(
  call: NonNullable<GeminiPart["functionCall"]>,
  id: string,
  signature: string | undefined,
): ToolCall {
  const out: ToolCall = {
    id: idWithSignature(id, signature),
    type: "function",
    function: { name: call.name ?? "", arguments: JSON.stringify(call.args ?? {}) },
  };
  if (signature !== undefined) out.provider_specific_fields = { thought_signature: signature };
  return out;
}

export function fromGeminiResponse(json: unknown, model: string, provider: string): CompletionResult {
  const response = json as GeminiResponse;
  if (typeof response !== "object" || response === null) throw badResponse(provider, "not an object");
  const candidate = response.candidates?.[0];
  let text: string | null = null;
  let reasoning: string | undefined;
  let signatures: string[] | undefined;
  const toolCalls: ToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall !== undefined) {
      const id = toolCallId(response.responseId, toolCalls.length);
      toolCalls.push(toToolCall(part.functionCall, id, part.thoughtSignature));
    } else if (typeof part.text === "string") {
      // Thought summaries (includeThoughts) are text parts flagged `thought`.
      if (part.thought !== true) {
        text = (text ?? "") + part.text;
        if (part.thoughtSignature !== undefined) {
          signatures ??= [];
          signatures.push(part.thoughtSignature);
        }
      } else if (part.text !== "") reasoning = (reasoning ?? "") + part.text;
    }
  }
  if (candidate !== undefined) {
    unusableFinish(provider, candidate.finishReason, (text ?? "") !== "" || toolCalls.length > 0);
  }
  // No candidate at all means the prompt itself was blocked.
  const finish =
    candidate === undefined
      ? response.promptFeedback?.blockReason !== undefined
        ? "content_filter"
        : "stop"
      : (toFinishReason(candidate.finishReason, toolCalls.length > 0) ?? "stop");
  const message = assistantMessage(text, reasoning, toolCalls);
  // An answer's text parts may be signed too (Gemini 3 signs the last part): LiteLLM's message-level field.
  if (signatures !== undefined) message.provider_specific_fields = { thought_signatures: signatures };
  const body: ChatCompletion = {
    id: response.responseId ?? "",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: response.modelVersion ?? model,
    choices: [
      {
        index: 0,
        message,
        finish_reason: finish,
        logprobs: null,
      },
    ],
    usage: toOpenAIUsage(response.usageMetadata),
  };
  return { body, tokens: toTokenCounts(response.usageMetadata) };
}
