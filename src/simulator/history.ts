// Tool-call history checks each provider makes (and answers with a 400): a call and its result must pair up.
// They catch an adapter that drops, renames or reorders tool calls and results when it converts a conversation.

interface OpenAIMessage {
  role?: unknown;
  tool_calls?: Array<{ id?: unknown }> | null;
  tool_call_id?: unknown;
}

/** OpenAI: every `tool` message answers a call of the assistant turn before it, and every call is answered. */
export function openaiHistoryError(
  messages: OpenAIMessage[],
): { message: string; param: string } | undefined {
  let open: Set<unknown> | undefined;
  let openAt = -1;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    if (message.role === "tool") {
      if (!open?.delete(message.tool_call_id)) {
        return {
          message:
            "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          param: `messages.[${index}].role`,
        };
      }
      continue;
    }
    const unanswered = unansweredOpenAI(open, openAt);
    if (unanswered) return unanswered;
    open = undefined;
    if (message.role === "assistant" && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      open = new Set(message.tool_calls.map((call) => call.id));
      openAt = index;
    }
  }
  return unansweredOpenAI(open, openAt);
}

function unansweredOpenAI(open: Set<unknown> | undefined, at: number) {
  if (!open || open.size === 0) return undefined;
  return {
    message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(", ")}`,
    param: `messages.[${at}].role`,
  };
}

interface AnthropicBlock {
  type?: unknown;
  id?: unknown;
  tool_use_id?: unknown;
}

function blocks(content: unknown): AnthropicBlock[] {
  return Array.isArray(content) ? (content as AnthropicBlock[]) : [];
}

/** Anthropic: `tool_result` blocks answer the `tool_use` blocks of the message right before, all of them. */
export function anthropicHistoryError(
  messages: Array<{ role?: unknown; content?: unknown }>,
): string | undefined {
  for (let index = 0; index < messages.length; index++) {
    const uses = blocks(messages[index - 1]?.content)
      .filter((block) => block.type === "tool_use")
      .map((block) => block.id);
    const results = blocks(messages[index]!.content);
    for (let position = 0; position < results.length; position++) {
      const block = results[position]!;
      if (block.type === "tool_result" && !uses.includes(block.tool_use_id)) {
        return `messages.${index}.content.${position}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    const answered = new Set(
      results.filter((block) => block.type === "tool_result").map((b) => b.tool_use_id),
    );
    const missing = uses.filter((id) => !answered.has(id));
    if (missing.length > 0) {
      return `messages.${index - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}

/** Gemini: the turn after a function-call turn carries as many function responses as there were calls. */
export function geminiHistoryError(
  contents: Array<{ role?: unknown; parts?: Array<{ functionCall?: unknown; functionResponse?: unknown }> }>,
): string | undefined {
  for (let index = 1; index < contents.length; index++) {
    const calls = (contents[index - 1]!.parts ?? []).filter((part) => part.functionCall).length;
    const responses = (contents[index]!.parts ?? []).filter((part) => part.functionResponse).length;
    if ((calls > 0 || responses > 0) && calls !== responses) {
      return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
    }
  }
  return undefined;
}
