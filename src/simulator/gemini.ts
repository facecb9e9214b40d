// Google Gemini wire format: models/{m}:generateContent and :streamGenerateContent (?alt=sse or a JSON array).

import type { Dialect, Exchange, Frame } from "./exchange";
import { type GeminiReply, type Part, partsText, response, streamChunks } from "./gemini-reply";
import { geminiHistoryError } from "./history";
import { geminiImageError } from "./images";
import { readJson } from "./openai";
import { geminiReplayError, geminiValidatesSignatures } from "./replay";
import { type Conversation, type JsonSchema, nextId, planAnswer, type ToolSpec } from "./reply";

const STATUS_NAMES: Record<number, [string, string]> = {
  400: ["INVALID_ARGUMENT", "Request contains an invalid argument."],
  401: ["UNAUTHENTICATED", "Request had invalid authentication credentials."],
  403: ["PERMISSION_DENIED", "The caller does not have permission."],
  404: ["NOT_FOUND", "Requested entity was not found."],
  429: ["RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."],
  500: [
    "INTERNAL",
    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  ],
  503: ["UNAVAILABLE", "The model is overloaded. Please try again later."],
  504: ["DEADLINE_EXCEEDED", "The request timed out. Please try again."],
};

/** Thoughts a thinking model reports (billed as output), unless the request turns thinking off. */
const THOUGHTS_TOKENS = 24;

function errorObject(status: number, message?: string, details?: unknown[]) {
  const [name, text] = STATUS_NAMES[status] ?? [
    status >= 500 ? "UNAVAILABLE" : "FAILED_PRECONDITION",
    "Error.",
  ];
  const error: Record<string, unknown> = { code: status, message: message ?? text, status: name };
  if (details) error.details = details;
  return error;
}

export const geminiDialect: Dialect = {
  // Google states the retry delay in a RetryInfo detail (the simulator also sends `retry-after`).
  errorBody: (status, message, retryAfterSeconds) => {
    const details =
      retryAfterSeconds === undefined
        ? undefined
        : [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfterSeconds}s` }];
    return JSON.stringify({ error: errorObject(status, message, details) });
  },
  streamErrorStatus: 503,
  streamError: (status) => `data: ${JSON.stringify({ error: errorObject(status) })}\r\n\r\n`,
};

interface Content {
  role?: string;
  parts?: Part[];
}
interface GenerateRequest {
  contents: Content[];
  systemInstruction?: Content | string;
  tools?: Array<{
    functionDeclarations?: Array<{
      name?: string;
      parameters?: JsonSchema;
      parametersJsonSchema?: JsonSchema;
    }>;
  }>;
  toolConfig?: { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } };
  generationConfig?: {
    maxOutputTokens?: number;
    stopSequences?: string[];
    responseMimeType?: string;
    responseSchema?: JsonSchema;
    responseJsonSchema?: JsonSchema;
    thinkingConfig?: { thinkingBudget?: number; includeThoughts?: boolean };
  };
}

export async function handleGemini(
  exchange: Exchange,
  model: string,
  mode: "json" | "sse" | "array",
  requireKey: string | undefined,
): Promise<Response> {
  const url = new URL(exchange.request.url);
  const key = exchange.request.headers.get("x-goog-api-key") ?? url.searchParams.get("key");
  if (requireKey !== undefined && key !== requireKey) return geminiKeyError(exchange, key);
  const body = await readJson(exchange.request);
  exchange.record.body = body;
  exchange.record.stream = mode !== "json";
  const invalid = validate(body);
  if (invalid) return exchange.error(geminiDialect, 400, invalid);
  const request = body as GenerateRequest;
  const history = geminiHistoryError(request.contents);
  if (history) return exchange.error(geminiDialect, 400, history);
  const image = geminiImageError(request.contents);
  if (image) return exchange.error(geminiDialect, 400, image);
  const replay = geminiReplayError(request.contents, model);
  if (replay) return exchange.error(geminiDialect, 400, replay);
  const fault = exchange.takeFault(model);
  const pending = exchange.preempt(geminiDialect, fault);
  const early = pending instanceof Promise ? await pending : pending;
  if (early) return early;
  const plan = planAnswer(toConversation(request), exchange.controls());
  const thoughts = thoughtsTokens(model, request);
  const reply: GeminiReply = { plan, thoughts, model, responseId: nextId() };
  if (thoughts > 0 || geminiValidatesSignatures(model)) reply.signed = true;
  if (thoughts > 0 && request.generationConfig?.thinkingConfig?.includeThoughts === true) {
    // Thought summaries come first, as text parts flagged `thought: true`.
    reply.thought = {
      text: `Thinking about: ${request.contents.at(-1)?.parts?.[0]?.text ?? "the request"}`,
      thought: true,
    };
  }
  if (mode === "json") return exchange.json(geminiDialect, JSON.stringify(response(reply)), fault);
  const chunks = streamChunks(reply);
  if (mode === "array") return exchange.json(geminiDialect, JSON.stringify(chunks), fault);
  const frames: Frame[] = chunks.map((chunk, index) => ({
    data: `data: ${JSON.stringify(chunk)}\r\n\r\n`,
    // Every chunk carries content; the last one also the finish reason, so it is the tail a fault may spare.
    content: index < chunks.length - 1 || chunks.length === 1,
  }));
  return exchange.stream(geminiDialect, frames, fault);
}

/** Google answers a wrong key with 400 API_KEY_INVALID and a missing one with 403, not with 401. */
export function geminiKeyError(exchange: Exchange, key: string | null): Response {
  const body =
    key === null
      ? errorObject(
          403,
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        )
      : errorObject(400, "API key not valid. Please pass a valid API key.", [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
            domain: "googleapis.com",
          },
        ]);
  return exchange.respond(body.code as number, JSON.stringify({ error: body }));
}

function validate(body: unknown): string | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return "Invalid JSON payload received.";
  const contents = (body as { contents?: unknown }).contents;
  if (!Array.isArray(contents) || contents.length === 0)
    return "* GenerateContentRequest.contents: contents is not specified";
  return undefined;
}

function toConversation(request: GenerateRequest): Conversation {
  const system = request.systemInstruction;
  let promptChars = typeof system === "string" ? system.length : partsText(system?.parts).length;
  let lastUser = "";
  for (const content of request.contents) {
    const text = partsText(content.parts);
    promptChars += text.length;
    for (const part of content.parts ?? []) {
      if (part.functionCall) promptChars += JSON.stringify(part.functionCall.args ?? {}).length;
      if (part.functionResponse) promptChars += JSON.stringify(part.functionResponse.response ?? {}).length;
    }
    if (content.role !== "model" && text !== "") lastUser = text;
  }
  const last = request.contents[request.contents.length - 1];
  const results = (last?.parts ?? []).filter((part) => part.functionResponse);
  const isUser = last !== undefined && last.role !== "model";
  const tools: ToolSpec[] = [];
  for (const tool of request.tools ?? []) {
    for (const declaration of tool.functionDeclarations ?? []) {
      if (typeof declaration.name !== "string") continue;
      const parameters = declaration.parametersJsonSchema ?? declaration.parameters;
      tools.push(parameters ? { name: declaration.name, parameters } : { name: declaration.name });
    }
  }
  const config = request.generationConfig ?? {};
  const conversation: Conversation = {
    lastTurn: isUser && results.length > 0 ? "tool" : isUser ? "user" : "other",
    lastText:
      isUser && results.length > 0
        ? results.map((part) => JSON.stringify(part.functionResponse?.response ?? {})).join(" ")
        : lastUser,
    promptChars,
    tools,
    toolChoice: toolChoice(request.toolConfig?.functionCallingConfig),
    stop: Array.isArray(config.stopSequences) ? config.stopSequences : [],
  };
  if (typeof config.maxOutputTokens === "number") conversation.maxTokens = config.maxOutputTokens;
  if (config.responseMimeType === "application/json") {
    const schema = config.responseJsonSchema ?? config.responseSchema;
    conversation.json = schema ? { schema } : {};
  }
  return conversation;
}

function toolChoice(
  config: { mode?: string; allowedFunctionNames?: string[] } | undefined,
): Conversation["toolChoice"] {
  const mode = config?.mode?.toUpperCase();
  if (mode === "NONE") return "none";
  if (mode === "ANY" || mode === "VALIDATED") {
    const names = config?.allowedFunctionNames ?? [];
    return names.length === 1 && names[0] ? { name: names[0] } : "any";
  }
  return "auto";
}

function thoughtsTokens(model: string, request: GenerateRequest): number {
  const budget = request.generationConfig?.thinkingConfig?.thinkingBudget;
  if (budget === 0) return 0;
  if (typeof budget === "number" && budget > 0) return Math.min(budget, THOUGHTS_TOKENS);
  return model.includes("pro") ? THOUGHTS_TOKENS : 0;
}
