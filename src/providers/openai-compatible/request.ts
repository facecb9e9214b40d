// OpenAI request -> OpenAI-compatible upstream body: the client's body untouched but for `model` and usage.

import type { ChatRequest } from "../../openai/types";
import type { CallOptions } from "../types";

const INCLUDE_USAGE = Object.freeze({ include_usage: true });

/**
 * One shallow copy, no walk over messages. Streams always ask for usage (the gateway prices every request and
 * hides the usage chunk from clients that did not ask); a non-stream call never carries `stream: true`.
 */
export function toOpenAIBody(options: CallOptions, stream: boolean): ChatRequest {
  const request = options.request;
  if (stream) {
    const streamOptions = request.stream_options;
    return {
      ...request,
      model: options.upstreamModel,
      stream: true,
      stream_options:
        streamOptions == null || streamOptions.include_usage === true
          ? INCLUDE_USAGE
          : { ...streamOptions, include_usage: true },
    };
  }
  if (request.stream === true) {
    return { ...request, model: options.upstreamModel, stream: false, stream_options: undefined };
  }
  return { ...request, model: options.upstreamModel };
}
