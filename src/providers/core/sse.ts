// Upstream SSE body -> a pull-based ReadableStream of OpenAI chunks, through one provider's StreamTranslator.

import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";
import type { TokenCounts } from "../../catalog/types";
import { SpendexError } from "../../errors";
import { isSubstantive } from "../../openai";
import type { ChatCompletionChunk } from "../../openai/types";
import type { StreamResult } from "../types";
import { transportError } from "./errors";
import type { UpstreamCall } from "./upstream";

const ignore = () => undefined;

export interface ChunkSink {
  enqueue(chunk: ChatCompletionChunk): void;
}

/** A provider's pure stream conversion: SSE events in, OpenAI chunks out. Tested without any network. */
export interface StreamTranslator {
  /** Handles one event; returns true when it was the upstream's last word (e.g. `[DONE]`, `message_stop`). */
  event(message: EventSourceMessage, out: ChunkSink): boolean;
  /** The body ended without a final event: push closing chunks and return true if the answer was complete. */
  end(out: ChunkSink): boolean;
  tokens(): TokenCounts | undefined;
}

/** The part of a body reader we use (Bun's and node:stream/web's reader types differ in extras). */
interface Reader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads the upstream only when the consumer pulls (highWaterMark 0), so nothing is buffered beyond what one
 * network read carried. A body that ends early, a read error or a translator error (an upstream `error` event)
 * errors the stream with a ProviderError; cancelling the stream aborts the upstream.
 */
class SsePump {
  private readonly reader: Reader;
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;
  private controller!: ReadableStreamDefaultController<ChatCompletionChunk>;
  private pushed = 0;
  /**
   * Whether the model has begun answering (a chunk with content, reasoning, a tool call or a finish). Until then
   * the wait is the call's first-chunk deadline, counted from the headers: an opening role chunk or a ping does
   * not turn it into the shorter idle deadline, because the model may still be thinking in silence.
   */
  private begun = false;
  private done = false;
  private errored = false;

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly call: UpstreamCall,
    private readonly translator: StreamTranslator,
  ) {
    this.reader = body.getReader();
    call.watcher = this;
    this.parser = createParser({ onEvent: (message) => this.onEvent(message) });
  }

  start(controller: ReadableStreamDefaultController<ChatCompletionChunk>): void {
    this.controller = controller;
    this.call.awaitFirstChunk();
  }

  enqueue(chunk: ChatCompletionChunk): void {
    if (this.errored) return;
    if (!this.begun && isSubstantive(chunk)) this.begun = true;
    this.pushed++;
    this.controller.enqueue(chunk);
  }

  private onEvent(message: EventSourceMessage): void {
    if (this.done) return;
    if (this.translator.event(message, this)) this.done = true;
  }

  async pull(): Promise<void> {
    this.pushed = 0;
    while (this.pushed === 0 && !this.done) {
      let result: Awaited<ReturnType<Reader["read"]>>;
      this.call.reading = true;
      try {
        result = await this.reader.read();
      } catch (error) {
        this.fail(this.call.failureFrom(error, "interrupted"));
        return;
      } finally {
        this.call.reading = false;
      }
      if (result.done) {
        if (!this.flushTail()) return;
        if (!this.done && !this.tryEnd()) return;
        break;
      }
      try {
        this.parser.feed(this.decoder.decode(result.value as Uint8Array, { stream: true }));
        if (this.begun) this.call.touch();
      } catch (error) {
        this.fail(
          error instanceof SpendexError ? error : transportError(this.call.provider, "interrupted", error),
        );
        return;
      }
    }
    if (this.done && !this.errored) this.close();
  }

  /**
   * Dispatches a last event the body ended without its blank line after, as the OpenAI SDK's own reader does: some
   * servers close right after their final `data:` line. A tail cut mid-JSON is left to `end()` to judge; an upstream
   * error event in it fails the stream. Returns false when the stream failed.
   */
  private flushTail(): boolean {
    try {
      this.parser.feed(`${this.decoder.decode()}\n\n`);
    } catch (error) {
      if (error instanceof SpendexError) {
        this.fail(error);
        return false;
      }
    }
    this.parser.reset();
    return true;
  }

  private tryEnd(): boolean {
    let complete = false;
    try {
      complete = this.translator.end(this);
    } catch (error) {
      this.fail(error);
      return false;
    }
    if (!complete) {
      this.fail(transportError(this.call.provider, "interrupted"));
      return false;
    }
    this.done = true;
    return true;
  }

  private close(): void {
    this.controller.close();
    // Let the connection finish on its own (usually it already has) so it can be reused; the total timer
    // still bounds it. Errors here no longer matter to anyone.
    this.drain().catch(ignore);
  }

  private async drain(): Promise<void> {
    try {
      while (!(await this.reader.read()).done) {}
    } finally {
      this.call.finish();
    }
  }

  private fail(error: unknown): void {
    if (this.errored) return;
    this.errored = true;
    this.done = true;
    this.call.abort(error);
    this.controller.error(error);
  }

  clientAborted(reason: unknown): void {
    if (!this.done) this.fail(reason);
  }

  cancel(reason: unknown): void {
    this.done = true;
    this.call.abort(reason);
    // The aborted fetch ends the body too; cancelling it as well frees it even under a fetch that ignores signals.
    this.reader.cancel(reason).catch(ignore);
  }
}

export function sseStream(
  body: ReadableStream<Uint8Array>,
  call: UpstreamCall,
  translator: StreamTranslator,
): StreamResult {
  const chunks = new ReadableStream<ChatCompletionChunk>(new SsePump(body, call, translator), {
    highWaterMark: 0,
  });
  return { chunks, tokens: () => translator.tokens() };
}
