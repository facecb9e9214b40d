// stream: re-emits the adapter's OpenAI chunks as SSE as they arrive, exactly as OpenAI would for this request.
//
// Only chunks that carry a finish_reason (and the usage chunk) are held back, so that the `spendex` object can
// ride on the final chunk once usage is known; content chunks go out the moment they arrive.

import { toErrorBody } from "../errors";
import { isSubstantive } from "../openai";
import type { ChatCompletionChunk, Usage } from "../openai/types";
import type { CallOptions, ProviderAdapter } from "../providers/types";
import { chunkChars } from "./estimate";

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

export interface StreamHooks {
  includeUsage: boolean;
  /**
   * Called once when the upstream ends cleanly, with the characters of output relayed (for a usage estimate);
   * returns the object to attach to the final chunk, and the usage to report when it had to be estimated.
   */
  finish(outputChars: number): { spendex: Record<string, unknown>; estimatedUsage?: Usage };
  /** Called exactly once with how the stream ended. */
  end(
    outcome: "complete" | "error_after_first_byte" | "client_aborted",
    outputChars: number,
    error?: unknown,
  ): void;
}

export function sseBody(opened: OpenedStream, hooks: StreamHooks): ReadableStream<Uint8Array> {
  const held: ChatCompletionChunk[] = [];
  const pending = [...opened.head];
  let ended = false;
  /** Output characters seen, counted as chunks arrive: the usage estimate when the upstream reports none. */
  let outputChars = 0;
  let last: ChatCompletionChunk | undefined;
  const end = (outcome: Parameters<StreamHooks["end"]>[0], error?: unknown) => {
    if (ended) return;
    ended = true;
    hooks.end(outcome, outputChars, error);
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = pending.shift() ?? (await opened.reader.read());
          if (next.done) {
            finishStream(controller, held, hooks, outputChars, last);
            end("complete");
            return;
          }
          const chunk = next.value;
          last = chunk;
          if (chunk.choices.length === 0) {
            // The usage chunk: the client sees it only when it asked for include_usage.
            if (hooks.includeUsage) held.push(chunk);
            continue;
          }
          outputChars += chunkChars(chunk);
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
  outputChars: number,
  seen: ChatCompletionChunk | undefined,
): void {
  const { spendex, estimatedUsage } = hooks.finish(outputChars);
  if (estimatedUsage && hooks.includeUsage && seen) {
    // The client asked for usage and the upstream sent none (or zeros): it gets the estimate, marked in `spendex`.
    const usageChunk = held.find((chunk) => chunk.choices.length === 0);
    if (usageChunk) usageChunk.usage = estimatedUsage;
    else {
      const { id, object, created, model } = seen;
      held.push({ id, object, created, model, choices: [], usage: estimatedUsage });
    }
  }
  const last = held[held.length - 1];
  if (last) last.spendex = spendex;
  let out = "";
  for (const chunk of held) out += `data: ${JSON.stringify(chunk)}\n\n`;
  if (out) controller.enqueue(encoder.encode(out));
  controller.enqueue(DONE);
  controller.close();
}

/** Opens an upstream stream and reads up to its first substantive chunk, so a stall or failure before any
 * content can still fail over (see OpenedStream). */
export async function openStream(adapter: ProviderAdapter, options: CallOptions) {
  const result = await adapter.stream(options);
  const reader = result.chunks.getReader() as unknown as ChunkReader;
  const head: ReadResult<ChatCompletionChunk>[] = [];
  try {
    for (;;) {
      const next = await reader.read();
      head.push(next);
      if (next.done || isSubstantive(next.value)) break;
    }
    return { reader, head, result };
  } catch (error) {
    reader.cancel().catch(() => undefined);
    throw error;
  }
}
