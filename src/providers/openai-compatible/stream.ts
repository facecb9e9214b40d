// OpenAI-format SSE events -> chunks, passed through as parsed; usage split into its own final chunk.

import type { EventSourceMessage } from "eventsource-parser";
import type { TokenCounts } from "../../catalog/types";
import type { ChatCompletionChunk, Usage } from "../../openai/types";
import type { ChunkSink, StreamTranslator } from "../core/sse";
import { openAIError } from "./errors";
import { type ContentRewrite, tokensFromUsage } from "./response";

export class OpenAIStreamTranslator implements StreamTranslator {
  private usage: Usage | undefined;
  private finished = false;

  constructor(
    private readonly provider: string,
    private readonly apiKey: string,
    /** A dialect's rewrite of each delta (Mistral's content chunks); OpenAI's own deltas pass as parsed. */
    private readonly delta?: ContentRewrite,
  ) {}

  event(message: EventSourceMessage, out: ChunkSink): boolean {
    const data = message.data;
    if (data === "[DONE]") return true;
    const chunk = JSON.parse(data) as ChatCompletionChunk & { error?: unknown };
    if (chunk.error !== undefined || !Array.isArray(chunk.choices)) {
      // A mid-stream error object has no HTTP status; treat it as a server failure unless it says otherwise.
      // Mistral's is flat ({object: "error", message, type}); anything else without choices is no chunk either.
      const error = chunk.error ?? chunk;
      const status = typeof error === "object" && error !== null ? errorStatus(error) : 500;
      throw openAIError({ provider: this.provider, apiKey: this.apiKey, status, body: chunk });
    }
    for (const choice of chunk.choices) {
      if (choice.finish_reason != null) this.finished = true;
      // Some compatible servers send `delta: null` (or none) on a bookkeeping chunk; OpenAI's is always an object.
      if (choice.delta == null) choice.delta = {};
      else if (this.delta !== undefined) this.delta(choice.delta, this.provider);
    }
    const usage = chunk.usage;
    if (usage != null) {
      this.usage = usage;
      // Mistral and some compatible servers put usage on the last content chunk; the gateway expects it alone.
      if (chunk.choices.length > 0) {
        const { usage: _, ...content } = chunk;
        out.enqueue(content as ChatCompletionChunk);
        out.enqueue({
          id: chunk.id,
          object: chunk.object,
          created: chunk.created,
          model: chunk.model,
          choices: [],
          usage,
        });
        return false;
      }
    }
    out.enqueue(chunk);
    return false;
  }

  /**
   * Every OpenAI-format stream should end with `[DONE]`, but some compatible servers just close the body. Once the
   * answer has finished and its usage has arrived nothing is missing; a body ending before either was cut.
   */
  end(): boolean {
    return this.finished && this.usage !== undefined;
  }

  tokens(): TokenCounts | undefined {
    return this.usage === undefined ? undefined : tokensFromUsage(this.usage);
  }
}

function errorStatus(error: object): number {
  const type = (error as { type?: unknown }).type;
  if (type === "invalid_request_error") return 400;
  if (type === "rate_limit_error" || type === "rate_limit_exceeded") return 429;
  return 500;
}
