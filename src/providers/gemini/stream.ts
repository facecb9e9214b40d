// Gemini streamGenerateContent (alt=sse) -> OpenAI chunks: each event is a partial response.

import type { EventSourceMessage } from "eventsource-parser";
import type { TokenCounts } from "../../catalog/types";
import type { ChatCompletionChunk, FinishReason, ToolCallDelta } from "../../openai/types";
import type { ChunkSink, StreamTranslator } from "../core/sse";
import { geminiError } from "./errors";
import {
  type GeminiResponse,
  toFinishReason,
  toOpenAIUsage,
  toolCallId,
  toTokenCounts,
  toToolCall,
  type UsageMetadata,
  unusableFinish,
} from "./response";

/**
 * Gemini sends no end marker: the stream is complete when the body ends after a candidate carried a finishReason.
 * Usage metadata is cumulative, so the last one seen wins; it goes out as the final chunk at the end.
 */
export class GeminiStreamTranslator implements StreamTranslator {
  private id = "";
  private model: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;
  private roleSent = false;
  /** Whether answer text or a tool call went out (thought summaries are not an answer). */
  private answered = false;
  private tools = 0;
  private finish: FinishReason | null = null;
  private usage: UsageMetadata | undefined;

  constructor(
    private readonly provider: string,
    private readonly apiKey: string,
    model: string,
  ) {
    this.model = model;
  }

  event(message: EventSourceMessage, out: ChunkSink): boolean {
    const response = JSON.parse(message.data) as GeminiResponse & { error?: unknown };
    // An error can come as a one-element array, as in Google's non-SSE error bodies; no response is an array.
    if (response.error !== undefined || Array.isArray(response)) {
      throw geminiError({ provider: this.provider, apiKey: this.apiKey, status: 0, body: response });
    }
    if (!this.started) {
      this.started = true;
      this.id = response.responseId ?? "";
      if (response.modelVersion) this.model = response.modelVersion;
    }
    if (response.usageMetadata !== undefined) this.usage = response.usageMetadata;
    const candidate = response.candidates?.[0];
    if (candidate === undefined) {
      if (response.promptFeedback?.blockReason !== undefined) this.finishWith(out, "content_filter");
      return false;
    }
    let content: string | undefined;
    let reasoning: string | undefined;
    let calls: ToolCallDelta[] | undefined;
    let signatures: string[] | undefined;
    for (const part of candidate.content?.parts ?? []) {
      if (part.functionCall !== undefined) {
        const index = this.tools++;
        // Calls arrive whole, each in one chunk: the whole call, signature included, goes out at once.
        const call = toToolCall(
          part.functionCall,
          toolCallId(response.responseId ?? this.id, index),
          part.thoughtSignature,
        );
        calls ??= [];
        calls.push({ index, ...call });
      } else if (typeof part.text === "string") {
        if (part.thought === true) {
          if (part.text !== "") reasoning = (reasoning ?? "") + part.text;
        } else {
          if (part.text !== "") content = (content ?? "") + part.text;
          // The signature of an answer without calls may come alone, on a last empty text part.
          if (part.thoughtSignature !== undefined) {
            signatures ??= [];
            signatures.push(part.thoughtSignature);
          }
        }
      }
    }
    if (
      content !== undefined ||
      reasoning !== undefined ||
      calls !== undefined ||
      signatures !== undefined ||
      !this.roleSent
    ) {
      const delta: ChatCompletionChunk["choices"][number]["delta"] = {};
      if (!this.roleSent) {
        delta.role = "assistant";
        this.roleSent = true;
      }
      if (reasoning !== undefined) delta.reasoning_content = reasoning;
      if (content !== undefined) delta.content = content;
      if (calls !== undefined) delta.tool_calls = calls;
      if (signatures !== undefined) delta.provider_specific_fields = { thought_signatures: signatures };
      out.enqueue(this.chunk(delta, null));
    }
    if (content !== undefined || calls !== undefined) this.answered = true;
    if (candidate.finishReason !== undefined) {
      unusableFinish(this.provider, candidate.finishReason, this.answered);
      this.finishWith(out, toFinishReason(candidate.finishReason, this.tools > 0) ?? "stop");
    }
    return false;
  }

  private finishWith(out: ChunkSink, finish: FinishReason): void {
    if (this.finish !== null) return;
    this.finish = finish;
    out.enqueue(this.chunk(this.roleSent ? {} : { role: "assistant" }, finish));
    this.roleSent = true;
  }

  private chunk(delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null) {
    const chunk: ChatCompletionChunk = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
    return chunk;
  }

  end(out: ChunkSink): boolean {
    if (this.finish === null) return false;
    if (this.usage !== undefined) {
      out.enqueue({
        id: this.id,
        object: "chat.completion.chunk",
        created: this.created,
        model: this.model,
        choices: [],
        usage: toOpenAIUsage(this.usage),
      });
    }
    return true;
  }

  tokens(): TokenCounts | undefined {
    return this.usage === undefined ? undefined : toTokenCounts(this.usage);
  }
}
