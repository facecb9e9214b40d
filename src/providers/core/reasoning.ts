// What a reasoning upstream needs back on the next turn, in LiteLLM's OpenAI-format extensions (decision 0004):
// Anthropic's signed thinking blocks (`message.thinking_blocks`) and Gemini's thought signatures (on tool calls, as
// `provider_specific_fields.thought_signature` and inside the tool-call id after `__thought__`).

import type { ChatMessage, ThinkingBlock, ToolCall } from "../../openai/types";

/** LiteLLM's separator of a Gemini thought signature inside a tool-call id: `call_…__thought__<signature>`. */
export const THOUGHT_SEPARATOR = "__thought__";

/** The tool-call id an OpenAI client sees: the signature rides in it, so a client that drops unknown fields keeps it. */
export function idWithSignature(id: string, signature: string | undefined): string {
  return signature === undefined ? id : `${id}${THOUGHT_SEPARATOR}${signature}`;
}

/** The id without a thought signature (the same string when it has none). */
export function bareId(id: string): string {
  const at = id.indexOf(THOUGHT_SEPARATOR);
  return at < 0 ? id : id.slice(0, at);
}

/** A tool call's Gemini thought signature: `provider_specific_fields.thought_signature`, else the id's suffix. */
export function signatureOf(call: ToolCall): string | undefined {
  const fields = (call as { provider_specific_fields?: { thought_signature?: unknown } | null })
    .provider_specific_fields;
  const field = fields?.thought_signature;
  if (typeof field === "string" && field !== "") return field;
  const id = call.id;
  if (typeof id !== "string") return undefined;
  const at = id.indexOf(THOUGHT_SEPARATOR);
  return at < 0 || at + THOUGHT_SEPARATOR.length === id.length
    ? undefined
    : id.slice(at + THOUGHT_SEPARATOR.length);
}

/**
 * The assistant message's thinking blocks that Anthropic can verify: signed `thinking` blocks and `redacted_thinking`
 * ones with data, each with exactly its fields, values untouched. Anything else (a block some other gateway left
 * unsigned, a malformed entry) could only earn a 400 and is left out.
 */
export function thinkingBlocksOf(message: ChatMessage): ThinkingBlock[] | undefined {
  const blocks = message.thinking_blocks;
  if (!Array.isArray(blocks) || blocks.length === 0) return undefined;
  let out: ThinkingBlock[] | undefined;
  for (const block of blocks as Array<Record<string, unknown> | null>) {
    if (block === null || typeof block !== "object") continue;
    if (block.type === "thinking") {
      if (typeof block.thinking !== "string" || typeof block.signature !== "string" || block.signature === "")
        continue;
      out ??= [];
      out.push({ type: "thinking", thinking: block.thinking, signature: block.signature });
    } else if (block.type === "redacted_thinking" && typeof block.data === "string" && block.data !== "") {
      out ??= [];
      out.push({ type: "redacted_thinking", data: block.data });
    }
  }
  return out;
}

/**
 * Whether a body bound for an OpenAI-compatible upstream carries fields only Anthropic and Gemini understand. One
 * property check per message, and an id search only on messages with tool calls; a plain request allocates nothing.
 */
export function carriesForeignReasoning(messages: ChatMessage[]): boolean {
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ChatMessage;
    if (message.role !== "assistant") continue;
    if (message.thinking_blocks !== undefined || message.provider_specific_fields !== undefined) return true;
    const calls = message.tool_calls;
    if (calls == null) continue;
    for (let j = 0; j < calls.length; j++) {
      const call = calls[j] as ToolCall & { provider_specific_fields?: unknown };
      if (call.provider_specific_fields !== undefined) return true;
      if (typeof call.id === "string" && call.id.includes(THOUGHT_SEPARATOR)) return true;
    }
  }
  return false;
}

/**
 * The messages without those fields, for an OpenAI-compatible upstream: strict ones (Fireworks, Databricks, Azure AI)
 * refuse unknown message fields, and a signature makes a tool-call id kilobytes long. `reasoning_content` stays: DeepSeek
 * requires it back on tool-call turns and others ignore it. Messages without the fields are the same objects.
 */
export function withoutForeignReasoning(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((message) => {
    if (message.role === "tool") {
      const id = message.tool_call_id;
      return typeof id === "string" && id.includes(THOUGHT_SEPARATOR)
        ? { ...message, tool_call_id: bareId(id) }
        : message;
    }
    if (message.role !== "assistant") return message;
    const { thinking_blocks: _blocks, provider_specific_fields: _fields, ...rest } = message;
    if (message.tool_calls != null) {
      rest.tool_calls = message.tool_calls.map((call) => {
        const { provider_specific_fields: _call, ...bare } = call as ToolCall & {
          provider_specific_fields?: unknown;
        };
        if (typeof bare.id === "string") bare.id = bareId(bare.id);
        return bare;
      });
    }
    return rest as ChatMessage;
  });
}
