// The assistant message of a rebuilt (Anthropic, Gemini) answer: text, reasoning and tool calls in OpenAI's shape.

import type { ChatCompletion, ToolCall } from "../../openai/types";

type AssistantMessage = ChatCompletion["choices"][number]["message"];

/**
 * Reasoning goes in `reasoning_content`, the field OpenAI-compatible reasoning models use (DeepSeek, vLLM,
 * LiteLLM), and only when there is some: an answer without thinking keeps OpenAI's exact shape.
 */
export function assistantMessage(
  text: string | null,
  reasoning: string | undefined,
  toolCalls: ToolCall[],
): AssistantMessage {
  const message: AssistantMessage = { role: "assistant", content: text };
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  message.refusal = null;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}
