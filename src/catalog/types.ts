// Catalog data types: what Spendex knows about a model.

export type Tier = "simple" | "medium" | "complex";
export const TIERS: readonly Tier[] = ["simple", "medium", "complex"];

export interface Capabilities {
  tools: boolean;
  vision: boolean;
  jsonSchema: boolean;
  streaming: boolean;
}

export interface Prices {
  /** USD per 1M input tokens. */
  input: number;
  /** USD per 1M cached input tokens (cache reads). */
  cachedInput: number;
  /** USD per 1M output tokens. */
  output: number;
  /** USD per 1M cache-write input tokens, where the provider bills them apart (Anthropic: 5-minute writes). */
  cacheWrite?: number;
  /** USD per 1M 1-hour cache-write input tokens (Anthropic: 2x input); unset bills them at `cacheWrite`. */
  cacheWrite1h?: number;
  /** USD per 1,000 server-side web searches (Anthropic's web search tool), on top of the tokens. */
  webSearch?: number;
  /**
   * A long-prompt tier: when a request's prompt (all input tokens, cached ones included) exceeds `tokens`, the whole
   * request is billed at these prices instead (Gemini 2.5 Pro above 200k tokens). Unset: one price at any size.
   */
  above?: PriceTier;
}

/** The prices of a long-prompt tier (USD per 1M tokens), and the prompt size it starts above. */
export interface PriceTier {
  /** The tier applies when the prompt has more than this many tokens. */
  tokens: number;
  input: number;
  cachedInput: number;
  output: number;
}

/**
 * Upstream timeouts in ms (README "Configuration"). `firstByteMs` and `idleMs` guard streams; a non-streaming
 * call gets its headers only once the whole answer is ready, so it waits `nonStreamingFirstByteMs`, which follows
 * `totalMs` unless set.
 */
export interface TimeoutOverrides {
  firstByteMs?: number;
  nonStreamingFirstByteMs?: number;
  /** A stream's silence from its headers to its first chunk (the model thinks there); unset follows the above. */
  firstChunkMs?: number;
  idleMs?: number;
  totalMs?: number;
}

export interface CatalogModel {
  /** `provider/name`, the canonical reference. */
  id: string;
  /** The bare name clients may use. */
  name: string;
  provider: string;
  /** The model id sent upstream. */
  upstreamName: string;
  tier: Tier;
  prices: Prices;
  contextWindow: number;
  maxOutputTokens: number;
  capabilities: Capabilities;
  /** This model's own timeouts, over the configured ones (e.g. longer for a slow reasoning model). */
  timeouts?: TimeoutOverrides;
}

/** Token counts as the gateway prices them (normalised from any provider's usage). */
export interface TokenCounts {
  /** All input tokens, cached ones included (OpenAI's prompt_tokens). */
  prompt: number;
  /** Of `prompt`, tokens read from the provider's cache. */
  cached: number;
  /** Of `prompt`, tokens written to the provider's cache (billed apart by some providers). */
  cacheWrite?: number;
  /** Of `cacheWrite`, tokens written with a 1-hour lifetime (Anthropic bills them above 5-minute writes). */
  cacheWrite1h?: number;
  /** Server-side web searches the provider ran for the answer, billed per search (Anthropic's web search tool). */
  webSearches?: number;
  /** Output tokens, reasoning/thinking included. */
  completion: number;
}

/**
 * An embedding model: served only on `/v1/embeddings`, never a chat candidate (no tier, no failover: vectors from
 * two models are not comparable). Priced per input token.
 */
export interface EmbeddingModel {
  kind: "embedding";
  /** `provider/name`. */
  id: string;
  name: string;
  provider: string;
  upstreamName: string;
  /** USD per 1M input tokens. */
  prices: { input: number };
  /** Length of the vectors it returns by default. */
  dimensions: number;
  timeouts?: TimeoutOverrides;
}
