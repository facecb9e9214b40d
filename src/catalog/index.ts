// The catalog: resolves model names, prices token counts, and finds equivalent models across providers.

import { BUILTIN_EMBEDDING_MODELS, BUILTIN_MODELS } from "./models";
import type { Capabilities, CatalogModel, EmbeddingModel, Prices, Tier, TokenCounts } from "./types";

export { BUILTIN_EMBEDDING_MODELS, BUILTIN_MODELS } from "./models";
export type {
  Capabilities,
  CatalogModel,
  EmbeddingModel,
  Prices,
  PriceTier,
  Tier,
  TimeoutOverrides,
  TokenCounts,
} from "./types";
export { TIERS } from "./types";

/** What a request needs from a model; failover and the built-in policy only pick models that have all of it. */
export interface Needs {
  tools: boolean;
  vision: boolean;
  jsonSchema: boolean;
  /** Estimated prompt tokens plus requested output: the context window must hold it. */
  contextTokens: number;
}

export const NO_NEEDS: Needs = { tools: false, vision: false, jsonSchema: false, contextTokens: 0 };

export class Catalog {
  private readonly byId = new Map<string, CatalogModel>();
  private readonly byName = new Map<string, CatalogModel>();
  /** Models of each tier, cheapest first: computed once, since failover asks on every request. */
  private tiers: Map<Tier, CatalogModel[]> | undefined;

  /** Embedding models live apart: `all()`, tiers, failover and `auto` only ever see chat models. */
  private readonly embeddingById = new Map<string, EmbeddingModel>();
  private readonly embeddingByName = new Map<string, EmbeddingModel>();

  constructor(
    models: readonly CatalogModel[] = BUILTIN_MODELS,
    embeddingModels: readonly EmbeddingModel[] = BUILTIN_EMBEDDING_MODELS,
  ) {
    for (const model of models) this.add(model);
    for (const model of embeddingModels) {
      this.embeddingById.set(model.id, model);
      if (!this.embeddingByName.has(model.name)) this.embeddingByName.set(model.name, model);
    }
  }

  /** An embedding model by `name` or `provider/name`; undefined when unknown (chat models are not looked at). */
  resolveEmbedding(reference: string): EmbeddingModel | undefined {
    return this.embeddingById.get(reference) ?? this.embeddingByName.get(reference);
  }

  embeddingModels(): EmbeddingModel[] {
    return [...this.embeddingById.values()];
  }

  /** Adds or replaces a model (config overrides go through here). */
  add(model: CatalogModel): void {
    this.tiers = undefined;
    const previous = this.byId.get(model.id);
    if (previous && this.byName.get(previous.name) === previous) this.byName.delete(previous.name);
    this.byId.set(model.id, model);
    // A bare name resolves to the first model registered under it; `provider/name` is always exact.
    if (!this.byName.has(model.name)) this.byName.set(model.name, model);
  }

  /** `gpt-5` or `openai/gpt-5`; undefined when unknown. */
  resolve(reference: string): CatalogModel | undefined {
    return this.byId.get(reference) ?? this.byName.get(reference);
  }

  get(id: string): CatalogModel | undefined {
    return this.byId.get(id);
  }

  all(): CatalogModel[] {
    return [...this.byId.values()];
  }

  /** Models of a tier, cheapest first (blended 3:1 input:output price), restricted to the given providers. */
  inTier(tier: Tier, providers: ReadonlySet<string>, needs: Needs = NO_NEEDS): CatalogModel[] {
    if (!this.tiers) {
      const sorted = this.all().sort(
        (a, b) => blendedPrice(a.prices) - blendedPrice(b.prices) || a.id.localeCompare(b.id),
      );
      this.tiers = new Map();
      for (const model of sorted) {
        const list = this.tiers.get(model.tier) ?? [];
        list.push(model);
        this.tiers.set(model.tier, list);
      }
    }
    return (this.tiers.get(tier) ?? []).filter(
      (model) => providers.has(model.provider) && fits(model, needs),
    );
  }
}

export function fits(model: CatalogModel, needs: Needs): boolean {
  const capabilities: Capabilities = model.capabilities;
  if (needs.tools && !capabilities.tools) return false;
  if (needs.vision && !capabilities.vision) return false;
  if (needs.jsonSchema && !capabilities.jsonSchema) return false;
  return needs.contextTokens <= model.contextWindow;
}

export function blendedPrice(prices: Prices): number {
  return (3 * prices.input + prices.output) / 4;
}

/**
 * USD cost of the given tokens on a model: cached tokens at the cached price, 5-minute cache writes at the write
 * price, 1-hour ones at the 1-hour write price, plus each server-side web search at the per-search price.
 */
export function costOf(model: CatalogModel, tokens: TokenCounts): number {
  return roundUsd(tokenUsd(model.prices, tokens) + serverToolUsd(model.prices, tokens));
}

/** The tokens alone, without server-tool fees: what `saved_usd` compares (a baseline would run the same searches). */
export function tokenCostOf(model: CatalogModel, tokens: TokenCounts): number {
  return roundUsd(tokenUsd(model.prices, tokens));
}

/**
 * The prices a request with `promptTokens` input tokens is billed at: the long-prompt tier's input, cached input and
 * output when the prompt exceeds its threshold (the whole request, as Google bills Gemini 2.5 Pro), else the base.
 */
export function pricesFor(prices: Prices, promptTokens: number): Prices {
  const above = prices.above;
  if (!above || promptTokens <= above.tokens) return prices;
  return { ...prices, input: above.input, cachedInput: above.cachedInput, output: above.output };
}

function tokenUsd(base: Prices, tokens: TokenCounts): number {
  const prices = pricesFor(base, tokens.prompt);
  const cached = Math.min(tokens.cached, tokens.prompt);
  const written = Math.min(tokens.cacheWrite ?? 0, tokens.prompt - cached);
  const writtenHour = Math.min(tokens.cacheWrite1h ?? 0, written);
  const fresh = tokens.prompt - cached - written;
  const writePrice = prices.cacheWrite ?? prices.input;
  return (
    (fresh * prices.input +
      cached * prices.cachedInput +
      (written - writtenHour) * writePrice +
      writtenHour * (prices.cacheWrite1h ?? writePrice) +
      tokens.completion * prices.output) /
    1_000_000
  );
}

function serverToolUsd(prices: Prices, tokens: TokenCounts): number {
  return ((tokens.webSearches ?? 0) * (prices.webSearch ?? 0)) / 1_000;
}

/** USD cost of an embeddings request: input tokens only. */
export function embeddingCostOf(model: EmbeddingModel, promptTokens: number): number {
  return roundUsd((promptTokens * model.prices.input) / 1_000_000);
}

/** Costs are reported to 1e-10 USD so sums stay exact enough and JSON stays short. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}
