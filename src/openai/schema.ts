// TypeBox schema of what the gateway relies on in a Chat Completions body; every other field passes through.

import { Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type ValueError } from "@sinclair/typebox/compiler";
import { invalidRequest } from "../errors";
import type { ChatRequest } from "./types";

const Role = T.Union(
  ["system", "developer", "user", "assistant", "tool", "function"].map((role) => T.Literal(role)),
  { errorMessage: "must be one of system, developer, user, assistant, tool, function" },
);

// Only text parts carry `text` and only image parts `image_url`, so typing them as optional fields checks both
// without a union (whose errors would only say "expected union value").
const ContentPart = T.Object(
  {
    type: T.String({ minLength: 1 }),
    text: T.Optional(T.String()),
    image_url: T.Optional(T.Object({ url: T.String() }, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

const ToolCall = T.Object(
  {
    id: T.String(),
    type: T.Literal("function"),
    function: T.Object({ name: T.String(), arguments: T.String() }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

const Message = T.Object(
  {
    role: Role,
    content: T.Optional(
      T.Union([T.String(), T.Null(), T.Array(ContentPart)], {
        errorMessage:
          "must be a string or an array of content parts such as {type: 'text', text} or {type: 'image_url', image_url: {url}}",
      }),
    ),
    tool_calls: T.Optional(T.Union([T.Array(ToolCall), T.Null()])),
    tool_call_id: T.Optional(T.Union([T.String(), T.Null()])),
    name: T.Optional(T.Union([T.String(), T.Null()])),
  },
  { additionalProperties: true },
);

const FunctionTool = T.Object(
  {
    type: T.Literal("function"),
    function: T.Object({ name: T.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

const PositiveInt = T.Integer({ minimum: 1 });

/** A parameter that may also be null; `errorMessage` says what it should be (a union's own error says nothing). */
const Nullable = (schema: TSchema, errorMessage: string) =>
  T.Optional(T.Union([schema, T.Null()], { errorMessage }));

export const ChatRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1 }),
    messages: T.Array(Message, { minItems: 1 }),
    temperature: Nullable(T.Number({ minimum: 0, maximum: 2 }), "must be a number from 0 to 2"),
    top_p: Nullable(T.Number({ minimum: 0, maximum: 1 }), "must be a number from 0 to 1"),
    max_tokens: Nullable(PositiveInt, "must be a positive integer"),
    max_completion_tokens: Nullable(PositiveInt, "must be a positive integer"),
    stream: Nullable(T.Boolean(), "must be true or false"),
    stream_options: Nullable(
      T.Object({ include_usage: T.Optional(T.Boolean()) }, { additionalProperties: true }),
      "must be an object such as {include_usage: true}",
    ),
    stop: T.Optional(
      T.Union([T.String(), T.Array(T.String(), { maxItems: 4 }), T.Null()], {
        errorMessage: "must be a string or an array of up to 4 strings",
      }),
    ),
    tools: T.Optional(T.Array(FunctionTool)),
    n: Nullable(PositiveInt, "must be a positive integer"),
  },
  { additionalProperties: true },
);

const checker = TypeCompiler.Compile(ChatRequestSchema);

/** Validates a parsed body; throws a 400 naming the first offending parameter (as `messages[0].role`). */
export function validateChatRequest(body: unknown): ChatRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object.");
  }
  if (checker.Check(body)) return body as ChatRequest;
  // A wrong discriminator (`type`) explains the rest of an object's errors, so it is named first.
  let first: ValueError | undefined;
  for (const error of checker.Errors(body)) {
    first ??= error;
    if (error.path.endsWith("/type")) {
      first = error;
      break;
    }
  }
  throw describe(first && within(first));
}

/**
 * A union's own error only says that no variant matched. When exactly one variant got past the value's shape
 * (content given as an array: only the array variant did), its first error names the real culprit, such as
 * `messages[0].content[1].text`.
 */
function within(error: ValueError): ValueError {
  let only: ValueError | undefined;
  for (const variant of error.errors) {
    const inner = variant.First();
    if (inner === undefined || inner.path.length <= error.path.length) continue;
    if (only !== undefined) return error;
    only = inner;
  }
  return only === undefined ? error : within(only);
}

function describe(error: ValueError | undefined) {
  if (!error) return invalidRequest("The request body is not a valid chat completion request.");
  const param = toParam(error.path);
  const value = error.value === undefined ? "missing" : `got ${summarise(error.value, param)}`;
  return invalidRequest(`Invalid '${param}': ${reason(error.schema, error.message)} (${value}).`, param);
}

function reason(schema: TSchema, message: string): string {
  const custom = (schema as { errorMessage?: string }).errorMessage;
  return custom ?? message.charAt(0).toLowerCase() + message.slice(1);
}

/** `/messages/0/role` → `messages[0].role`, the way OpenAI names parameters. */
function toParam(path: string): string {
  let out = "";
  for (const part of path.split("/").slice(1)) {
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || "body";
}

/** Names the offending value without echoing text that could be part of a prompt. */
function summarise(value: unknown, param: string): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") {
    const enumLike = /(role|type|model)$/.test(param) && value.length <= 40 && /^[\w./-]*$/.test(value);
    return enumLike ? JSON.stringify(value) : "a string";
  }
  if (typeof value === "object") return "an object";
  return String(value);
}
