// The assistant message of a rebuilt (Anthropic, Gemini) answer: text, reasoning and tool calls in OpenAI's shape.

import type { ChatCompletion, ThinkingBlock, ToolCall } from "../../openai/types";

type AssistantMessage = ChatCompletion["choices"][number]["message"];

/**
 * Reasoning goes in `reasoning_content`, the field OpenAI-compatible reasoning models use (DeepSeek, vLLM,
 * LiteLLM), and only when there is some: an answer without thinking keeps OpenAI's exact shape. Anthropic's signed
 * blocks go beside it in `thinking_blocks`, as LiteLLM returns them, for the client to send back (decision 0004).
 */
export function assistantMessage(
  text: string | null,
  reasoning: string | undefined,
  toolCalls: ToolCall[],
  thinkingBlocks?: ThinkingBlock[],
): AssistantMessage {
  const message: AssistantMessage = { role: "assistant", content: text };
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (thinkingBlocks !== undefined) message.thinking_blocks = thinkingBlocks;
  message.refusal = null;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}
