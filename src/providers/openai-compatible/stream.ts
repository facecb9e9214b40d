// OpenAI-format SSE events -> chunks, passed through as parsed; usage split into its own final chunk.

import type { EventSourceMessage } from "eventsource-parser";
import type { TokenCounts } from "../../catalog/types";
import type { ChatCompletionChunk, FinishReason, Usage } from "../../openai/types";
import type { ChunkSink, StreamTranslator } from "../core/sse";
import { openAIError } from "./errors";
import { type ContentRewrite, type FinishRewrite, tokensFromUsage } from "./response";
import { ToolCallIndexes } from "./tool-index";

type RawChunk = ChatCompletionChunk & { error?: unknown; x_groq?: { usage?: Usage | null } | null };

export class OpenAIStreamTranslator implements StreamTranslator {
  private usage: Usage | undefined;
  /** Groq's own usage (`x_groq.usage` on the finish chunk): reported only if no standard usage chunk follows. */
  private groqUsage: Usage | undefined;
  private last: ChatCompletionChunk | undefined;
  private finished = false;
  private readonly toolIndexes = new ToolCallIndexes();

  constructor(
    private readonly provider: string,
    private readonly apiKey: string,
    /** A dialect's rewrite of each delta (Mistral's content chunks); OpenAI's own deltas pass as parsed. */
    private readonly delta?: ContentRewrite,
    /** A dialect's finish reasons (Mistral's `model_length`, `error`); OpenAI's own pass as sent. */
    private readonly finish?: FinishRewrite,
  ) {}

  event(message: EventSourceMessage, out: ChunkSink): boolean {
    const data = message.data;
    if (data === "[DONE]") {
      this.groqFallback(out);
      return true;
    }
    const chunk = JSON.parse(data) as RawChunk;
    if (chunk.error !== undefined || !Array.isArray(chunk.choices)) {
      // A mid-stream error object has no HTTP status; treat it as a server failure unless it says otherwise.
      // Mistral's is flat ({object: "error", message, type}); anything else without choices is no chunk either.
      const error = chunk.error ?? chunk;
      const status = typeof error === "object" && error !== null ? errorStatus(error) : 500;
      throw openAIError({ provider: this.provider, apiKey: this.apiKey, status, body: chunk });
    }
    for (const choice of chunk.choices) {
      // Ollama once sent `finish_reason: ""` on every content chunk: no finish, or a cut stream would look whole.
      if ((choice.finish_reason as string) === "") choice.finish_reason = null;
      if (choice.finish_reason != null) {
        if (this.finish !== undefined) {
          const reason = this.finish(choice.finish_reason, this.provider);
          choice.finish_reason = reason as FinishReason;
        }
        this.finished = true;
      }
      // Some compatible servers send `delta: null` (or none) on a bookkeeping chunk; OpenAI's is always an object.
      if (choice.delta == null) choice.delta = {};
      else {
        if (this.delta !== undefined) this.delta(choice.delta, this.provider);
        this.toolIndexes.fill(choice.index, choice.delta);
      }
    }
    this.last = chunk;
    const groqUsage = chunk.x_groq?.usage;
    if (groqUsage != null) this.groqUsage = groqUsage;
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
   * answer has finished the client has all of it: a server that ignores `include_usage` sends no usage to wait for
   * (the gateway estimates it; ik_llama.cpp sends neither). A body ending before the finish was cut.
   */
  end(out: ChunkSink): boolean {
    if (this.finished) this.groqFallback(out);
    return this.finished;
  }

  tokens(): TokenCounts | undefined {
    const usage = this.usage ?? this.groqUsage;
    return usage === undefined ? undefined : tokensFromUsage(usage);
  }

  /** Groq without `include_usage` support reports usage only in `x_groq`: it becomes the usage chunk. */
  private groqFallback(out: ChunkSink): void {
    if (this.usage !== undefined || this.groqUsage === undefined || this.last === undefined) return;
    this.usage = this.groqUsage;
    const { id, object, created, model } = this.last;
    out.enqueue({ id, object, created, model, choices: [], usage: this.groqUsage });
  }
}

function errorStatus(error: object): number {
  // OpenRouter and vLLM put the HTTP status the error would have had in a numeric `code`.
  const code = (error as { code?: unknown }).code;
  if (typeof code === "number" && Number.isInteger(code) && code >= 400 && code <= 599) return code;
  const type = (error as { type?: unknown }).type;
  if (type === "invalid_request_error") return 400;
  if (type === "rate_limit_error" || type === "rate_limit_exceeded") return 429;
  return 500;
}
