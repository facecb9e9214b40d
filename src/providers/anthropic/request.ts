// OpenAI request -> Anthropic Messages body: system hoisted, turns merged to alternate, tools and images mapped.

import { UnsupportedError } from "../../errors";
import type { ChatMessage, ContentPart, FunctionTool, ImagePart } from "../../openai/types";
import { isHttpUrl, parseArguments, parseDataUrl, refuseName, textContent } from "../core/content";
import { bareId, thinkingBlocksOf } from "../core/reasoning";
import type { CallOptions } from "../types";
import { applyParams, PROVIDER } from "./params";

type Block = Record<string, unknown>;
interface Turn {
  role: "user" | "assistant";
  content: Block[];
}

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

export function toAnthropicBody(options: CallOptions, stream: boolean): Record<string, unknown> {
  const request = options.request;
  // Anthropic requires max_tokens and refuses one above the model's output limit (a 400 that would also end a
  // failover from a model with a larger limit): an upper bound the model cannot reach is capped at what it can.
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens;
  const body: Record<string, unknown> = {
    model: options.upstreamModel,
    max_tokens: Math.min(maxTokens, options.defaultMaxTokens),
    messages: undefined,
  };
  if (request.tools !== undefined && request.tools.length > 0)
    body.tools = request.tools.map(toAnthropicTool);
  applyParams(request, body);
  // Whether Claude thinks decides whether the client's thinking blocks go back (applyParams decided it).
  const { system, messages } = toAnthropicMessages(request.messages, body.thinking !== undefined);
  body.messages = messages;
  if (system !== undefined) body.system = system;
  if (stream) body.stream = true;
  return body;
}

export function toAnthropicTool(tool: FunctionTool, index: number): Block {
  if (tool.type !== "function") {
    throw new UnsupportedError(
      PROVIDER,
      `tools[${index}].type`,
      `'${String(tool.type)}' tools are not supported`,
    );
  }
  const out: Block = {
    name: tool.function.name,
    input_schema: tool.function.parameters ?? { type: "object", properties: {} },
  };
  if (tool.function.description !== undefined) out.description = tool.function.description;
  if (tool.function.strict === true) out.strict = true;
  return out;
}

/**
 * Anthropic takes one top-level system prompt and strictly alternating user/assistant turns. System and developer
 * messages are hoisted (in order) into `system`; consecutive turns of the same role, including the user turn that
 * carries tool results, are merged into one turn. With `thinking`, an assistant message's signed thinking blocks
 * (`thinking_blocks`) open its turn, unmodified; without, they are left out (Anthropic refuses thinking blocks in
 * the last assistant turn when thinking is off, and ignores earlier ones).
 */
export function toAnthropicMessages(
  messages: ChatMessage[],
  thinking = false,
): { system?: string; messages: Turn[] } {
  const turns: Turn[] = [];
  let system: string | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ChatMessage;
    const param = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer": {
        refuseName(message, param, PROVIDER);
        const text = textContent(message, `${param}.content`, PROVIDER);
        system = system === undefined ? text : `${system}\n\n${text}`;
        break;
      }
      case "user":
        refuseName(message, param, PROVIDER);
        push(turns, "user", userBlocks(message, param));
        break;
      case "assistant":
        refuseName(message, param, PROVIDER);
        push(turns, "assistant", assistantBlocks(message, param, thinking));
        break;
      case "tool":
        push(turns, "user", [toolResult(message, param)]);
        break;
      default:
        throw new UnsupportedError(PROVIDER, `${param}.role`, `role '${message.role}' is not supported`);
    }
  }
  return system === undefined ? { messages: turns } : { system, messages: turns };
}

function push(turns: Turn[], role: Turn["role"], blocks: Block[]): void {
  // Anthropic rejects a turn without content (e.g. an assistant message with empty text and no calls).
  if (blocks.length === 0) return;
  const last = turns[turns.length - 1];
  if (last !== undefined && last.role === role) {
    for (const block of blocks) last.content.push(block);
  } else {
    turns.push({ role, content: blocks });
  }
}

function userBlocks(message: ChatMessage, param: string): Block[] {
  const content = message.content;
  if (content == null) return [];
  if (typeof content === "string") return [{ type: "text", text: content }];
  const blocks: Block[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as ContentPart;
    if (part.type === "text") blocks.push({ type: "text", text: (part as { text: string }).text });
    else if (part.type === "image_url") blocks.push(imageBlock(part as ImagePart, `${param}.content[${j}]`));
    else {
      throw new UnsupportedError(
        PROVIDER,
        `${param}.content[${j}].type`,
        `'${part.type}' parts are not supported`,
      );
    }
  }
  return blocks;
}

export function imageBlock(part: ImagePart, param: string): Block {
  const url = part.image_url?.url ?? "";
  const inline = parseDataUrl(url);
  if (inline !== undefined) {
    if (!IMAGE_TYPES.has(inline.mediaType)) {
      throw new UnsupportedError(
        PROVIDER,
        `${param}.image_url`,
        `image type '${inline.mediaType}' is not supported`,
      );
    }
    return { type: "image", source: { type: "base64", media_type: inline.mediaType, data: inline.data } };
  }
  if (isHttpUrl(url)) return { type: "image", source: { type: "url", url } };
  throw new UnsupportedError(
    PROVIDER,
    `${param}.image_url`,
    "images must be base64 data URLs or http(s) URLs",
  );
}

function assistantBlocks(message: ChatMessage, param: string, thinking: boolean): Block[] {
  const blocks: Block[] = (thinking && thinkingBlocksOf(message)) || [];
  // Anthropic rejects empty text blocks, which OpenAI clients send alongside tool calls.
  const text = textContent(message, `${param}.content`, PROVIDER);
  if (text !== "") blocks.push({ type: "text", text });
  const calls = message.tool_calls;
  if (calls != null) {
    for (let j = 0; j < calls.length; j++) {
      const call = calls[j]!;
      blocks.push({
        type: "tool_use",
        // A Gemini answer's id carries its thought signature, which Anthropic's id pattern refuses (failover).
        id: bareId(call.id),
        name: call.function.name,
        input: parseArguments(call.function.arguments, `${param}.tool_calls[${j}].function.arguments`),
      });
    }
  }
  return blocks;
}

function toolResult(message: ChatMessage, param: string): Block {
  return {
    type: "tool_result",
    tool_use_id: bareId(message.tool_call_id ?? ""),
    content: textContent(message, `${param}.content`, PROVIDER),
  };
}
