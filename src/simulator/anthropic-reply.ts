// Anthropic Messages answers: the message body and its SSE event sequence, thinking blocks included.

import type { Frame } from "./exchange";
import { thinkingSignature } from "./replay";
import { estimateTokens, type Plan, splitFragments, splitWords } from "./reply";

export interface AnthropicReply {
  plan: Plan;
  id: string;
  model: string;
  /** The thought of an extended-thinking request; it comes first, as a `thinking` block. */
  thinking?: string;
}

export function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function stopReason(plan: Plan): { stop_reason: string; stop_sequence: string | null } {
  const answer = plan.answer;
  if (answer.kind === "tools") return { stop_reason: "tool_use", stop_sequence: null };
  if (answer.finish === "length") return { stop_reason: "max_tokens", stop_sequence: null };
  if (answer.finish === "content_filter") return { stop_reason: "refusal", stop_sequence: null };
  if (answer.stopSequence !== undefined)
    return { stop_reason: "stop_sequence", stop_sequence: answer.stopSequence };
  return { stop_reason: "end_turn", stop_sequence: null };
}

/** Anthropic's `input_tokens` excludes cache reads (and writes), unlike OpenAI's `prompt_tokens`. */
function inputUsage(plan: Plan) {
  return {
    input_tokens: plan.tokens.prompt - plan.tokens.cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: plan.tokens.cached,
  };
}

/** Thinking is billed as output; `output_tokens_details` says how much of it there was (with thinking only). */
function outputUsage(reply: AnthropicReply) {
  if (reply.thinking === undefined) return { output_tokens: reply.plan.tokens.completion };
  const thinking = estimateTokens(reply.thinking.length);
  return {
    output_tokens: reply.plan.tokens.completion + thinking,
    output_tokens_details: { thinking_tokens: thinking },
  };
}

function toolUseIds(reply: AnthropicReply): string[] {
  const answer = reply.plan.answer;
  return answer.kind === "tools" ? answer.calls.map((_, index) => `toolu_${reply.id.slice(4)}${index}`) : [];
}

/** Opaque, like the real one; clients must send it back unchanged with the thinking block (checked in replay.ts). */
function signature(reply: AnthropicReply): string {
  return thinkingSignature(reply.thinking ?? "");
}

export function message(reply: AnthropicReply) {
  const answer = reply.plan.answer;
  const ids = toolUseIds(reply);
  const content: unknown[] = [];
  if (reply.thinking !== undefined) {
    content.push({ type: "thinking", thinking: reply.thinking, signature: signature(reply) });
  }
  if (answer.kind === "tools") {
    answer.calls.forEach((call, index) => {
      content.push({ type: "tool_use", id: ids[index], name: call.name, input: call.input });
    });
  } else {
    content.push({ type: "text", text: answer.text, citations: null });
  }
  return {
    id: reply.id,
    type: "message",
    role: "assistant",
    model: reply.model,
    content,
    ...stopReason(reply.plan),
    usage: {
      ...inputUsage(reply.plan),
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      ...outputUsage(reply),
      service_tier: "standard",
    },
  };
}

export function streamFrames(reply: AnthropicReply): Frame[] {
  const { plan } = reply;
  const frames: Frame[] = [];
  const push = (name: string, data: unknown, content = false) =>
    frames.push({ data: event(name, data), content });
  const delta = (index: number, value: unknown, content: boolean) =>
    push("content_block_delta", { type: "content_block_delta", index, delta: value }, content);
  push("message_start", {
    type: "message_start",
    message: {
      id: reply.id,
      type: "message",
      role: "assistant",
      model: reply.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage(plan), output_tokens: 1, service_tier: "standard" },
    },
  });
  let index = 0;
  if (reply.thinking !== undefined) {
    push("content_block_start", {
      type: "content_block_start",
      index,
      content_block: { type: "thinking", thinking: "", signature: "" },
    });
    push("ping", { type: "ping" });
    for (const thinking of splitWords(reply.thinking))
      delta(index, { type: "thinking_delta", thinking }, true);
    delta(index, { type: "signature_delta", signature: signature(reply) }, false);
    push("content_block_stop", { type: "content_block_stop", index });
    index++;
  }
  const answer = plan.answer;
  if (answer.kind === "tools") {
    const ids = toolUseIds(reply);
    answer.calls.forEach((call, position) => {
      const block = { type: "tool_use", id: ids[position], name: call.name, input: {} };
      push("content_block_start", { type: "content_block_start", index, content_block: block });
      if (index === 0) push("ping", { type: "ping" });
      // Anthropic opens each tool input with an empty fragment, then streams the JSON in pieces.
      for (const partial_json of ["", ...splitFragments(call.arguments)]) {
        delta(index, { type: "input_json_delta", partial_json }, partial_json !== "");
      }
      push("content_block_stop", { type: "content_block_stop", index });
      index++;
    });
  } else {
    push("content_block_start", {
      type: "content_block_start",
      index,
      content_block: { type: "text", text: "" },
    });
    if (index === 0) push("ping", { type: "ping" });
    if (answer.text !== "") {
      for (const text of splitWords(answer.text)) delta(index, { type: "text_delta", text }, true);
    }
    push("content_block_stop", { type: "content_block_stop", index });
  }
  push("message_delta", {
    type: "message_delta",
    delta: { ...stopReason(plan) },
    usage: { ...inputUsage(plan), ...outputUsage(reply) },
  });
  push("message_stop", { type: "message_stop" });
  return frames;
}
