// Mistral's dialect of the OpenAI format, on the same path: strict request schema, 9-character tool call ids,
// whole tool calls in streams, usage always on the last chunk, flat `{object: "error", ...}` error bodies, and
// reasoning models' thinking as content chunks.

import type { Dialect, Frame } from "./exchange";
import type { Plan } from "./reply";
import { estimateTokens, nextId, splitWords } from "./reply";

/** One Mistral answer to render; `thought` when the model reasons (see `mistralThought`). */
export interface MistralReply {
  plan: Plan;
  id: string;
  created: number;
  model: string;
  thought?: string;
}

/** Mistral model names (as sent upstream); `x-sim-dialect: openai|mistral` overrides the guess. */
const MISTRAL_MODEL =
  /^(mistral|open-mistral|open-mixtral|codestral|ministral|magistral|devstral|pixtral|voxtral)/;

export function isMistral(model: unknown, header: string | null): boolean {
  if (header === "mistral") return true;
  if (header === "openai") return false;
  return typeof model === "string" && MISTRAL_MODEL.test(model);
}

const ERRORS: Record<number, [string, string, string | null]> = {
  400: ["invalid_request_error", "Invalid request", null],
  404: ["invalid_model", "Invalid model", "1500"],
  422: ["invalid_request_message_error", "Invalid request", null],
  429: ["rate_limited", "Requests rate limit exceeded", "1300"],
  500: ["internal_server_error", "Internal server error", null],
  503: ["service_unavailable", "Service unavailable", null],
};

function errorObject(status: number, message?: unknown) {
  const [type, text, code] = ERRORS[status] ?? [
    status >= 500 ? "internal_server_error" : "invalid_request_error",
    "Error",
    null,
  ];
  return { object: "error", message: message ?? text, type, param: null, code };
}

export const mistralDialect: Dialect = {
  errorBody: (status, message) =>
    status === 401
      ? JSON.stringify({ message: "Unauthorized", request_id: nextId() })
      : JSON.stringify(errorObject(status, message)),
  streamErrorStatus: 500,
  streamError: (status) => `data: ${JSON.stringify(errorObject(status))}\n\n`,
};

const REQUEST_FIELDS = new Set([
  "model",
  "messages",
  "temperature",
  "top_p",
  "max_tokens",
  "stream",
  "stop",
  "random_seed",
  "response_format",
  "tools",
  "tool_choice",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "prediction",
  "parallel_tool_calls",
  "prompt_mode",
  "reasoning_effort",
  "safe_prompt",
  "metadata",
]);
const MESSAGE_FIELDS = new Set(["role", "content", "tool_calls", "tool_call_id", "name", "prefix"]);
const TOOL_CALL_ID = /^[a-zA-Z0-9]{9}$/;

/**
 * Mistral's validation, as a status and error body: 422 with FastAPI-style details for unknown fields, 400 for
 * tool call ids that are not nine alphanumerics.
 */
export function mistralViolation(
  body: Record<string, unknown>,
): { status: number; body: string } | undefined {
  const extra = (loc: Array<string | number>) => ({
    status: 422,
    body: JSON.stringify(
      errorObject(422, {
        detail: [{ type: "extra_forbidden", loc: ["body", ...loc], msg: "Extra inputs are not permitted" }],
      }),
    ),
  });
  for (const key in body) if (!REQUEST_FIELDS.has(key)) return extra([key]);
  // Magistral models always reason; only the adjustable ones (mistral-small...) take an effort.
  if (body.reasoning_effort != null && isMagistral(body.model)) {
    const message = `Model ${String(body.model)} does not support reasoning_effort`;
    return { status: 400, body: JSON.stringify(errorObject(400, message)) };
  }
  const messages = body.messages as Array<Record<string, unknown>>;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    for (const key in message) if (!MESSAGE_FIELDS.has(key)) return extra(["messages", index, key]);
    const ids: unknown[] = [
      message.tool_call_id,
      ...((message.tool_calls as Array<{ id?: unknown }>) ?? []).map((c) => c.id),
    ];
    for (const id of ids) {
      if (id !== undefined && !(typeof id === "string" && TOOL_CALL_ID.test(id))) {
        const message = `Tool call id was ${String(id)} but must be a-z, A-Z, 0-9, with a length of 9.`;
        return { status: 400, body: JSON.stringify(errorObject(400, message)) };
      }
    }
  }
  return undefined;
}

const isMagistral = (model: unknown) => typeof model === "string" && model.startsWith("magistral");

/**
 * The thought of a reasoning answer: Magistral models always think; other models when `reasoning_effort` asks
 * (anything but `none`). A short deterministic thought about the last turn, as the Anthropic simulator's.
 */
export function mistralThought(body: { model?: unknown; reasoning_effort?: unknown }, lastText: string) {
  const effort = body.reasoning_effort;
  const thinks = isMagistral(body.model) || (typeof effort === "string" && effort !== "none");
  return thinks ? `Thinking about: ${lastText.slice(0, 60)}` : undefined;
}

/** Thinking is billed as output: Mistral's `completion_tokens` includes it (there is no breakdown). */
function usage(reply: MistralReply) {
  const { prompt } = reply.plan.tokens;
  const completion =
    reply.plan.tokens.completion + (reply.thought === undefined ? 0 : estimateTokens(reply.thought.length));
  return { prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion };
}

const thinkingChunk = (text: string) => ({ type: "thinking", thinking: [{ type: "text", text }] });

/** Reasoning answers' content is chunks, the thinking first: `[{type: "thinking", ...}, {type: "text", ...}]`. */
function content(reply: MistralReply, text: string): unknown {
  if (reply.thought === undefined) return text;
  const chunks: unknown[] = [thinkingChunk(reply.thought)];
  if (text !== "") chunks.push({ type: "text", text });
  return chunks;
}

function finishReason(plan: Plan): string {
  return plan.answer.kind === "tools"
    ? "tool_calls"
    : plan.answer.finish === "content_filter"
      ? "stop"
      : plan.answer.finish;
}

/** Nine alphanumeric characters, as Mistral issues them (and requires them back). */
function toolCallIds(plan: Plan): string[] {
  if (plan.answer.kind !== "tools") return [];
  const base = nextId()
    .replace(/[^a-zA-Z0-9]/g, "")
    .slice(-7)
    .padStart(7, "0");
  return plan.answer.calls.map((_, index) => `${base}${index.toString(36).padStart(2, "0")}`.slice(-9));
}

function toolCalls(plan: Plan) {
  if (plan.answer.kind !== "tools") return null;
  const ids = toolCallIds(plan);
  return plan.answer.calls.map((call, index) => ({
    id: ids[index]!,
    type: "function",
    function: { name: call.name, arguments: call.arguments },
    index,
  }));
}

export function mistralCompletion(reply: MistralReply): unknown {
  const { plan, id, created, model } = reply;
  const calls = toolCalls(plan);
  const text = plan.answer.kind === "text" ? plan.answer.text : "";
  return {
    id,
    object: "chat.completion",
    model,
    usage: usage(reply),
    created,
    choices: [
      {
        index: 0,
        message: { role: "assistant", tool_calls: calls, content: content(reply, text) },
        finish_reason: finishReason(plan),
      },
    ],
  };
}

/**
 * While a reasoning model thinks, `delta.content` is an array holding a thinking chunk; the delta that ends the
 * thinking carries its last piece and the answer's first as a text chunk; the rest of the answer is plain strings.
 */
export function mistralStreamFrames(reply: MistralReply): Frame[] {
  const { plan, id, created, model } = reply;
  const chunk = (delta: unknown, finish: string | null, last = false) => {
    const value: Record<string, unknown> = {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    };
    // Mistral always reports usage, on the chunk that carries the finish reason; there is no usage-only chunk.
    if (last) value.usage = usage(reply);
    return `data: ${JSON.stringify(value)}\n\n`;
  };
  const frames: Frame[] = [{ data: chunk({ role: "assistant", content: "" }, null), content: false }];
  const calls = toolCalls(plan);
  const words = plan.answer.kind === "text" && plan.answer.text !== "" ? splitWords(plan.answer.text) : [];
  if (reply.thought !== undefined) {
    const thoughts = splitWords(reply.thought);
    thoughts.forEach((piece, index) => {
      const parts: unknown[] = [thinkingChunk(piece)];
      if (index === thoughts.length - 1 && words.length > 0)
        parts.push({ type: "text", text: words.shift() });
      frames.push({ data: chunk({ content: parts }, null), content: true });
    });
  }
  if (calls) {
    // Mistral streams each tool call whole: id, name and the complete arguments in one delta.
    frames.push({ data: chunk({ tool_calls: calls, content: "" }, null), content: true });
  } else {
    for (const piece of words) frames.push({ data: chunk({ content: piece }, null), content: true });
  }
  frames.push({ data: chunk({ content: "" }, finishReason(plan), true), content: false });
  frames.push({ data: "data: [DONE]\n\n", content: false });
  return frames;
}
