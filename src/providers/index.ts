// Public surface of the provider adapters: the registry, the contract types and the shared error helpers.

export { parseRetryAfter, redact } from "./core/errors";
export type { ChunkSink, StreamTranslator } from "./core/sse";
export { createAdapter, isProviderKind, PROVIDER_KINDS } from "./registry";
export type {
  AdapterFactory,
  CallOptions,
  CompletionResult,
  EmbeddingResult,
  EmbedOptions,
  ProviderAdapter,
  ProviderConnection,
  ProviderKind,
  StreamResult,
  Timeouts,
} from "./types";
export { DEFAULT_TIMEOUTS } from "./types";
