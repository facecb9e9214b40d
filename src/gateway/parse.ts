// parse: reads the body under the size limit, validates it, and derives what the request needs.

import type { Needs } from "../catalog";
import { invalidRequest, SpendexError } from "../errors";
import { validateChatRequest } from "../openai/schema";
import type { ChatMessage, ChatRequest } from "../openai/types";

export async function readBody(request: Request, limitBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  // With a length, read the text at once: touching `request.body` would allocate a stream for nothing.
  if (!Number.isNaN(declared)) {
    const text = await request.text();
    if (text.length > limitBytes) throw tooLarge(limitBytes);
    return text;
  }
  // No content-length (chunked upload): read with a running cap so a huge body cannot fill memory.
  if (!request.body) return "";
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel();
      throw tooLarge(limitBytes);
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString("utf8");
}

function tooLarge(limitBytes: number): SpendexError {
  return new SpendexError({
    type: "invalid_request_error",
    code: "request_too_large",
    status: 413,
    message: `The request body exceeds the limit of ${limitBytes} bytes.`,
  });
}

/**
 * The deepest `[`/`{` nesting a body may have. Real requests nest a dozen levels (a tool's JSON schema a few dozen);
 * past this, every later step that recurses (JSON.stringify for the token estimate, the upstream body, the captured
 * prompt) could overflow its stack, and an overflow costs ~0.7 s of blocked event loop before it throws.
 */
export const MAX_JSON_DEPTH = 512;

export function parseChatRequest(text: string): ChatRequest {
  return validateChatRequest(parseJsonBody(text, "chat completion"));
}

/** A request body as JSON: refused when empty, nested too deeply or malformed (`what` names the request kind). */
export function parseJsonBody(text: string, what: string): unknown {
  if (text.trim() === "") throw invalidRequest(`The request body is empty; send a JSON ${what} request.`);
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw invalidRequest(`The request body is nested too deeply (more than ${MAX_JSON_DEPTH} levels).`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest("The request body is not valid JSON.", null, "invalid_json");
  }
}

/**
 * Whether a JSON text nests `[`/`{` deeper than `limit`: one linear pass that jumps over string contents with
 * `indexOf` (native, so a 1 MB prompt costs little), counting brackets only outside strings. Malformed text is left
 * for JSON.parse to refuse.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
      if (i < 0) return false;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

/** The index of the quote that closes the string opened at `open`, or -1: a quote after an odd run of backslashes is escaped. */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at > 0) {
    let before = at - 1;
    while (text.charCodeAt(before) === 0x5c) before -= 1;
    if ((at - before) % 2 === 1) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

export interface RequestTraits {
  needs: Needs;
  estimatedPromptTokens: number;
  images: boolean;
  jsonMode: boolean;
  tools: boolean;
}

/** One pass over the messages: rough token estimate (chars / 4) and the capabilities the request needs. */
export function traitsOf(request: ChatRequest): RequestTraits {
  let chars = 0;
  let images = false;
  for (const message of request.messages as ChatMessage[]) {
    const content = message.content;
    if (typeof content === "string") chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part === null || typeof part !== "object") continue;
        if (part.type === "text" && typeof part.text === "string") chars += part.text.length;
        else if (part.type === "image_url") images = true;
      }
    }
    if (message.tool_calls) chars += jsonLength(message.tool_calls);
  }
  if (request.tools) chars += jsonLength(request.tools);
  const estimatedPromptTokens = Math.ceil(chars / 4) + 4 * request.messages.length;
  const maxOutput = request.max_completion_tokens ?? request.max_tokens ?? 0;
  const tools = Array.isArray(request.tools) && request.tools.length > 0;
  const format = request.response_format?.type;
  const jsonMode = format === "json_object" || format === "json_schema";
  return {
    needs: {
      tools,
      vision: images,
      jsonSchema: format === "json_schema",
      contextTokens: estimatedPromptTokens + maxOutput,
    },
    estimatedPromptTokens,
    images,
    jsonMode,
    tools,
  };
}

/**
 * JSON.parse accepts nesting that JSON.stringify overflows its stack on (some 40,000 levels, e.g. in a tool's
 * parameters): that is the client's body, a 400, not an internal error.
 */
function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    throw invalidRequest("The request body is nested too deeply.");
  }
}
