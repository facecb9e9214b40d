// OpenAI Chat Completions answers: the chat.completion body and its chunk sequence, tool calls included.

import type { ChatCompletion, ChatCompletionChunk, FinishReason, Usage } from "../openai/types";
import type { Frame } from "./exchange";
import { type Plan, splitFragments, splitWords } from "./reply";

const FINGERPRINT = "fp_spendexsim";

function usage(plan: Plan): Usage {
  const { prompt, cached, completion } = plan.tokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(plan: Plan): FinishReason {
  return plan.answer.kind === "tools" ? "tool_calls" : plan.answer.finish;
}

function toolCallIds(plan: Plan, id: string): string[] {
  return plan.answer.kind === "tools"
    ? plan.answer.calls.map((_, index) => `call_${id.slice(9)}${index}`)
    : [];
}

export function completion(plan: Plan, id: string, created: number, model: string): ChatCompletion {
  const answer = plan.answer;
  const ids = toolCallIds(plan, id);
  const message: ChatCompletion["choices"][number]["message"] =
    answer.kind === "tools"
      ? {
          role: "assistant",
          content: null,
          refusal: null,
          annotations: [],
          tool_calls: answer.calls.map((call, index) => ({
            id: ids[index]!,
            type: "function",
            function: { name: call.name, arguments: call.arguments },
          })),
        }
      : { role: "assistant", content: answer.text, refusal: null, annotations: [] };
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(plan) }],
    usage: usage(plan),
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
  };
}

export function streamFrames(
  plan: Plan,
  id: string,
  created: number,
  model: string,
  includeUsage: boolean,
): Frame[] {
  const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null) => {
    const value: ChatCompletionChunk = {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      service_tier: "default",
      system_fingerprint: FINGERPRINT,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    // OpenAI sends `usage: null` on every chunk only when the client asked for usage.
    if (includeUsage) value.usage = null;
    return `data: ${JSON.stringify(value)}\n\n`;
  };
  const frames: Frame[] = [];
  const answer = plan.answer;
  if (answer.kind === "tools") {
    const ids = toolCallIds(plan, id);
    answer.calls.forEach((call, index) => {
      const start = {
        index,
        id: ids[index]!,
        type: "function" as const,
        function: { name: call.name, arguments: "" },
      };
      // The first delta carries the role together with the first call's header, as OpenAI sends it.
      const delta =
        index === 0
          ? { role: "assistant" as const, content: null, tool_calls: [start] }
          : { tool_calls: [start] };
      frames.push({ data: chunk(delta, null), content: true });
      for (const fragment of splitFragments(call.arguments)) {
        frames.push({
          data: chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }, null),
          content: true,
        });
      }
    });
  } else {
    frames.push({ data: chunk({ role: "assistant", content: "", refusal: null }, null), content: false });
    if (answer.text !== "") {
      for (const piece of splitWords(answer.text))
        frames.push({ data: chunk({ content: piece }, null), content: true });
    }
  }
  frames.push({ data: chunk({}, finishReason(plan)), content: false });
  if (includeUsage) {
    const last: ChatCompletionChunk = {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      service_tier: "default",
      system_fingerprint: FINGERPRINT,
      choices: [],
      usage: usage(plan),
    };
    frames.push({ data: `data: ${JSON.stringify(last)}\n\n`, content: false });
  }
  frames.push({ data: "data: [DONE]\n\n", content: false });
  return frames;
}
