// What the providers check in the reasoning a client replays (answered with a 400, in their words): Anthropic's
// signed thinking blocks and tool-use ids, Gemini's thought signatures. Signatures are the simulator's own, bound to
// what they sign, so a block or call changed on the way back fails here as it would upstream.

import { createHash } from "node:crypto";

const digest = (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 32);

/** Opaque like the real one, and valid only for this exact thinking text. */
export function thinkingSignature(thinking: string): string {
  return Buffer.from(`spendex-simulator:thinking:${digest(thinking)}`).toString("base64");
}

/** A Gemini function call's signature, valid only for this call (name and arguments). */
export function callSignature(call: { name?: unknown; args?: unknown }): string {
  return Buffer.from(
    `spendex-simulator:call:${digest(`${String(call.name)}${JSON.stringify(call.args ?? {})}`)}`,
  ).toString("base64");
}

/** Google's documented stand-ins for a signature a history cannot have. */
const GEMINI_DUMMIES = new Set(["skip_thought_signature_validator", "context_engineering_is_the_way_to_go"]);

/** Gemini 3 and later validate the function calls' signatures (2.5 takes calls without them). */
export const geminiValidatesSignatures = (model: string) => /^gemini-([3-9]|[1-9]\d)/.test(model);

interface Block {
  type?: unknown;
  thinking?: unknown;
  signature?: unknown;
  data?: unknown;
  id?: unknown;
}
interface Message {
  role?: unknown;
  content?: unknown;
}

const blocksOf = (content: unknown): Block[] =>
  Array.isArray(content) ? (content as Block[]) : typeof content === "string" ? [{ type: "text" }] : [];
const isThinking = (block: Block | undefined) =>
  block?.type === "thinking" || block?.type === "redacted_thinking";
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;

/**
 * Anthropic: tool_use ids match its pattern; every thinking block's signature matches its text; with thinking on, an
 * open tool loop's assistant turn (from the first assistant message after the last user message that is not only
 * tool results) starts with a thinking block; with thinking off, the last assistant message holds none.
 */
export function anthropicReplayError(messages: Message[], thinking: boolean): string | undefined {
  let lastAssistant = -1;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index] as Message;
    if (message.role !== "assistant") continue;
    lastAssistant = index;
    const blocks = blocksOf(message.content);
    for (let position = 0; position < blocks.length; position++) {
      const block = blocks[position] as Block;
      if (block.type === "tool_use" && !(typeof block.id === "string" && TOOL_ID.test(block.id))) {
        return `messages.${index}.content.${position}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      }
      if (
        block.type === "thinking" &&
        (typeof block.thinking !== "string" || block.signature !== thinkingSignature(block.thinking))
      ) {
        return `messages.${index}.content.${position}: Invalid \`signature\` in \`thinking\` block`;
      }
    }
  }
  if (!thinking) {
    const blocks = blocksOf(messages[lastAssistant]?.content);
    const at = blocks.findIndex(isThinking);
    if (at < 0) return undefined;
    return `messages.${lastAssistant}.content.${at}: When thinking is disabled, an \`assistant\` message in the final position cannot contain \`thinking\`. To use thinking blocks, enable \`thinking\` in your request.`;
  }
  const start = openTurnStart(messages);
  if (start < 0) return undefined;
  const first = blocksOf(messages[start]?.content)[0];
  if (isThinking(first)) return undefined;
  return `messages.${start}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first?.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`;
}

/** The index of the assistant message that opened an unfinished tool loop, or -1. */
function openTurnStart(messages: Message[]): number {
  const onlyResults = (message: Message | undefined) => {
    const blocks = blocksOf(message?.content);
    return blocks.length > 0 && blocks.every((block) => block.type === "tool_result");
  };
  const last = messages[messages.length - 1];
  if (last?.role !== "user" || !blocksOf(last.content).some((block) => block.type === "tool_result"))
    return -1;
  let start = -1;
  for (let index = messages.length - 2; index >= 0; index--) {
    const message = messages[index] as Message;
    if (message.role === "assistant") start = index;
    else if (!onlyResults(message)) break;
  }
  return start;
}

interface Part {
  functionCall?: { name?: unknown; args?: unknown };
  functionResponse?: unknown;
  thoughtSignature?: unknown;
}

/**
 * Gemini: a signature on a function call must be the one issued for it (or a documented stand-in), else
 * "Corrupted"; on Gemini 3, the first call of each model step of the current turn (after the last user content that
 * is not only function responses) must carry one.
 */
export function geminiReplayError(
  contents: Array<{ role?: unknown; parts?: Part[] }>,
  model: string,
): string | undefined {
  let turnStart = 0;
  for (let index = 0; index < contents.length; index++) {
    const content = contents[index] as { role?: unknown; parts?: Part[] };
    const parts = content.parts ?? [];
    if (content.role !== "model") {
      if (parts.some((part) => part.functionResponse === undefined)) turnStart = index + 1;
      continue;
    }
    for (const part of parts) {
      const signature = part.thoughtSignature;
      if (signature === undefined || part.functionCall === undefined) continue;
      if (
        typeof signature !== "string" ||
        (!GEMINI_DUMMIES.has(signature) && signature !== callSignature(part.functionCall))
      )
        return "Corrupted thought signature.";
    }
  }
  if (!geminiValidatesSignatures(model)) return undefined;
  for (let index = turnStart; index < contents.length; index++) {
    const content = contents[index] as { role?: unknown; parts?: Part[] };
    if (content.role !== "model") continue;
    const first = (content.parts ?? []).find((part) => part.functionCall !== undefined);
    if (first !== undefined && first.thoughtSignature === undefined) {
      return `Function call \`${String(first.functionCall?.name)}\` in the \`${index}.\` content block is missing a \`thought_signature\`. Learn more: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures`;
    }
  }
  return undefined;
}
