// Anthropic Message -> OpenAI chat.completion: text, thinking -> reasoning_content (and the signed blocks ->
// thinking_blocks), tool_use -> tool_calls, stop_reason, usage with cache tokens.

import type { TokenCounts } from "../../catalog/types";
import type { ChatCompletion, FinishReason, ThinkingBlock, ToolCall, Usage } from "../../openai/types";
import { assistantMessage } from "../core/message";
import { badResponse } from "../openai-compatible/response";
import type { CompletionResult } from "../types";

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  /** cache_creation_input_tokens by lifetime: 1-hour writes cost 2x input, 5-minute ones 1.25x. */
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null;
    ephemeral_1h_input_tokens?: number | null;
  } | null;
  /** Server tools run upstream: each web search is billed apart; web fetches cost only their tokens. */
  server_tool_use?: { web_search_requests?: number | null; web_fetch_requests?: number | null } | null;
  /** A breakdown of output_tokens (which stays the billed total): thinking_tokens is the reasoning share. */
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** A content block of a Message; a stream's `content_block_start` carries the same shape. */
export interface AnthropicBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

interface AnthropicMessage {
  id: string;
  model: string;
  content: AnthropicBlock[];
  stop_reason: string | null;
  usage?: AnthropicUsage;
}

/** `pause_turn` (a server tool paused) ends this answer as far as an OpenAI client can tell. */
export function toFinishReason(stopReason: string | null | undefined): FinishReason | null {
  switch (stopReason) {
    case "end_turn":
    case "stop_sequence":
    case "pause_turn":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return stopReason == null ? null : "stop";
  }
}

/**
 * OpenAI's prompt_tokens counts every input token; Anthropic's input_tokens excludes cache reads and writes. The
 * writes' 1-hour share and the web searches are kept for pricing (decision 0004, Usage and billing).
 */
export function toTokenCounts(usage: AnthropicUsage | undefined): TokenCounts {
  const cached = usage?.cache_read_input_tokens ?? 0;
  const byLifetime = usage?.cache_creation;
  const oneHour = byLifetime?.ephemeral_1h_input_tokens ?? 0;
  const cacheWrite =
    usage?.cache_creation_input_tokens ?? (byLifetime?.ephemeral_5m_input_tokens ?? 0) + oneHour;
  const searches = usage?.server_tool_use?.web_search_requests ?? 0;
  return {
    prompt: (usage?.input_tokens ?? 0) + cached + cacheWrite,
    cached,
    cacheWrite,
    ...(oneHour > 0 ? { cacheWrite1h: oneHour } : {}),
    ...(searches > 0 ? { webSearches: searches } : {}),
    completion: usage?.output_tokens ?? 0,
  };
}

/** Thinking is already inside output_tokens (billed as output); Anthropic may also say how much of it there was. */
export function toOpenAIUsage(tokens: TokenCounts, usage?: AnthropicUsage): Usage {
  const out: Usage = {
    prompt_tokens: tokens.prompt,
    completion_tokens: tokens.completion,
    total_tokens: tokens.prompt + tokens.completion,
    prompt_tokens_details: { cached_tokens: tokens.cached },
  };
  const reasoning = usage?.output_tokens_details?.thinking_tokens;
  if (typeof reasoning === "number") out.completion_tokens_details = { reasoning_tokens: reasoning };
  return out;
}

export function fromAnthropicResponse(json: unknown, provider: string): CompletionResult {
  const message = json as AnthropicMessage;
  if (typeof message !== "object" || message === null || !Array.isArray(message.content)) {
    throw badResponse(provider, "no content");
  }
  let text: string | null = null;
  let reasoning: string | undefined;
  let thinking: ThinkingBlock[] | undefined;
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === "text") text = (text ?? "") + (block.text ?? "");
    else if (block.type === "thinking") {
      if (block.thinking) reasoning = (reasoning ?? "") + block.thinking;
      // The block goes back whole on the next turn; its text may be empty (display: omitted), its signature not.
      thinking ??= [];
      thinking.push({
        type: "thinking",
        thinking: block.thinking ?? "",
        signature: block.signature ?? "",
      });
    } else if (block.type === "redacted_thinking") {
      thinking ??= [];
      thinking.push({ type: "redacted_thinking", data: block.data ?? "" });
    } else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id ?? `call_${toolCalls.length}`,
        type: "function",
        function: { name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) },
      });
    }
    // redacted_thinking has no text to show; its tokens are in output_tokens like all thinking.
  }
  const tokens = toTokenCounts(message.usage);
  const body: ChatCompletion = {
    id: message.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: message.model,
    choices: [
      {
        index: 0,
        message: assistantMessage(text, reasoning, toolCalls, thinking),
        finish_reason: toFinishReason(message.stop_reason),
        logprobs: null,
      },
    ],
    usage: toOpenAIUsage(tokens, message.usage),
  };
  return { body, tokens };
}
