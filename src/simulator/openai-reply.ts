// OpenAI Chat Completions answers: the chat.completion body and its chunk sequence, tool calls included.

import type { ChatCompletion, ChatCompletionChunk, FinishReason, Usage } from "../openai/types";
import type { Frame } from "./exchange";
import { type Plan, splitFragments, splitWords } from "./reply";

const FINGERPRINT = "fp_spendexsim";

/** What the renderers need besides the plan; `choices` is the request's `n`. */
export interface OpenAIReply {
  plan: Plan;
  id: string;
  created: number;
  model: string;
  choices: number;
}

/** Every choice is the same answer, and each is billed. */
function usage({ plan, choices }: OpenAIReply): Usage {
  const { prompt, cached } = plan.tokens;
  const completion = plan.tokens.completion * choices;
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

function toolCallIds({ plan, id }: OpenAIReply, choice: number): string[] {
  const prefix = `call_${id.slice(9)}${choice === 0 ? "" : `c${choice}`}`;
  return plan.answer.kind === "tools" ? plan.answer.calls.map((_, index) => `${prefix}${index}`) : [];
}

function message(reply: OpenAIReply, choice: number): ChatCompletion["choices"][number]["message"] {
  const answer = reply.plan.answer;
  if (answer.kind === "text")
    return { role: "assistant", content: answer.text, refusal: null, annotations: [] };
  const ids = toolCallIds(reply, choice);
  return {
    role: "assistant",
    content: null,
    refusal: null,
    annotations: [],
    tool_calls: answer.calls.map((call, index) => ({
      id: ids[index]!,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    })),
  };
}

export function completion(reply: OpenAIReply): ChatCompletion {
  const finish = finishReason(reply.plan);
  return {
    id: reply.id,
    object: "chat.completion",
    created: reply.created,
    model: reply.model,
    choices: Array.from({ length: reply.choices }, (_, index) => ({
      index,
      message: message(reply, index),
      logprobs: null,
      finish_reason: finish,
    })),
    usage: usage(reply),
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
  };
}

export function streamFrames(reply: OpenAIReply, includeUsage: boolean): Frame[] {
  const base = {
    id: reply.id,
    object: "chat.completion.chunk" as const,
    created: reply.created,
    model: reply.model,
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
  };
  const chunk = (
    choice: number,
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: FinishReason | null,
  ) => {
    const value: ChatCompletionChunk = {
      ...base,
      choices: [{ index: choice, delta, logprobs: null, finish_reason: finish }],
    };
    // OpenAI sends `usage: null` on every chunk only when the client asked for usage.
    if (includeUsage) value.usage = null;
    return `data: ${JSON.stringify(value)}\n\n`;
  };
  const frames: Frame[] = [];
  const answer = reply.plan.answer;
  for (let choice = 0; choice < reply.choices; choice++) {
    if (answer.kind === "tools") {
      const ids = toolCallIds(reply, choice);
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
        frames.push({ data: chunk(choice, delta, null), content: true });
        for (const fragment of splitFragments(call.arguments)) {
          const argumentsDelta = { tool_calls: [{ index, function: { arguments: fragment } }] };
          frames.push({ data: chunk(choice, argumentsDelta, null), content: true });
        }
      });
    } else {
      frames.push({
        data: chunk(choice, { role: "assistant", content: "", refusal: null }, null),
        content: false,
      });
      if (answer.text !== "") {
        for (const piece of splitWords(answer.text))
          frames.push({ data: chunk(choice, { content: piece }, null), content: true });
      }
    }
  }
  for (let choice = 0; choice < reply.choices; choice++) {
    frames.push({ data: chunk(choice, {}, finishReason(reply.plan)), content: false });
  }
  if (includeUsage) {
    const last: ChatCompletionChunk = { ...base, choices: [], usage: usage(reply) };
    frames.push({ data: `data: ${JSON.stringify(last)}\n\n`, content: false });
  }
  frames.push({ data: "data: [DONE]\n\n", content: false });
  return frames;
}
