// Anthropic Messages wire format: POST /v1/messages, JSON and `event:`/`data:` SSE, Anthropic's error envelope.

import type { Dialect, Exchange, Frame } from "./exchange";
import { anthropicHistoryError } from "./history";
import { readJson } from "./openai";
import {
  type Conversation,
  type JsonSchema,
  nextId,
  type Plan,
  planAnswer,
  splitFragments,
  splitWords,
  type ToolSpec,
  textOf,
} from "./reply";

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

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

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
  exchange.record.model = request.model;
  exchange.record.stream = request.stream === true;
  const fault = exchange.takeFault(request.model);
  const pending = exchange.preempt(anthropicDialect, fault);
  const early = pending instanceof Promise ? await pending : pending;
  if (early) return early;
  const plan = planAnswer(toConversation(request), exchange.controls());
  const id = `msg_${nextId()}`;
  if (request.stream === true)
    return exchange.stream(anthropicDialect, streamFrames(plan, id, request.model), fault);
  return exchange.json(anthropicDialect, JSON.stringify(message(plan, id, request.model)), fault);
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

function stopReason(plan: Plan): { stop_reason: string; stop_sequence: string | null } {
  const answer = plan.answer;
  if (answer.kind === "tools") return { stop_reason: "tool_use", stop_sequence: null };
  if (answer.finish === "length") return { stop_reason: "max_tokens", stop_sequence: null };
  if (answer.finish === "content_filter") return { stop_reason: "refusal", stop_sequence: null };
  if (answer.stopSequence !== undefined)
    return { stop_reason: "stop_sequence", stop_sequence: answer.stopSequence };
  return { stop_reason: "end_turn", stop_sequence: null };
}

/** Anthropic's `input_tokens` excludes cache reads (and writes), unlike OpenAI's `prompt_tokens`. */
function inputUsage(plan: Plan) {
  return {
    input_tokens: plan.tokens.prompt - plan.tokens.cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: plan.tokens.cached,
  };
}

function toolUseIds(plan: Plan, id: string): string[] {
  return plan.answer.kind === "tools"
    ? plan.answer.calls.map((_, index) => `toolu_${id.slice(4)}${index}`)
    : [];
}

function message(plan: Plan, id: string, model: string) {
  const answer = plan.answer;
  const ids = toolUseIds(plan, id);
  const content =
    answer.kind === "tools"
      ? answer.calls.map((call, index) => ({
          type: "tool_use",
          id: ids[index],
          name: call.name,
          input: call.input,
        }))
      : [{ type: "text", text: answer.text, citations: null }];
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content,
    ...stopReason(plan),
    usage: {
      ...inputUsage(plan),
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: plan.tokens.completion,
      service_tier: "standard",
    },
  };
}

function streamFrames(plan: Plan, id: string, model: string): Frame[] {
  const frames: Frame[] = [];
  const push = (name: string, data: unknown, content = false) =>
    frames.push({ data: event(name, data), content });
  push("message_start", {
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage(plan), output_tokens: 1, service_tier: "standard" },
    },
  });
  const answer = plan.answer;
  if (answer.kind === "tools") {
    const ids = toolUseIds(plan, id);
    answer.calls.forEach((call, index) => {
      const block = { type: "tool_use", id: ids[index], name: call.name, input: {} };
      push("content_block_start", { type: "content_block_start", index, content_block: block });
      if (index === 0) push("ping", { type: "ping" });
      // Anthropic opens each tool input with an empty fragment, then streams the JSON in pieces.
      for (const partial_json of ["", ...splitFragments(call.arguments)]) {
        push(
          "content_block_delta",
          { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } },
          partial_json !== "",
        );
      }
      push("content_block_stop", { type: "content_block_stop", index });
    });
  } else {
    push("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    push("ping", { type: "ping" });
    if (answer.text !== "") {
      for (const text of splitWords(answer.text)) {
        push(
          "content_block_delta",
          { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
          true,
        );
      }
    }
    push("content_block_stop", { type: "content_block_stop", index: 0 });
  }
  push("message_delta", {
    type: "message_delta",
    delta: { ...stopReason(plan) },
    usage: { ...inputUsage(plan), output_tokens: plan.tokens.completion },
  });
  push("message_stop", { type: "message_stop" });
  return frames;
}
