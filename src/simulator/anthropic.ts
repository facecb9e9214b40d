// Anthropic Messages wire format: POST /v1/messages, JSON and `event:`/`data:` SSE, Anthropic's error envelope.

import { type AnthropicReply, event, message, streamFrames } from "./anthropic-reply";
import type { Dialect, Exchange } from "./exchange";
import { anthropicHistoryError } from "./history";
import { anthropicImageError } from "./images";
import { readJson } from "./openai";
import { anthropicReplayError } from "./replay";
import { type Conversation, type JsonSchema, nextId, planAnswer, type ToolSpec, textOf } from "./reply";

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ["invalid_request_error", "Invalid request."],
  401: ["authentication_error", "invalid x-api-key"],
  402: ["billing_error", "Your credit balance is too low."],
  403: ["permission_error", "Your API key does not have permission to use the specified resource."],
  404: ["not_found_error", "The requested resource could not be found."],
  413: ["request_too_large", "Request exceeds the maximum allowed number of bytes."],
  429: ["rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."],
  500: ["api_error", "Internal server error"],
  504: ["timeout_error", "Request timed out"],
  529: ["overloaded_error", "Overloaded"],
};

function errorObject(status: number, message?: string) {
  const [type, text] = ERROR_TYPES[status] ?? [
    status >= 500 ? "api_error" : "invalid_request_error",
    "Error",
  ];
  return { type, message: message ?? text };
}

export const anthropicDialect: Dialect = {
  errorBody: (status, message) =>
    JSON.stringify({ type: "error", error: errorObject(status, message), request_id: `req_${nextId()}` }),
  streamErrorStatus: 529,
  streamError: (status) => event("error", { type: "error", error: errorObject(status) }),
  headers: () => ({ "request-id": `req_${nextId()}` }),
};

interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: Array<{ role: string; content: unknown }>;
  system?: unknown;
  tools?: Array<{ name?: string; input_schema?: JsonSchema; type?: string }>;
  tool_choice?: { type?: string; name?: string };
  stop_sequences?: string[];
  stream?: boolean;
  output_config?: { format?: { type?: string; schema?: JsonSchema } };
  output_format?: { type?: string; schema?: JsonSchema };
  thinking?: { type?: string };
}

/** Extended thinking, when the request turns it on: a short deterministic thought about the last turn. */
function thinkingText(request: MessagesRequest): string | undefined {
  const type = request.thinking?.type;
  if (type !== "enabled" && type !== "adaptive") return undefined;
  const last = request.messages[request.messages.length - 1];
  return `Thinking about: ${textOf(last?.content).slice(0, 60)}`;
}

export async function handleAnthropic(exchange: Exchange, requireKey: string | undefined): Promise<Response> {
  const headers = exchange.request.headers;
  const key = headers.get("x-api-key") ?? headers.get("authorization")?.replace(/^Bearer /, "") ?? null;
  if (key === null) return exchange.error(anthropicDialect, 401, "x-api-key header is required");
  if (requireKey !== undefined && key !== requireKey) return exchange.error(anthropicDialect, 401);
  if (!headers.get("anthropic-version")) {
    return exchange.error(anthropicDialect, 400, "anthropic-version: header is required");
  }
  const body = await readJson(exchange.request);
  exchange.record.body = body;
  const invalid = validate(body);
  if (invalid) return exchange.error(anthropicDialect, 400, invalid);
  const request = body as MessagesRequest;
  const history = anthropicHistoryError(request.messages);
  if (history) return exchange.error(anthropicDialect, 400, history);
  const image = anthropicImageError(request.messages);
  if (image) return exchange.error(anthropicDialect, 400, image);
  const replay = anthropicReplayError(request.messages, thinkingText(request) !== undefined);
  if (replay) return exchange.error(anthropicDialect, 400, replay);
  exchange.record.model = request.model;
  exchange.record.stream = request.stream === true;
  const fault = exchange.takeFault(request.model);
  const pending = exchange.preempt(anthropicDialect, fault);
  const early = pending instanceof Promise ? await pending : pending;
  if (early) return early;
  const plan = planAnswer(toConversation(request), exchange.controls());
  const reply: AnthropicReply = { plan, id: `msg_${nextId()}`, model: request.model };
  const thinking = thinkingText(request);
  if (thinking !== undefined) reply.thinking = thinking;
  if (request.stream === true) return exchange.stream(anthropicDialect, streamFrames(reply), fault);
  return exchange.json(anthropicDialect, JSON.stringify(message(reply)), fault);
}

function validate(body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return "The request body is not valid JSON.";
  const request = body as Record<string, unknown>;
  if (typeof request.model !== "string" || request.model === "") return "model: Field required";
  if (request.max_tokens === undefined) return "max_tokens: Field required";
  if (!Number.isInteger(request.max_tokens) || (request.max_tokens as number) < 1) {
    return "max_tokens: Input should be a valid integer greater than or equal to 1";
  }
  if (!Array.isArray(request.messages)) return "messages: Field required";
  if (request.messages.length === 0) return "messages: at least one message is required";
  return undefined;
}

/** Characters of a content value, counting text, tool inputs and tool results. */
function contentChars(content: unknown): number {
  if (typeof content === "string") return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const block of content as Array<{
    type?: string;
    text?: unknown;
    input?: unknown;
    content?: unknown;
  }>) {
    if (block.type === "text" && typeof block.text === "string") chars += block.text.length;
    else if (block.type === "tool_use") chars += JSON.stringify(block.input ?? {}).length;
    else if (block.type === "tool_result") chars += contentChars(block.content);
  }
  return chars;
}

function toolResultText(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const results = content.filter((block) => (block as { type?: string }).type === "tool_result");
  if (results.length === 0) return undefined;
  return results.map((block) => textOf((block as { content?: unknown }).content)).join(" ");
}

function toConversation(request: MessagesRequest): Conversation {
  let promptChars = contentChars(
    typeof request.system === "string" ? request.system : (request.system ?? ""),
  );
  let lastUser = "";
  for (const turn of request.messages) {
    promptChars += contentChars(turn.content);
    if (turn.role === "user" && toolResultText(turn.content) === undefined) lastUser = textOf(turn.content);
  }
  const last = request.messages[request.messages.length - 1];
  const result = last?.role === "user" ? toolResultText(last.content) : undefined;
  const tools: ToolSpec[] = [];
  for (const tool of request.tools ?? []) {
    // Server tools (web search, code execution...) have a versioned `type` and no schema: never called here.
    if (typeof tool.name !== "string" || (tool.type !== undefined && tool.type !== "custom")) continue;
    tools.push(tool.input_schema ? { name: tool.name, parameters: tool.input_schema } : { name: tool.name });
  }
  const conversation: Conversation = {
    lastTurn: result !== undefined ? "tool" : last?.role === "user" ? "user" : "other",
    lastText: result ?? lastUser,
    promptChars,
    tools,
    toolChoice: toolChoice(request.tool_choice),
    stop: Array.isArray(request.stop_sequences) ? request.stop_sequences : [],
    maxTokens: request.max_tokens,
  };
  const format = request.output_config?.format ?? request.output_format;
  if (format?.type === "json_schema") conversation.json = format.schema ? { schema: format.schema } : {};
  return conversation;
}

function toolChoice(choice: MessagesRequest["tool_choice"]): Conversation["toolChoice"] {
  if (choice?.type === "none") return "none";
  if (choice?.type === "any") return "any";
  if (choice?.type === "tool" && typeof choice.name === "string") return { name: choice.name };
  return "auto";
}
