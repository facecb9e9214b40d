// OpenAI request -> Gemini generateContent body: contents/parts, systemInstruction, tools and generationConfig.

import { UnsupportedError } from "../../errors";
import type { ChatMessage, ContentPart, FunctionTool, ImagePart } from "../../openai/types";
import { isHttpUrl, parseArguments, parseDataUrl, refuseName, textContent } from "../core/content";
import { signatureOf } from "../core/reasoning";
import type { CallOptions } from "../types";
import { applyParams, PROVIDER } from "./params";
import { toGeminiSchema } from "./schema";

type Part = Record<string, unknown>;
interface Content {
  role: "user" | "model";
  parts: Part[];
}

export function toGeminiBody(options: CallOptions): Record<string, unknown> {
  const request = options.request;
  const { systemInstruction, contents } = toGeminiContents(request.messages, options.upstreamModel);
  const body: Record<string, unknown> = { contents };
  if (systemInstruction !== undefined) body.systemInstruction = systemInstruction;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = [{ functionDeclarations: request.tools.map(toFunctionDeclaration) }];
  }
  const generation: Record<string, unknown> = {};
  // Gemini refuses a maxOutputTokens above the model's limit: capped, as on Anthropic.
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) generation.maxOutputTokens = Math.min(maxTokens, options.defaultMaxTokens);
  applyParams(request, body, generation);
  for (const _ in generation) {
    body.generationConfig = generation;
    break;
  }
  return body;
}

export function toFunctionDeclaration(tool: FunctionTool, index: number): Record<string, unknown> {
  if (tool.type !== "function") {
    throw new UnsupportedError(
      PROVIDER,
      `tools[${index}].type`,
      `'${String(tool.type)}' tools are not supported`,
    );
  }
  const declaration: Record<string, unknown> = { name: tool.function.name };
  if (tool.function.description !== undefined) declaration.description = tool.function.description;
  const parameters = tool.function.parameters;
  // Gemini rejects an object schema without properties; a function without parameters (absent or null, as some
  // clients send) simply omits them.
  if (parameters != null && Object.keys((parameters.properties as object | undefined) ?? {}).length > 0) {
    declaration.parameters = toGeminiSchema(parameters);
  }
  return declaration;
}

/**
 * System and developer messages become `systemInstruction`; assistant turns are `model`; tool results are
 * `functionResponse` parts in a user turn, named after the call they answer (Gemini matches by name, OpenAI by
 * id). Consecutive turns of one role are merged. Thought signatures go back on the parts they came with.
 */
export function toGeminiContents(
  messages: ChatMessage[],
  model = "",
): {
  systemInstruction?: { parts: Part[] };
  contents: Content[];
} {
  const contents: Content[] = [];
  const system: Part[] = [];
  const toolNames = new Map<string, string>();
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as ChatMessage;
    const param = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        refuseName(message, param, PROVIDER);
        system.push({ text: textContent(message, `${param}.content`, PROVIDER) });
        break;
      case "user":
        refuseName(message, param, PROVIDER);
        push(contents, "user", userParts(message, param));
        break;
      case "assistant":
        refuseName(message, param, PROVIDER);
        push(contents, "model", modelParts(message, param, toolNames));
        break;
      case "tool":
        push(contents, "user", [functionResponse(message, param, toolNames)]);
        break;
      default:
        throw new UnsupportedError(PROVIDER, `${param}.role`, `role '${message.role}' is not supported`);
    }
  }
  if (VALIDATES_SIGNATURES.test(model)) signCurrentTurn(contents);
  return system.length > 0 ? { systemInstruction: { parts: system }, contents } : { contents };
}

/** Gemini 3 and later refuse (400) a function call of the current turn that lacks its thought signature. */
const VALIDATES_SIGNATURES = /^(models\/)?gemini-([3-9]|[1-9]\d)/;
/** Google's documented stand-in for a signature the history cannot have (calls another model or a client made). */
export const DUMMY_SIGNATURE = "skip_thought_signature_validator";

/**
 * The current turn starts after the last user content that is not only function responses; the first function call
 * of each model step in it must be signed. A client that dropped the signature with the unknown fields and rebuilt
 * the id, or a history that failed over from another provider, gets Google's stand-in instead of a 400: the step
 * runs without the earlier reasoning, as on Gemini 2.5 (decision 0004).
 */
function signCurrentTurn(contents: Content[]): void {
  let start = contents.length - 1;
  for (; start >= 0; start--) {
    const content = contents[start] as Content;
    if (content.role === "user" && content.parts.some((part) => part.functionResponse === undefined)) break;
  }
  for (let i = start + 1; i < contents.length; i++) {
    const content = contents[i] as Content;
    if (content.role !== "model") continue;
    const first = content.parts.find((part) => part.functionCall !== undefined);
    if (first !== undefined && first.thoughtSignature === undefined) first.thoughtSignature = DUMMY_SIGNATURE;
  }
}

function push(contents: Content[], role: Content["role"], parts: Part[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last !== undefined && last.role === role) {
    for (const part of parts) last.parts.push(part);
  } else {
    contents.push({ role, parts });
  }
}

function userParts(message: ChatMessage, param: string): Part[] {
  const content = message.content;
  if (content == null) return [];
  if (typeof content === "string") return [{ text: content }];
  const parts: Part[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j] as ContentPart;
    if (part.type === "text") parts.push({ text: (part as { text: string }).text });
    else if (part.type === "image_url")
      parts.push(imagePart(part as ImagePart, `${param}.content[${j}].image_url`));
    else {
      throw new UnsupportedError(
        PROVIDER,
        `${param}.content[${j}].type`,
        `'${part.type}' parts are not supported`,
      );
    }
  }
  return parts;
}

/**
 * Inline data only. Gemini's fileData takes Files API or Cloud Storage URIs, not arbitrary web URLs, and fetching
 * the image ourselves would put a download on the request path: an http(s) image is refused.
 */
export function imagePart(part: ImagePart, param: string): Part {
  const url = part.image_url?.url ?? "";
  const inline = parseDataUrl(url);
  if (inline !== undefined) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
  const detail = isHttpUrl(url)
    ? "image URLs are not fetched: send the image as a base64 data URL"
    : "images must be base64 data URLs";
  throw new UnsupportedError(PROVIDER, param, detail);
}

function modelParts(message: ChatMessage, param: string, toolNames: Map<string, string>): Part[] {
  const parts: Part[] = [];
  const text = textContent(message, `${param}.content`, PROVIDER);
  if (text !== "") {
    const signature = textSignature(message);
    parts.push(signature === undefined ? { text } : { text, thoughtSignature: signature });
  }
  const calls = message.tool_calls;
  if (calls != null) {
    for (let j = 0; j < calls.length; j++) {
      const call = calls[j]!;
      toolNames.set(call.id, call.function.name);
      const args = parseArguments(call.function.arguments, `${param}.tool_calls[${j}].function.arguments`);
      const part: Part = { functionCall: { name: call.function.name, args } };
      const signature = signatureOf(call);
      if (signature !== undefined) part.thoughtSignature = signature;
      parts.push(part);
    }
  }
  return parts;
}

/** The signature of an answer's text (LiteLLM's `provider_specific_fields.thought_signatures`): Gemini signs the last part. */
function textSignature(message: ChatMessage): string | undefined {
  const fields = message.provider_specific_fields as { thought_signatures?: unknown } | null | undefined;
  const signatures = fields?.thought_signatures;
  if (!Array.isArray(signatures)) return undefined;
  const last: unknown = signatures[signatures.length - 1];
  return typeof last === "string" && last !== "" ? last : undefined;
}

function functionResponse(message: ChatMessage, param: string, toolNames: Map<string, string>): Part {
  const name = toolNames.get(message.tool_call_id ?? "") ?? message.name;
  if (name == null) {
    throw new UnsupportedError(
      PROVIDER,
      `${param}.tool_call_id`,
      "a tool result must answer a tool call of an earlier assistant message (Gemini needs the function name)",
    );
  }
  const text = textContent(message, `${param}.content`, PROVIDER);
  return { functionResponse: { name, response: toResponseObject(text) } };
}

/** Gemini wants an object: a JSON object result is passed as is, anything else is wrapped. */
function toResponseObject(text: string): Record<string, unknown> {
  if (text.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // not JSON: wrapped below
    }
  }
  return { result: text };
}
