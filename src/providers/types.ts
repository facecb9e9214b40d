// The contract every provider adapter implements: OpenAI request in, OpenAI response or chunk stream out.

import type { TokenCounts } from "../catalog/types";
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../openai/types";

export type ProviderKind = "openai" | "anthropic" | "gemini" | "mistral" | "openai-compatible";

/** A connected upstream account. The key never leaves the adapter: not in errors, logs or responses. */
export interface ProviderConnection {
  /** The provider name used in model references (`openai`, `anthropic`, `groq`...). */
  name: string;
  kind: ProviderKind;
  baseUrl: string;
  apiKey: string;
  /** Extra headers sent on every request (e.g. `anthropic-version`). */
  headers?: Record<string, string>;
}

export interface Timeouts {
  /** Until the upstream's response headers arrive (connect + time to first byte). */
  firstByteMs: number;
  /** Longest silence between two stream chunks. */
  idleMs: number;
  /** A stream's longest silence from its headers to its first chunk (default `idleMs`). */
  firstChunkMs?: number;
  /** The whole upstream call, body included. */
  totalMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { firstByteMs: 60_000, idleMs: 60_000, totalMs: 600_000 };

export interface CallOptions {
  /** The client's request, validated. Adapters must not mutate it. */
  request: ChatRequest;
  /** The model id to send upstream (already resolved from the catalog). */
  upstreamModel: string;
  /** Fires when the client disconnects or the gateway gives up; the upstream fetch must be aborted. */
  signal: AbortSignal;
  timeouts: Timeouts;
  /**
   * The model's output limit: the max_tokens sent when the upstream requires one (Anthropic) and the client gave
   * none, and the cap on what the client gave where the upstream refuses more (Anthropic, Gemini).
   */
  defaultMaxTokens: number;
  /** Extra request headers to pass upstream (e.g. a simulator's fault header in tests). */
  passHeaders?: Record<string, string>;
}

export interface CompletionResult {
  /** OpenAI-format body; `usage` present. */
  body: ChatCompletion;
  tokens: TokenCounts;
  /** The upstream's response headers (the gateway passes its rate-limit headers on to the client). */
  upstreamHeaders?: Headers;
}

/**
 * A stream of OpenAI chunks. The adapter always ends a successful stream with a usage chunk
 * (`choices: []`, `usage` set) whenever the upstream reported usage, whatever the client asked:
 * the gateway decides whether the client sees it. `tokens()` is valid once the stream has ended.
 * An upstream failure mid-stream surfaces as the stream erroring with a ProviderError.
 */
export interface StreamResult {
  chunks: ReadableStream<ChatCompletionChunk>;
  tokens(): TokenCounts | undefined;
  /** The upstream's response headers, as for CompletionResult. */
  upstreamHeaders?: Headers;
}

/**
 * One embeddings call: OpenAI-format upstreams get the client's body untouched (unknown fields too) but for
 * `model`; Gemini's adapter rebuilds it for batchEmbedContents.
 */
export interface EmbedOptions {
  body: Readonly<Record<string, unknown>>;
  upstreamModel: string;
  signal: AbortSignal;
  timeouts: Timeouts;
  passHeaders?: Record<string, string>;
}

export interface EmbeddingResult {
  /** OpenAI's list format (`object`, `data`, `model`, `usage`): the upstream's JSON as is, or translated to it. */
  body: Record<string, unknown> & { data: unknown[] };
  /** `usage.prompt_tokens`; undefined when the upstream reported none. */
  promptTokens: number | undefined;
  upstreamHeaders?: Headers;
}

export interface ProviderAdapter {
  readonly connection: ProviderConnection;
  complete(options: CallOptions): Promise<CompletionResult>;
  stream(options: CallOptions): Promise<StreamResult>;
  /** OpenAI-format upstreams (`/embeddings`) and Gemini (`batchEmbedContents`) have it; Anthropic does not. */
  embed?(options: EmbedOptions): Promise<EmbeddingResult>;
}

export type AdapterFactory = (connection: ProviderConnection, fetchImpl: typeof fetch) => ProviderAdapter;
