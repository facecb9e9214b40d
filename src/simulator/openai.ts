// OpenAI Chat Completions wire format (also Mistral and other OpenAI-compatible clients): POST /v1/chat/completions.

import type { ChatRequest } from "../openai/types";
import type { Dialect, Exchange } from "./exchange";
import { openaiHistoryError } from "./history";
import { openaiImageError } from "./images";
import {
  isMistral,
  type MistralReply,
  mistralCompletion,
  mistralDialect,
  mistralStreamFrames,
  mistralThought,
  mistralViolation,
} from "./mistral";
import { completion, streamFrames } from "./openai-reply";
import { type Conversation, nextId, planAnswer, type ToolSpec, textOf } from "./reply";

const ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request." },
  401: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided." },
  403: {
    type: "invalid_request_error",
    code: "permission_denied",
    message: "You are not allowed to do this.",
  },
  404: { type: "invalid_request_error", code: "model_not_found", message: "The model does not exist." },
  429: {
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit reached for requests. Please try again later.",
  },
  500: {
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request. Sorry about that!",
  },
  503: {
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded, please try again later.",
  },
};

function errorObject(status: number, message?: string) {
  const known = ERRORS[status] ?? {
    type: status >= 500 ? "server_error" : "invalid_request_error",
    code: null,
    message: `Simulated error ${status}.`,
  };
  return { message: message ?? known.message, type: known.type, param: null, code: known.code };
}

export const openaiDialect: Dialect = {
  errorBody: (status, message) => JSON.stringify({ error: errorObject(status, message) }),
  streamErrorStatus: 500,
  streamError: (status) => `data: ${JSON.stringify({ error: errorObject(status) })}\n\n`,
  headers: () => ({ "x-request-id": `req_${nextId()}`, ...rateLimitHeaders(Date.now()) }),
};

const LIMIT_REQUESTS = 10_000;
const LIMIT_TOKENS = 30_000_000;
let minute = { start: 0, requests: 0 };

/**
 * OpenAI's rate-limit headers, sent with every answer as OpenAI does: the request count goes down with each
 * answer within a minute (shared by the simulators of one process); the token figures stay at the limit.
 */
function rateLimitHeaders(now: number): Record<string, string> {
  if (now - minute.start >= 60_000) minute = { start: now, requests: 0 };
  minute.requests += 1;
  const reset = `${Math.max(1, Math.ceil((minute.start + 60_000 - now) / 1000))}s`;
  return {
    "x-ratelimit-limit-requests": String(LIMIT_REQUESTS),
    "x-ratelimit-limit-tokens": String(LIMIT_TOKENS),
    "x-ratelimit-remaining-requests": String(Math.max(0, LIMIT_REQUESTS - minute.requests)),
    "x-ratelimit-remaining-tokens": String(LIMIT_TOKENS),
    "x-ratelimit-reset-requests": reset,
    "x-ratelimit-reset-tokens": "0s",
  };
}

export async function handleOpenAI(exchange: Exchange, requireKey: string | undefined): Promise<Response> {
  const headers = exchange.request.headers;
  const body = await readJson(exchange.request);
  exchange.record.body = body;
  // Mistral clients use the same path; its dialect is chosen from the model (or `x-sim-dialect`).
  const mistral = isMistral((body as { model?: unknown } | undefined)?.model, headers.get("x-sim-dialect"));
  const dialect = mistral ? mistralDialect : openaiDialect;
  if (requireKey !== undefined && headers.get("authorization") !== `Bearer ${requireKey}`) {
    return exchange.error(dialect, 401);
  }
  const invalid = validate(body);
  if (invalid) return exchange.error(dialect, 400, invalid);
  const violation = mistral ? mistralViolation(body as Record<string, unknown>) : undefined;
  if (violation) return exchange.respond(violation.status, violation.body);
  const request = body as ChatRequest;
  const history = openaiHistoryError(request.messages);
  if (history) {
    if (mistral) return exchange.error(dialect, 400, "Not the same number of function calls and responses");
    const error = {
      message: history.message,
      type: "invalid_request_error",
      param: history.param,
      code: null,
    };
    return exchange.respond(400, JSON.stringify({ error }));
  }
  const image = openaiImageError(request.messages);
  if (image) {
    if (mistral) return exchange.error(dialect, 400, image.message);
    const error = {
      message: image.message,
      type: "invalid_request_error",
      param: image.param,
      code: "invalid_value",
    };
    return exchange.respond(400, JSON.stringify({ error }));
  }
  exchange.record.model = request.model;
  exchange.record.stream = request.stream === true;
  const fault = exchange.takeFault(request.model);
  const pending = exchange.preempt(dialect, fault);
  const early = pending instanceof Promise ? await pending : pending;
  if (early) return early;
  const conversation = toConversation(request);
  const plan = planAnswer(conversation, exchange.controls());
  const id = mistral ? nextId() : `chatcmpl-${nextId()}`;
  const created = Math.floor(Date.now() / 1000);
  if (mistral) {
    const thought = mistralThought(body as Record<string, unknown>, conversation.lastText);
    const reply: MistralReply = { plan, id, created, model: request.model, thought };
    if (request.stream === true) return exchange.stream(dialect, mistralStreamFrames(reply), fault);
    return exchange.json(dialect, JSON.stringify(mistralCompletion(reply)), fault);
  }
  const choices = Number.isInteger(request.n) && (request.n as number) > 1 ? (request.n as number) : 1;
  const reply = { plan, id, created, model: request.model, choices };
  // `x-sim-usage: none`: an OpenAI-compatible server that reports no usage (older vLLM and Ollama streams).
  const reportsUsage = headers.get("x-sim-usage") !== "none";
  if (request.stream === true) {
    const includeUsage = reportsUsage && request.stream_options?.include_usage === true;
    return exchange.stream(dialect, streamFrames(reply, includeUsage), fault);
  }
  const answer = completion(reply);
  if (!reportsUsage) delete answer.usage;
  return exchange.json(dialect, JSON.stringify(answer), fault);
}

export async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return undefined;
  }
}

function validate(body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return "We could not parse the JSON body of your request.";
  }
  const request = body as Record<string, unknown>;
  if (typeof request.model !== "string" || request.model === "") return "you must provide a model parameter";
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    return "Invalid 'messages': empty array. Expected an array with minimum length 1.";
  }
  return undefined;
}

function toConversation(request: ChatRequest): Conversation {
  let promptChars = 0;
  let lastUser = "";
  for (const message of request.messages) {
    const text = textOf(message.content);
    promptChars += text.length;
    for (const call of message.tool_calls ?? [])
      promptChars += call.function.name.length + call.function.arguments.length;
    if (message.role === "user") lastUser = text;
  }
  const last = request.messages[request.messages.length - 1];
  const lastTurn =
    last?.role === "user" ? "user" : last?.role === "tool" || last?.role === "function" ? "tool" : "other";
  const tools: ToolSpec[] = [];
  for (const tool of request.tools ?? []) {
    if (tool.type === "function" && tool.function?.name) {
      tools.push(
        tool.function.parameters
          ? { name: tool.function.name, parameters: tool.function.parameters }
          : { name: tool.function.name },
      );
    }
  }
  const conversation: Conversation = {
    lastTurn,
    lastText: lastTurn === "tool" ? textOf(last?.content) : lastUser,
    promptChars,
    tools,
    toolChoice: toolChoice(request.tool_choice),
    stop: typeof request.stop === "string" ? [request.stop] : Array.isArray(request.stop) ? request.stop : [],
  };
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === "number") conversation.maxTokens = maxTokens;
  const format = request.response_format;
  if (format?.type === "json_object") conversation.json = {};
  if (format?.type === "json_schema") {
    const schema = (format as { json_schema?: { schema?: Record<string, unknown> } }).json_schema?.schema;
    conversation.json = schema ? { schema } : {};
  }
  return conversation;
}

function toolChoice(choice: ChatRequest["tool_choice"]): Conversation["toolChoice"] {
  if (choice === "none") return "none";
  if (choice === "required") return "any";
  if (choice && typeof choice === "object") {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name === "string") return { name };
  }
  return "auto";
}
