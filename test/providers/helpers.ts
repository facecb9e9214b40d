// Test helpers for adapters: replay recorded SSE through a translator, drain streams, build call options.

import { createParser } from "eventsource-parser";
import type { ChatCompletionChunk, ChatRequest } from "../../src/openai/types";
import type { StreamTranslator } from "../../src/providers";
import { type CallOptions, DEFAULT_TIMEOUTS, type Timeouts } from "../../src/providers/types";

export const fixture = (path: string) => Bun.file(new URL(`../fixtures/${path}`, import.meta.url)).text();
export const fixtureJson = async (path: string): Promise<unknown> => JSON.parse(await fixture(path));

/** Feeds a recorded SSE body through a translator, as the live pump would; returns chunks and whether it ended. */
export function replaySse(
  translator: StreamTranslator,
  sse: string,
): { chunks: ChatCompletionChunk[]; finished: boolean } {
  const chunks: ChatCompletionChunk[] = [];
  const sink = { enqueue: (chunk: ChatCompletionChunk) => chunks.push(chunk) };
  let finished = false;
  const parser = createParser({
    onEvent: (message) => {
      if (!finished && translator.event(message, sink)) finished = true;
    },
  });
  parser.feed(sse);
  if (!finished) finished = translator.end(sink);
  return { chunks, finished };
}

export async function drain<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

export function callOptions(
  request: Partial<ChatRequest> & Pick<ChatRequest, "messages">,
  extra: Partial<Omit<CallOptions, "request" | "timeouts">> & { timeouts?: Partial<Timeouts> } = {},
): CallOptions {
  return {
    upstreamModel: "upstream-model",
    signal: new AbortController().signal,
    defaultMaxTokens: 1024,
    ...extra,
    request: { model: "client-model", ...request },
    timeouts: { ...DEFAULT_TIMEOUTS, ...extra.timeouts },
  };
}

/** Concatenates text (and reasoning) deltas and assembles tool-call deltas by index, as an OpenAI client does. */
export function assemble(chunks: ChatCompletionChunk[]) {
  let content = "";
  let reasoning = "";
  let finish: string | null = null;
  let role: string | undefined;
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      role ??= choice.delta.role;
      if (choice.delta.content) content += choice.delta.content;
      if (choice.delta.reasoning_content) reasoning += choice.delta.reasoning_content;
      for (const delta of choice.delta.tool_calls ?? []) {
        const call = calls[delta.index] ?? { id: "", name: "", arguments: "" };
        calls[delta.index] = call;
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name += delta.function.name;
        if (delta.function?.arguments) call.arguments += delta.function.arguments;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  const usage = chunks.at(-1)?.usage ?? undefined;
  return { content, reasoning, finish, role, calls, usage };
}
