// Anthropic Messages SSE -> OpenAI chunks: role first, text, thinking (reasoning_content, then each signed block
// whole as thinking_blocks) and tool-call deltas, finish, then the usage chunk.

import type { EventSourceMessage } from "eventsource-parser";
import type { TokenCounts } from "../../catalog/types";
import type { ChatCompletionChunk, FinishReason, ThinkingBlock } from "../../openai/types";
import type { ChunkSink, StreamTranslator } from "../core/sse";
import { anthropicStreamError } from "./errors";
import {
  type AnthropicBlock,
  type AnthropicUsage,
  toFinishReason,
  toOpenAIUsage,
  toTokenCounts,
} from "./response";

interface StreamEvent {
  type: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: AnthropicBlock;
  delta?: {
    type?: string;
    text?: string;
    thinking?: string;
    signature?: string;
    partial_json?: string;
    stop_reason?: string | null;
  };
  usage?: AnthropicUsage;
}

export class AnthropicStreamTranslator implements StreamTranslator {
  private id = "";
  private model = "";
  private readonly created = Math.floor(Date.now() / 1000);
  private usage: AnthropicUsage = {};
  private sawUsage = false;
  /** OpenAI tool-call index of each Anthropic content block index (tool blocks only, counted from 0). */
  private readonly toolIndex: number[] = [];
  private tools = 0;
  private finish: FinishReason | null = null;
  /** The thinking block being streamed (its text and signature gathered), and its content-block index. */
  private thinking: { type: "thinking"; thinking: string; signature: string } | undefined;
  private thinkingIndex = -1;
  /** Complete thinking blocks not yet sent: consecutive ones go out together, in one `thinking_blocks` delta. */
  private blocks: ThinkingBlock[] | undefined;

  constructor(
    private readonly provider: string,
    private readonly apiKey: string,
    private readonly fallbackModel: string,
  ) {}

  private chunk(delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null = null) {
    const chunk: ChatCompletionChunk = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
    return chunk;
  }

  event(message: EventSourceMessage, out: ChunkSink): boolean {
    const event = JSON.parse(message.data) as StreamEvent;
    switch (event.type) {
      case "message_start": {
        this.id = event.message?.id ?? "";
        this.model = event.message?.model ?? this.fallbackModel;
        this.addUsage(event.message?.usage);
        out.enqueue(this.chunk({ role: "assistant", content: "" }));
        return false;
      }
      case "content_block_start": {
        const block = event.content_block;
        if (block?.type === "thinking") {
          this.thinking = {
            type: "thinking",
            thinking: block.thinking ?? "",
            signature: block.signature ?? "",
          };
          this.thinkingIndex = event.index ?? 0;
        } else if (block?.type === "redacted_thinking") {
          this.blocks ??= [];
          this.blocks.push({ type: "redacted_thinking", data: block.data ?? "" });
        } else if (this.blocks !== undefined) this.flushThinking(out);
        if (block?.type === "tool_use") {
          const index = this.tools++;
          this.toolIndex[event.index ?? 0] = index;
          out.enqueue(
            this.chunk({
              tool_calls: [
                { index, id: block.id, type: "function", function: { name: block.name, arguments: "" } },
              ],
            }),
          );
        } else if (block?.type === "text" && block.text) {
          out.enqueue(this.chunk({ content: block.text }));
        } else if (block?.type === "thinking" && block.thinking) {
          out.enqueue(this.chunk({ reasoning_content: block.thinking }));
        }
        return false;
      }
      case "content_block_delta": {
        const delta = event.delta;
        if (delta?.type === "text_delta" && delta.text) {
          out.enqueue(this.chunk({ content: delta.text }));
        } else if (delta?.type === "thinking_delta" && delta.thinking) {
          if (this.thinking !== undefined) this.thinking.thinking += delta.thinking;
          out.enqueue(this.chunk({ reasoning_content: delta.thinking }));
        } else if (delta?.type === "input_json_delta" && delta.partial_json) {
          // Only a client tool's input: a server tool's (server_tool_use: web search, code execution) runs upstream.
          const index = this.toolIndex[event.index ?? 0];
          if (index !== undefined) {
            out.enqueue(this.chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] }));
          }
        } else if (delta?.type === "signature_delta" && delta.signature && this.thinking !== undefined) {
          this.thinking.signature += delta.signature;
        }
        // citations_delta has no OpenAI counterpart.
        return false;
      }
      case "content_block_stop": {
        if (this.thinking !== undefined && event.index === this.thinkingIndex) this.endThinking();
        return false;
      }
      case "message_delta": {
        this.flushThinking(out);
        this.addUsage(event.usage);
        this.finish = toFinishReason(event.delta?.stop_reason) ?? "stop";
        out.enqueue(this.chunk({}, this.finish));
        return false;
      }
      case "message_stop":
        this.close(out);
        return true;
      case "error":
        throw anthropicStreamError({ provider: this.provider, apiKey: this.apiKey, body: event });
      default:
        // ping and event types added later carry nothing for an OpenAI client.
        return false;
    }
  }

  private endThinking(): void {
    this.blocks ??= [];
    this.blocks.push(this.thinking as ThinkingBlock);
    this.thinking = undefined;
  }

  /**
   * The signed blocks, whole, once each is complete (its signature comes last): what LiteLLM streams, and what a
   * client sends back. Sent together, so a client that keeps only the last value of an unknown delta field (the
   * `openai` SDK's stream helper) still has them all. The text already went out as `reasoning_content`.
   */
  private flushThinking(out: ChunkSink): void {
    if (this.thinking !== undefined) this.endThinking();
    if (this.blocks === undefined) return;
    out.enqueue(this.chunk({ thinking_blocks: this.blocks }));
    this.blocks = undefined;
  }

  /** message_delta's usage is cumulative and may restate input counts: later values win. */
  private addUsage(usage: AnthropicUsage | undefined): void {
    if (usage == null) return;
    this.sawUsage = true;
    for (const key of [
      "input_tokens",
      "output_tokens",
      "cache_read_input_tokens",
      "cache_creation_input_tokens",
    ] as const) {
      const value = usage[key];
      if (value != null) this.usage[key] = value;
    }
    if (usage.output_tokens_details != null) this.usage.output_tokens_details = usage.output_tokens_details;
    if (usage.cache_creation != null) this.usage.cache_creation = usage.cache_creation;
    if (usage.server_tool_use != null) this.usage.server_tool_use = usage.server_tool_use;
  }

  private close(out: ChunkSink): void {
    if (this.finish === null) {
      this.flushThinking(out);
      out.enqueue(this.chunk({}, "stop"));
    }
    if (this.sawUsage) {
      out.enqueue({
        id: this.id,
        object: "chat.completion.chunk",
        created: this.created,
        model: this.model,
        choices: [],
        usage: toOpenAIUsage(toTokenCounts(this.usage), this.usage),
      });
    }
  }

  /**
   * Without message_stop the answer was cut, unless message_delta (stop reason and final usage) already came:
   * then only the end marker is missing, and the answer is whole.
   */
  end(out: ChunkSink): boolean {
    if (this.finish === null) return false;
    this.close(out);
    return true;
  }

  tokens(): TokenCounts | undefined {
    return this.sawUsage ? toTokenCounts(this.usage) : undefined;
  }
}
