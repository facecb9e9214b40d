// Token counts when an upstream reports no usage: the prompt estimate from parse and ~4 characters a token of what
// was relayed, so that a missing usage never makes a request free (see README "Budgets").

import type { TokenCounts } from "../catalog";
import type { ChatCompletion, ChatCompletionChunk, Usage } from "../openai/types";

const CHARS_PER_TOKEN = 4;

/** No usage, or one that counts no token at all (a real request always has a prompt): the upstream did not say. */
export function reported(tokens: TokenCounts | undefined): tokens is TokenCounts {
  return tokens !== undefined && (tokens.prompt > 0 || tokens.completion > 0);
}

export function estimatedTokens(promptTokens: number, outputChars: number): TokenCounts {
  return { prompt: promptTokens, cached: 0, completion: Math.ceil(outputChars / CHARS_PER_TOKEN) };
}

export function usageOf(tokens: TokenCounts): Usage {
  return {
    prompt_tokens: tokens.prompt,
    completion_tokens: tokens.completion,
    total_tokens: tokens.prompt + tokens.completion,
  };
}

/** Characters of generated output in a JSON answer: text, refusals, reasoning and tool calls, over every choice. */
export function completionChars(body: ChatCompletion): number {
  let chars = 0;
  for (const choice of body.choices) {
    if (choice?.message) chars += outputChars(choice.message);
  }
  return chars;
}

/** The same count for one stream chunk's deltas. */
export function chunkChars(chunk: ChatCompletionChunk): number {
  let chars = 0;
  for (const choice of chunk.choices) {
    if (choice.delta) chars += outputChars(choice.delta);
  }
  return chars;
}

interface Output {
  content?: unknown;
  refusal?: unknown;
  tool_calls?: unknown;
  /** Reasoning text of OpenAI-compatible servers (vLLM, DeepSeek, OpenRouter): billed as completion tokens. */
  reasoning_content?: unknown;
  reasoning?: unknown;
}

function outputChars(output: Output): number {
  let chars = length(output.content) + length(output.refusal);
  chars += length(output.reasoning_content) + length(output.reasoning);
  if (Array.isArray(output.tool_calls)) {
    for (const call of output.tool_calls as Array<{ function?: { name?: unknown; arguments?: unknown } }>) {
      chars += length(call?.function?.name) + length(call?.function?.arguments);
    }
  }
  return chars;
}

function length(value: unknown): number {
  return typeof value === "string" ? value.length : 0;
}
