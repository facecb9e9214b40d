// The configuration file's schema (TypeBox): every key is known; an unknown one fails start-up.

import { type Static, Type as T } from "@sinclair/typebox";

const Tier = T.Union([T.Literal("simple"), T.Literal("medium"), T.Literal("complex")]);

const Capabilities = T.Object(
  {
    tools: T.Optional(T.Boolean()),
    vision: T.Optional(T.Boolean()),
    jsonSchema: T.Optional(T.Boolean()),
    streaming: T.Optional(T.Boolean()),
  },
  { additionalProperties: false },
);

const Prices = T.Object(
  {
    input: T.Number({ minimum: 0 }),
    output: T.Number({ minimum: 0 }),
    cachedInput: T.Optional(T.Number({ minimum: 0 })),
    cacheWrite: T.Optional(T.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const Timeouts = T.Object(
  {
    firstByteMs: T.Optional(T.Integer({ minimum: 1 })),
    nonStreamingFirstByteMs: T.Optional(T.Integer({ minimum: 1 })),
    firstChunkMs: T.Optional(T.Integer({ minimum: 1 })),
    idleMs: T.Optional(T.Integer({ minimum: 1 })),
    totalMs: T.Optional(T.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const ModelEntry = T.Object(
  {
    name: T.String({ minLength: 1 }),
    upstreamName: T.Optional(T.String({ minLength: 1 })),
    tier: Tier,
    prices: Prices,
    contextWindow: T.Optional(T.Integer({ minimum: 1 })),
    maxOutputTokens: T.Optional(T.Integer({ minimum: 1 })),
    capabilities: T.Optional(Capabilities),
    timeouts: T.Optional(Timeouts),
  },
  { additionalProperties: false },
);

/** An embedding model of a configured endpoint, served on `/v1/embeddings` only (never a chat candidate). */
export const EmbeddingModelEntry = T.Object(
  {
    name: T.String({ minLength: 1 }),
    upstreamName: T.Optional(T.String({ minLength: 1 })),
    prices: T.Object({ input: T.Number({ minimum: 0 }) }, { additionalProperties: false }),
    dimensions: T.Optional(T.Integer({ minimum: 1 })),
    timeouts: T.Optional(Timeouts),
  },
  { additionalProperties: false },
);

/** A further OpenAI-compatible endpoint (vLLM, Ollama, Groq, Together...). */
const ProviderEntry = T.Object(
  {
    name: T.String({ pattern: "^[a-z0-9][a-z0-9_-]*$" }),
    baseUrl: T.String({ minLength: 1 }),
    /** Name of the environment variable that holds the key; the key itself never goes in the file. */
    apiKeyEnv: T.String({ minLength: 1 }),
    models: T.Array(ModelEntry),
    embeddingModels: T.Optional(T.Array(EmbeddingModelEntry)),
  },
  { additionalProperties: false },
);

/** Overrides a shipped model's fields, addressed by `provider/name`. */
const ModelOverride = T.Object(
  {
    id: T.String({ pattern: "^[a-z0-9_-]+/.+$" }),
    tier: T.Optional(Tier),
    prices: T.Optional(T.Partial(Prices)),
    contextWindow: T.Optional(T.Integer({ minimum: 1 })),
    maxOutputTokens: T.Optional(T.Integer({ minimum: 1 })),
    capabilities: T.Optional(Capabilities),
    upstreamName: T.Optional(T.String({ minLength: 1 })),
    timeouts: T.Optional(Timeouts),
  },
  { additionalProperties: false },
);

const Retry = T.Object(
  {
    /** Attempts on one model before moving to the next candidate. */
    attemptsPerModel: T.Optional(T.Integer({ minimum: 1, maximum: 10 })),
    baseDelayMs: T.Optional(T.Integer({ minimum: 0 })),
    maxDelayMs: T.Optional(T.Integer({ minimum: 0 })),
    /** Most candidates tried for one request. */
    maxCandidates: T.Optional(T.Integer({ minimum: 1, maximum: 20 })),
  },
  { additionalProperties: false },
);

const Breaker = T.Object(
  {
    failureThreshold: T.Optional(T.Integer({ minimum: 1 })),
    cooldownMs: T.Optional(T.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

const Budget = T.Object(
  {
    scope: T.Union([T.Literal("key"), T.Literal("team"), T.Literal("agent")]),
    name: T.String({ minLength: 1 }),
    period: T.Union([T.Literal("day"), T.Literal("month")]),
    limitUsd: T.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = T.Object(
  {
    $schema: T.Optional(T.String()),
    baselineModel: T.Optional(T.String({ minLength: 1 })),
    bodyLimitBytes: T.Optional(T.Integer({ minimum: 1024 })),
    capturePrompts: T.Optional(T.Boolean()),
    /** Request-header name prefixes passed on to upstreams (e.g. "openai-"), lower case. */
    forwardHeaders: T.Optional(T.Array(T.String({ minLength: 1 }))),
    providers: T.Optional(T.Array(ProviderEntry)),
    models: T.Optional(T.Array(ModelOverride)),
    timeouts: T.Optional(Timeouts),
    retry: T.Optional(Retry),
    breaker: T.Optional(Breaker),
    routing: T.Optional(
      T.Object(
        {
          policy: T.Optional(T.String({ minLength: 1 })),
          policyDir: T.Optional(T.String({ minLength: 1 })),
          classifierModel: T.Optional(T.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    budgets: T.Optional(T.Array(Budget)),
    alerts: T.Optional(
      T.Object({ webhookUrl: T.Optional(T.String({ minLength: 1 })) }, { additionalProperties: false }),
    ),
    /** `GET /metrics`: on by default; the env's METRICS_TOKEN, when set, guards it. */
    metrics: T.Optional(T.Object({ enabled: T.Optional(T.Boolean()) }, { additionalProperties: false })),
    log: T.Optional(
      T.Object(
        {
          batchSize: T.Optional(T.Integer({ minimum: 1 })),
          flushIntervalMs: T.Optional(T.Integer({ minimum: 1 })),
          deadLetterPath: T.Optional(T.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ConfigFile = Static<typeof ConfigSchema>;
export type ModelEntryConfig = Static<typeof ModelEntry>;
export type EmbeddingModelEntryConfig = Static<typeof EmbeddingModelEntry>;
export type BudgetConfig = Static<typeof Budget>;
