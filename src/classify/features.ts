// Structural signals of a request (pure): sizes, turns, code, maths, lists, tools, images, JSON mode.

import type { ChatMessage } from "../openai/types";
import type { Signals } from "./types";

/** Above this many estimated tokens a request needs a long-context model: at least `complex`. */
export const LONG_CONTEXT_TOKENS = 7500;
/** Characters per token used for the estimate (English prose averages about four). */
export const CHARS_PER_TOKEN = 4;
/** Per-message overhead of the chat template, in tokens. */
const TOKENS_PER_MESSAGE = 4;

/** Counts taken in one pass over (sampled) text. */
export interface TextCounts {
  chars: number;
  nonSpace: number;
  digits: number;
  upper: number;
  math: number;
  code: number;
  questions: number;
  newlines: number;
  latex: number;
  listItems: number;
  fences: number;
}

export function emptyCounts(): TextCounts {
  return {
    chars: 0,
    nonSpace: 0,
    digits: 0,
    upper: 0,
    math: 0,
    code: 0,
    questions: 0,
    newlines: 0,
    latex: 0,
    listItems: 0,
    fences: 0,
  };
}

/** The text of a message: the string content, or its text parts joined by newlines. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    if (part.type === "text" && typeof part.text === "string")
      text = text ? `${text}\n${part.text}` : part.text;
  }
  return text;
}

export function hasImagePart(message: ChatMessage): boolean {
  return Array.isArray(message.content) && message.content.some((part) => part.type === "image_url");
}

const MATH_ASCII = new Set([43, 42, 47, 94, 61, 60, 62, 36, 37, 124]); // + * / ^ = < > $ % |
const CODE_ASCII = new Set([123, 125, 59, 40, 41, 91, 93, 95, 35, 38, 96]); // { } ; ( ) [ ] _ # & `

/** Adds one text's counts to `counts`. Linear in the text, no regular expressions. */
export function countText(text: string, counts: TextCounts): void {
  let lineStart = true;
  counts.chars += text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) {
      counts.newlines++;
      lineStart = true;
      continue;
    }
    if (code === 32 || code === 9 || code === 13) continue;
    counts.nonSpace++;
    if (lineStart) {
      lineStart = false;
      if (isListMarker(text, i)) counts.listItems++;
    }
    if (code >= 48 && code <= 57) counts.digits++;
    else if (code >= 65 && code <= 90) counts.upper++;
    else if (code === 63) counts.questions++;
    else if (code === 92) {
      const next = text.charCodeAt(i + 1) | 32;
      if (next >= 97 && next <= 122) counts.latex++;
      counts.math++;
    } else if (code === 96 && text.charCodeAt(i + 1) === 96 && text.charCodeAt(i + 2) === 96) {
      counts.fences++;
      counts.code += 3;
      i += 2;
    } else if (
      MATH_ASCII.has(code) ||
      (code >= 0x2200 && code <= 0x22ff) ||
      (code >= 0x0391 && code <= 0x03c9)
    ) {
      counts.math++;
    } else if (CODE_ASCII.has(code)) counts.code++;
  }
}

/** `- `, `* `, `• `, `1. `, `1) `, `a) ` at the start of a line. */
function isListMarker(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  const next = text.charCodeAt(index + 1);
  if ((code === 45 || code === 42 || code === 0x2022) && next === 32) return true;
  let end = index;
  while (end < text.length && end - index < 3) {
    const c = text.charCodeAt(end);
    if (!((c >= 48 && c <= 57) || (end === index && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90))))) break;
    end++;
  }
  if (end === index) return false;
  const marker = text.charCodeAt(end);
  return (marker === 46 || marker === 41) && text.charCodeAt(end + 1) === 32;
}

/** Sizes of the whole conversation (not sampled). */
export interface ConversationShape {
  totalChars: number;
  systemChars: number;
  lastUserChars: number;
  turns: number;
  userTurns: number;
  messages: number;
  images: boolean;
}

export function conversationShape(
  messages: readonly ChatMessage[],
  texts: readonly string[],
): ConversationShape {
  const shape: ConversationShape = {
    totalChars: 0,
    systemChars: 0,
    lastUserChars: 0,
    turns: 0,
    userTurns: 0,
    messages: messages.length,
    images: false,
  };
  messages.forEach((message, index) => {
    const length = texts[index]?.length ?? 0;
    shape.totalChars += length;
    if (hasImagePart(message)) shape.images = true;
    if (message.role === "system" || message.role === "developer") {
      shape.systemChars += length;
      return;
    }
    shape.turns++;
    if (message.role === "user") {
      shape.userTurns++;
      shape.lastUserChars = length;
    }
  });
  return shape;
}

export function estimateTokens(totalChars: number, messages: number): number {
  return Math.ceil(totalChars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * messages;
}

export interface SignalInput {
  shape: ConversationShape;
  counts: TextCounts;
  tokens: number;
  codeTokens: number;
  lastUserTokens: number;
  sampled: boolean;
  tools: boolean;
  images: boolean;
  jsonMode: boolean;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const round = (value: number) => Math.round(value * 10000) / 10000;

export function buildSignals(input: SignalInput): Signals {
  const { shape, counts } = input;
  const estimatedTokens = estimateTokens(shape.totalChars, shape.messages);
  return {
    estimatedTokens,
    turns: shape.turns,
    userTurns: shape.userTurns,
    systemChars: shape.systemChars,
    lastUserChars: shape.lastUserChars,
    codeFences: counts.fences,
    codeTokenRatio: round(ratio(input.codeTokens, input.tokens)),
    mathDensity: round(ratio(counts.math, counts.nonSpace)),
    digitRatio: round(ratio(counts.digits, counts.nonSpace)),
    questions: counts.questions,
    listItems: counts.listItems,
    tools: input.tools,
    images: input.images || shape.images,
    jsonMode: input.jsonMode,
    newlines: counts.newlines,
    upperRatio: round(ratio(counts.upper, counts.nonSpace)),
    latexCommands: counts.latex,
    lastUserTokens: input.lastUserTokens,
    sampled: input.sampled,
  };
}

/** Names of the structural vector's entries, in order (the model card lists them). */
export const STRUCT_NAMES = [
  "log_estimated_tokens",
  "log_last_user_chars",
  "log_system_chars",
  "log_turns",
  "user_turns",
  "multi_turn",
  "log_code_fences",
  "code_token_ratio",
  "math_density",
  "digit_ratio",
  "log_questions",
  "log_list_items",
  "tools",
  "images",
  "json_mode",
  "log_newlines",
  "upper_ratio",
  "log_latex_commands",
  "log_last_user_tokens",
  "long_context",
  "last_user_share",
] as const;

export const STRUCT_SIZE = STRUCT_NAMES.length;

const num = (value: unknown) => (typeof value === "number" ? value : 0);

/** The signals as the model's structural input (log-scaled counts, flags as 0/1). */
export function structVector(signals: Signals, totalChars: number): Float32Array {
  const flag = (value: boolean) => (value ? 1 : 0);
  return Float32Array.from([
    Math.log1p(signals.estimatedTokens),
    Math.log1p(signals.lastUserChars),
    Math.log1p(signals.systemChars),
    Math.log1p(signals.turns),
    Math.min(signals.userTurns, 10),
    flag(signals.turns > 1),
    Math.log1p(signals.codeFences),
    signals.codeTokenRatio,
    signals.mathDensity,
    signals.digitRatio,
    Math.log1p(signals.questions),
    Math.log1p(signals.listItems),
    flag(signals.tools),
    flag(signals.images),
    flag(signals.jsonMode),
    Math.log1p(num(signals.newlines)),
    num(signals.upperRatio),
    Math.log1p(num(signals.latexCommands)),
    Math.log1p(num(signals.lastUserTokens)),
    flag(signals.estimatedTokens >= LONG_CONTEXT_TOKENS),
    ratio(signals.lastUserChars, totalChars),
  ]);
}
