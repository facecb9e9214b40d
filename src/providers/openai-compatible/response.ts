// OpenAI-format response body -> CompletionResult (the body passes through; only usage is read).

import type { TokenCounts } from "../../catalog/types";
import type { ChatCompletion, FinishReason, Usage } from "../../openai/types";
import { badResponse } from "../core/errors";
import type { CompletionResult } from "../types";

export const ZERO_TOKENS: TokenCounts = Object.freeze({ prompt: 0, cached: 0, completion: 0 });

export { badResponse };

export function tokensFromUsage(usage: Usage | null | undefined): TokenCounts {
  if (usage == null) return ZERO_TOKENS;
  return {
    prompt: usage.prompt_tokens ?? 0,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    completion: usage.completion_tokens ?? 0,
  };
}

/** A dialect's in-place rewrite of a message or delta whose content is not OpenAI's (Mistral's content chunks). */
export type ContentRewrite = (
  holder: { content?: unknown; reasoning_content?: string },
  provider: string,
) => void;

/** A dialect's finish reason -> OpenAI's (Mistral's `model_length`); throws for a finish that is a failure. */
export type FinishRewrite = (reason: string, provider: string) => string;

/**
 * The parsed body is the client's answer as is, but for a dialect's `message` and `finish` rewrites; a missing
 * usage becomes zeros so `usage` is always present.
 */
export function fromOpenAIResponse(
  json: unknown,
  provider: string,
  message?: ContentRewrite,
  finish?: FinishRewrite,
): CompletionResult {
  const body = json as ChatCompletion;
  if (typeof body !== "object" || body === null || !Array.isArray(body.choices)) {
    // Some OpenAI-compatible servers answer 200 with an error object: say what it said.
    const said = (body as { error?: { message?: unknown } } | null)?.error?.message;
    throw badResponse(
      provider,
      typeof said === "string" ? `an error with status 200: ${said}` : "no choices",
    );
  }
  if (message !== undefined) {
    for (const choice of body.choices) if (choice?.message != null) message(choice.message, provider);
  }
  if (finish !== undefined) {
    for (const choice of body.choices) {
      const reason = choice?.finish_reason as string | null | undefined;
      if (typeof reason === "string") choice.finish_reason = finish(reason, provider) as FinishReason;
    }
  }
  if (body.usage == null) body.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  return { body, tokens: tokensFromUsage(body.usage) };
}
