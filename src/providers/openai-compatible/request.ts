// OpenAI request -> OpenAI-compatible upstream body: the client's body untouched but for `model` and usage.

import type { ChatRequest } from "../../openai/types";
import { carriesForeignReasoning, withoutForeignReasoning } from "../core/reasoning";
import type { CallOptions } from "../types";

const INCLUDE_USAGE = Object.freeze({ include_usage: true });

/**
 * One shallow copy. Streams always ask for usage (the gateway prices every request and hides the usage chunk from
 * clients that did not ask); a non-stream call never carries `stream: true`. Messages are copied only when they carry
 * Anthropic's or Gemini's reasoning fields (`thinking_blocks`, `provider_specific_fields`, signed tool-call ids),
 * which mean nothing here and which strict servers refuse (a request that failed over); finding none costs a
 * property check per message.
 */
export function toOpenAIBody(options: CallOptions, stream: boolean): ChatRequest {
  const request = options.request;
  const messages = carriesForeignReasoning(request.messages)
    ? withoutForeignReasoning(request.messages)
    : request.messages;
  if (stream) {
    const streamOptions = request.stream_options;
    return {
      ...request,
      messages,
      model: options.upstreamModel,
      stream: true,
      stream_options:
        streamOptions == null || streamOptions.include_usage === true
          ? INCLUDE_USAGE
          : { ...streamOptions, include_usage: true },
    };
  }
  if (request.stream === true) {
    return { ...request, messages, model: options.upstreamModel, stream: false, stream_options: undefined };
  }
  return { ...request, messages, model: options.upstreamModel };
}
