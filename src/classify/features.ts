// Structural signals of a request (pure): sizes, turns, code, maths, lists, tools, images, JSON mode.

import type { ChatMessage } from "../openai/types";
import type { TextCounts } from "./text-counts";
import type { Signals } from "./types";

/** Above this many estimated tokens a request needs a long-context model: at least `complex`. */
export const LONG_CONTEXT_TOKENS = 7500;
/** Characters per token used for the estimate (English prose averages about four). */
export const CHARS_PER_TOKEN = 4;
/** Per-message overhead of the chat template, in tokens. */
const TOKENS_PER_MESSAGE = 4;

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
  /** Counts of the (sampled) last user turn alone. */
  lastCounts: TextCounts;
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
    numbers: counts.numbers,
    sentences: counts.sentences,
    lastUserTokens: input.lastUserTokens,
    lastNumbers: input.lastCounts.numbers,
    lastSentences: input.lastCounts.sentences,
    lastDollars: input.lastCounts.dollars,
    lastLatex: input.lastCounts.latex,
    lastOptions: input.lastCounts.options,
    sampled: input.sampled,
  };
}

/**
 * One-hot bins of the last user turn's numbers, sentences and tokens: the difficulty labels of templated sources
 * (e.g. word problems by their steps) follow these counts in steps, not along one log-linear slope.
 */
const BINS = {
  numbers: [1, 2, 3, 4, 5, 6, 8, 10, 14],
  sentences: [1, 2, 3, 4, 5, 6, 8, 12],
  tokens: [8, 16, 32, 48, 64, 96, 128, 256, 512],
} as const;

const binNames = (name: string, edges: readonly number[]) =>
  Array.from({ length: edges.length + 1 }, (_, k) =>
    k === 0 ? `last_${name}<${edges[0]}` : `last_${name}>=${edges[k - 1]}`,
  );

function binIndex(value: number, edges: readonly number[]): number {
  let k = 0;
  while (k < edges.length && value >= (edges[k] as number)) k++;
  return k;
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
  "log_numbers",
  "log_sentences",
  "log_tokens_per_sentence",
  "log_last_numbers",
  "log_last_sentences",
  "log_last_dollars",
  "log_last_latex",
  "log_last_options",
  ...binNames("numbers", BINS.numbers),
  ...binNames("sentences", BINS.sentences),
  ...binNames("tokens", BINS.tokens),
];

export const STRUCT_SIZE = STRUCT_NAMES.length;
/** Where the one-hot bins start in the structural vector. */
const BINNED_FROM = STRUCT_NAMES.indexOf("last_numbers<1");

const num = (value: unknown) => (typeof value === "number" ? value : 0);

/** The signals as the model's structural input (log-scaled counts, flags as 0/1, one-hot bins). */
export function structVector(signals: Signals, totalChars: number): Float32Array {
  const flag = (value: boolean) => (value ? 1 : 0);
  const out = new Float32Array(STRUCT_SIZE);
  out.set([
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
    Math.log1p(num(signals.numbers)),
    Math.log1p(num(signals.sentences)),
    Math.log1p(num(signals.lastUserTokens) / Math.max(1, num(signals.sentences))),
    Math.log1p(num(signals.lastNumbers)),
    Math.log1p(num(signals.lastSentences)),
    Math.log1p(num(signals.lastDollars)),
    Math.log1p(num(signals.lastLatex)),
    Math.log1p(num(signals.lastOptions)),
  ]);
  let at = BINNED_FROM;
  out[at + binIndex(num(signals.lastNumbers), BINS.numbers)] = 1;
  at += BINS.numbers.length + 1;
  out[at + binIndex(num(signals.lastSentences), BINS.sentences)] = 1;
  at += BINS.sentences.length + 1;
  out[at + binIndex(num(signals.lastUserTokens), BINS.tokens)] = 1;
  return out;
}
