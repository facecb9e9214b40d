// stream: re-emits the adapter's OpenAI chunks as SSE as they arrive, exactly as OpenAI would for this request.
//
// Only chunks that carry a finish_reason (and the usage chunk) are held back, so that the `spendex` object can
// ride on the final chunk once usage is known; content chunks go out the moment they arrive.

import { toErrorBody } from "../errors";
import type { ChatCompletionChunk } from "../openai/types";

const encoder = new TextEncoder();
const DONE = encoder.encode("data: [DONE]\n\n");

export type ReadResult<T> = { done: false; value: T } | { done: true; value?: undefined };

export interface ChunkReader {
  read(): Promise<ReadResult<ChatCompletionChunk>>;
  cancel(reason?: unknown): Promise<void>;
}

export interface OpenedStream {
  reader: ChunkReader;
  /**
   * What was read before the response was committed: role-only chunks up to the first one that carries
   * content, a tool call, a finish reason or usage (or the end). A failure before then can still fail over.
   */
  head: ReadResult<ChatCompletionChunk>[];
}

/**
 * Does this chunk carry anything a client acts on? The opening role-only chunk does not. Any other non-empty delta
 * field does, extensions included: OpenAI-compatible reasoning models stream `reasoning_content` or `reasoning` for
 * minutes before any content, and holding those back would leave the client without a byte all that time.
 */
export function isSubstantive(chunk: ChatCompletionChunk): boolean {
  if (chunk.choices.length === 0) return true;
  for (const choice of chunk.choices) {
    if (choice.finish_reason) return true;
    const delta = choice.delta as Record<string, unknown>;
    for (const key in delta) {
      if (key === "role") continue;
      const value = delta[key];
      if (value !== "" && value != null) return true;
    }
  }
  return false;
}

export interface StreamHooks {
  includeUsage: boolean;
  /** Called once when the upstream ends cleanly; returns the object to attach to the final chunk. */
  finish(): Record<string, unknown>;
  /** Called exactly once with how the stream ended. */
  end(outcome: "complete" | "error_after_first_byte" | "client_aborted", error?: unknown): void;
}

export function sseBody(opened: OpenedStream, hooks: StreamHooks): ReadableStream<Uint8Array> {
  const held: ChatCompletionChunk[] = [];
  const pending = [...opened.head];
  let ended = false;
  const end: StreamHooks["end"] = (outcome, error) => {
    if (ended) return;
    ended = true;
    hooks.end(outcome, error);
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = pending.shift() ?? (await opened.reader.read());
          if (next.done) {
            finishStream(controller, held, hooks);
            end("complete");
            return;
          }
          const chunk = next.value;
          if (chunk.choices.length === 0) {
            // The usage chunk: the client sees it only when it asked for include_usage.
            if (hooks.includeUsage) held.push(chunk);
            continue;
          }
          if (!hooks.includeUsage && chunk.usage === null) delete chunk.usage;
          if (
            chunk.choices.some(
              (choice) => choice.finish_reason !== null && choice.finish_reason !== undefined,
            )
          ) {
            held.push(chunk);
            continue;
          }
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
          return;
        }
      } catch (error) {
        // After the first byte the status is sent: the client gets a final error event and no [DONE].
        for (const chunk of held) controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
        held.length = 0;
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(toErrorBody(error).body)}\n\n`));
        controller.close();
        end("error_after_first_byte", error);
      }
    },
    cancel() {
      end("client_aborted");
      return opened.reader.cancel().catch(() => undefined);
    },
  });
}

function finishStream(
  controller: ReadableStreamDefaultController<Uint8Array>,
  held: ChatCompletionChunk[],
  hooks: StreamHooks,
): void {
  const spendex = hooks.finish();
  const last = held[held.length - 1];
  if (last) last.spendex = spendex;
  let out = "";
  for (const chunk of held) out += `data: ${JSON.stringify(chunk)}\n\n`;
  if (out) controller.enqueue(encoder.encode(out));
  controller.enqueue(DONE);
  controller.close();
}
