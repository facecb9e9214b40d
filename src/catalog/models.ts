// The shipped model catalog: provider, tier, public prices per 1M tokens, context window and capabilities.

import type { CatalogModel, EmbeddingModel, Prices } from "./types";

const chat = { tools: true, vision: true, jsonSchema: true, streaming: true } as const;

/** Prices are USD per 1M tokens. Cached input follows each provider's published cache-read discount. */
export const BUILTIN_MODELS: readonly CatalogModel[] = [
  // OpenAI: cached input is 10% of input.
  m("openai", "gpt-5-nano", "simple", 0.05, 0.005, 0.4, 400_000, 128_000),
  m("openai", "gpt-5-mini", "medium", 0.25, 0.025, 2.0, 400_000, 128_000),
  m("openai", "gpt-5", "complex", 1.25, 0.125, 10.0, 400_000, 128_000),
  // Anthropic: cache reads are 10% of input, 5-minute cache writes 125%, 1-hour cache writes 200%; web search
  // $10 per 1,000 searches (platform.claude.com/docs/en/about-claude/pricing; decision 0004, Usage and billing).
  m("anthropic", "claude-haiku-4-5", "simple", 1.0, 0.1, 5.0, 200_000, 64_000, claude(1.0)),
  m("anthropic", "claude-sonnet-4-6", "medium", 3.0, 0.3, 15.0, 200_000, 64_000, claude(3.0)),
  m("anthropic", "claude-opus-4-6", "complex", 5.0, 0.5, 25.0, 200_000, 32_000, claude(5.0)),
  // Google: context-cache reads (implicit and explicit) at 10% of input; 2.5 Pro bills a prompt over 200k tokens,
  // the whole request, at $2.50 input / $0.25 cached / $15 output; Flash and Flash-Lite have one price at any size
  // (ai.google.dev/gemini-api/docs/pricing, "Context caching price"; decision 0004, Usage and billing).
  m("gemini", "gemini-2.5-flash-lite", "simple", 0.1, 0.01, 0.4, 1_048_576, 65_536),
  m("gemini", "gemini-2.5-flash", "medium", 0.3, 0.03, 2.5, 1_048_576, 65_536),
  m("gemini", "gemini-2.5-pro", "complex", 1.25, 0.125, 10.0, 1_048_576, 65_536, {
    above: { tokens: 200_000, input: 2.5, cachedInput: 0.25, output: 15.0 },
  }),
  // Mistral: no cache discount is published, so cached input is billed as input.
  m("mistral", "mistral-small", "simple", 0.1, 0.1, 0.3, 128_000, 32_000, {}, "mistral-small-latest"),
  m("mistral", "mistral-large", "medium", 0.5, 0.5, 1.5, 128_000, 32_000, {}, "mistral-large-latest"),
];

/** Prices some providers bill beside input, cached input and output, and a long-prompt tier. */
type Extra = Pick<Prices, "cacheWrite" | "cacheWrite1h" | "webSearch" | "above">;

/** Anthropic's cache-write multipliers (5 minutes: 1.25x input, 1 hour: 2x) and its web search fee. */
function claude(input: number): Extra {
  return { cacheWrite: input * 1.25, cacheWrite1h: input * 2, webSearch: 10 };
}

function m(
  provider: string,
  name: string,
  tier: CatalogModel["tier"],
  input: number,
  cachedInput: number,
  output: number,
  contextWindow: number,
  maxOutputTokens: number,
  extra: Extra = {},
  upstreamName?: string,
): CatalogModel {
  return {
    id: `${provider}/${name}`,
    name,
    provider,
    upstreamName: upstreamName ?? name,
    tier,
    prices: { input, cachedInput, output, ...extra },
    contextWindow,
    maxOutputTokens,
    capabilities: { ...chat },
  };
}

/**
 * Embedding models, USD per 1M input tokens (OpenAI's, Mistral's and Google's published prices, November 2026).
 * Google retired text-embedding-004 from the Gemini API on 14 January 2026: gemini-embedding-001 replaces it.
 */
export const BUILTIN_EMBEDDING_MODELS: readonly EmbeddingModel[] = [
  e("openai", "text-embedding-3-small", 0.02, 1536),
  e("openai", "text-embedding-3-large", 0.13, 3072),
  e("openai", "text-embedding-ada-002", 0.1, 1536),
  e("mistral", "mistral-embed", 0.1, 1024),
  e("gemini", "gemini-embedding-001", 0.15, 3072),
];

function e(provider: string, name: string, input: number, dimensions: number): EmbeddingModel {
  return {
    kind: "embedding",
    id: `${provider}/${name}`,
    name,
    provider,
    upstreamName: name,
    prices: { input },
    dimensions,
  };
}
