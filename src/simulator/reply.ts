// Deterministic answers: the format-neutral conversation each format parses into, and the answer it gets back.

/** What every format's request boils down to, as far as choosing an answer goes. */
export interface Conversation {
  /** Whether the last turn is a user message, a tool result, or something else (e.g. an assistant prefill). */
  lastTurn: "user" | "tool" | "other";
  /** The last user text, or the last tool result's text. */
  lastText: string;
  /** Total characters of all message text (system, turns, tool calls and results), for the token estimate. */
  promptChars: number;
  tools: ToolSpec[];
  /** `none`: tools must not be called; `any`: a call is required; a name: call that tool. */
  toolChoice: "auto" | "none" | "any" | { name: string };
  /** JSON mode; `schema` when the request gave one. */
  json?: { schema?: JsonSchema };
  stop: string[];
  maxTokens?: number;
}

export interface ToolSpec {
  name: string;
  parameters?: JsonSchema;
}

export type JsonSchema = { [key: string]: unknown };

/** The per-request `x-sim-*` controls that shape the answer. */
export interface AnswerControls {
  reply?: string;
  toolCalls?: number;
  cachedTokens?: number;
  finish?: "stop" | "length" | "content_filter";
}

export interface PlannedToolCall {
  name: string;
  /** The arguments as a JSON string, as OpenAI sends them. */
  arguments: string;
  input: unknown;
}

export type Answer =
  | { kind: "text"; text: string; finish: "stop" | "length" | "content_filter"; stopSequence?: string }
  | { kind: "tools"; calls: PlannedToolCall[] };

export interface Tokens {
  prompt: number;
  cached: number;
  completion: number;
}

export interface Plan {
  answer: Answer;
  tokens: Tokens;
}

/** The token estimate used everywhere: about four characters a token, at least one. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

const REPLY_WORDS = 8;

function firstWords(text: string, count: number): string {
  // Only the head of the text matters: keeps long prompts from costing a full split on every request.
  return text
    .slice(0, 40 * count)
    .trim()
    .split(/\s+/, count)
    .join(" ");
}

/** Decides the answer to a conversation: tool calls, JSON, or text truncated by stop sequences and max tokens. */
export function planAnswer(conversation: Conversation, controls: AnswerControls): Plan {
  const prompt = estimateTokens(conversation.promptChars);
  const cached = Math.min(prompt, Math.max(0, controls.cachedTokens ?? 0));
  const calls = planToolCalls(conversation, controls);
  if (calls) {
    const chars = calls.reduce((sum, call) => sum + call.name.length + call.arguments.length, 0);
    return {
      answer: { kind: "tools", calls },
      tokens: { prompt, cached, completion: estimateTokens(chars) },
    };
  }
  let text = controls.reply ?? defaultText(conversation);
  let finish: "stop" | "length" | "content_filter" = "stop";
  let stopSequence: string | undefined;
  const stopAt = firstStop(text, conversation.stop);
  if (stopAt) {
    text = text.slice(0, stopAt.index);
    stopSequence = stopAt.sequence;
  }
  const maxTokens = conversation.maxTokens;
  if (maxTokens !== undefined && maxTokens > 0 && estimateTokens(text.length) > maxTokens) {
    text = text.slice(0, maxTokens * 4);
    finish = "length";
    stopSequence = undefined;
  }
  if (controls.finish) finish = controls.finish;
  const answer: Answer = { kind: "text", text, finish };
  if (stopSequence !== undefined && finish === "stop") answer.stopSequence = stopSequence;
  return { answer, tokens: { prompt, cached, completion: estimateTokens(text.length) } };
}

function defaultText(conversation: Conversation): string {
  if (conversation.json) {
    if (conversation.json.schema) return JSON.stringify(valueFromSchema(conversation.json.schema));
    return JSON.stringify({ reply: `Simulated reply to: ${firstWords(conversation.lastText, REPLY_WORDS)}` });
  }
  if (conversation.lastTurn === "tool") {
    return `Simulated answer using the tool result: ${firstWords(conversation.lastText, REPLY_WORDS)}`;
  }
  return `Simulated reply to: ${firstWords(conversation.lastText, REPLY_WORDS)}`;
}

function firstStop(text: string, stops: string[]): { index: number; sequence: string } | undefined {
  let best: { index: number; sequence: string } | undefined;
  for (const sequence of stops) {
    if (sequence === "") continue;
    const index = text.indexOf(sequence);
    if (index >= 0 && (!best || index < best.index)) best = { index, sequence };
  }
  return best;
}

function planToolCalls(conversation: Conversation, controls: AnswerControls): PlannedToolCall[] | undefined {
  const { tools, toolChoice } = conversation;
  if (tools.length === 0 || toolChoice === "none" || conversation.lastTurn !== "user") return undefined;
  const forced =
    typeof toolChoice === "object" ? tools.find((tool) => tool.name === toolChoice.name) : undefined;
  const count = Math.max(1, controls.toolCalls ?? 1);
  const calls: PlannedToolCall[] = [];
  for (let index = 0; index < count; index++) {
    // Several calls go round the offered tools, so parallel calls to different tools can be tested.
    const tool = forced ?? tools[index % tools.length]!;
    const input = tool.parameters ? valueFromSchema(tool.parameters) : {};
    calls.push({ name: tool.name, arguments: JSON.stringify(input), input });
  }
  return calls;
}

/** A value that satisfies a JSON schema: required properties filled ("sim", 1, true, ...), recursively. */
export function valueFromSchema(schema: JsonSchema, depth = 0): unknown {
  if (depth > 8) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(variants) && variants[0]) return valueFromSchema(variants[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (typeof type === "string" ? type.toLowerCase() : schema.properties ? "object" : "string") {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = Array.isArray(schema.required)
        ? (schema.required as string[])
        : Object.keys(properties);
      const result: Record<string, unknown> = {};
      for (const name of required) result[name] = valueFromSchema(properties[name] ?? {}, depth + 1);
      return result;
    }
    case "array":
      return [valueFromSchema((schema.items ?? {}) as JsonSchema, depth + 1)];
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return "sim";
  }
}

/** Splits text into stream pieces of one word each, keeping the spaces, so joining them restores the text. */
export function splitWords(text: string): string[] {
  const pieces = text.match(/\s*\S+|\s+$/g);
  return pieces && pieces.length > 0 ? pieces : [text];
}

/** Splits a JSON argument string into small fragments, as providers stream tool arguments. */
export function splitFragments(text: string, size = 8): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/** Text of a content value that is a string or an array of parts with `text`. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    let text = "";
    for (const part of content) {
      if (part && typeof part === "object") {
        const value =
          (part as { text?: unknown; content?: unknown }).text ?? (part as { content?: unknown }).content;
        if (typeof value === "string") text += (text ? " " : "") + value;
        else if (Array.isArray(value)) text += (text ? " " : "") + textOf(value);
      }
    }
    return text;
  }
  return "";
}

let sequence = 0;
/** Differs between processes, so ids from two simulator runs do not collide. */
const ID_PREFIX = `sim${Date.now().toString(36)}`;

/** A short unique suffix for ids (`chatcmpl-...`, `msg_...`, `call_...`). */
export function nextId(): string {
  sequence = (sequence + 1) % 0x7fffffff;
  return ID_PREFIX + sequence.toString(36);
}
