// Loads the config file and the environment once into resolved settings; a bad key fails start-up clearly.

import { existsSync, readFileSync } from "node:fs";
import { Value } from "@sinclair/typebox/value";
import {
  BUILTIN_EMBEDDING_MODELS,
  BUILTIN_MODELS,
  type CatalogModel,
  type EmbeddingModel,
  type TimeoutOverrides,
} from "../catalog";
import type { ProviderConnection, Timeouts } from "../providers/types";
import {
  type BudgetConfig,
  type ConfigFile,
  ConfigSchema,
  type EmbeddingModelEntryConfig,
  type ModelEntryConfig,
} from "./schema";

export type { BudgetConfig, ConfigFile } from "./schema";

export interface Settings {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  baselineModel: string;
  bodyLimitBytes: number;
  capturePrompts: boolean;
  forwardHeaders: string[];
  connections: ProviderConnection[];
  /** Providers that are known but not connected, with the env var that would connect them. */
  disconnected: Map<string, string>;
  models: CatalogModel[];
  /** Models served on `/v1/embeddings` only. */
  embeddingModels: EmbeddingModel[];
  /** The defaults; a model may override any of them. `nonStreamingFirstByteMs` unset follows `totalMs`. */
  timeouts: Timeouts & Pick<TimeoutOverrides, "nonStreamingFirstByteMs" | "firstChunkMs">;
  retry: { attemptsPerModel: number; baseDelayMs: number; maxDelayMs: number; maxCandidates: number };
  breaker: { failureThreshold: number; cooldownMs: number };
  routing: { policy: string; policyDir: string; classifierModel: string };
  budgets: BudgetConfig[];
  webhookUrl: string | undefined;
  log: { batchSize: number; flushIntervalMs: number; deadLetterPath?: string };
  /** `GET /metrics`: served unless disabled; with a token, only to `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token: string | undefined };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The four native providers and how the environment connects them. */
/**
 * Rows per request-log batch. The event loop spends 3–10 µs a row handing a batch to the writer thread; 32 rows
 * keep that pause near 0.1 ms, where 256 rows stalled whichever request arrived during it for 1–3 ms.
 */
const DEFAULT_LOG_BATCH = 32;

const NATIVE = [
  { name: "openai", kind: "openai", env: "OPENAI", baseUrl: "https://api.openai.com/v1" },
  { name: "anthropic", kind: "anthropic", env: "ANTHROPIC", baseUrl: "https://api.anthropic.com" },
  { name: "gemini", kind: "gemini", env: "GEMINI", baseUrl: "https://generativelanguage.googleapis.com" },
  { name: "mistral", kind: "mistral", env: "MISTRAL", baseUrl: "https://api.mistral.ai/v1" },
] as const;

export function parseConfigFile(text: string, source: string): ConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const problems = [...Value.Errors(ConfigSchema, raw)].slice(0, 5);
  if (problems.length > 0) {
    const lines = problems.map((p) =>
      p.message.startsWith("Unexpected property")
        ? `  ${p.path || "/"}: unknown key`
        : `  ${p.path || "/"}: ${p.message}`,
    );
    throw new ConfigError(`${source}: invalid configuration\n${lines.join("\n")}`);
  }
  return raw as ConfigFile;
}

export function loadSettings(env: Record<string, string | undefined>, cwd = process.cwd()): Settings {
  const explicit = Boolean(env.SPENDEX_CONFIG);
  const path = env.SPENDEX_CONFIG || `${cwd}/spendex.config.json`;
  let file: ConfigFile = {};
  if (existsSync(path)) file = parseConfigFile(readFileSync(path, "utf8"), path);
  else if (explicit) throw new ConfigError(`SPENDEX_CONFIG points at ${path}, which does not exist`);
  return resolveSettings(file, env);
}

export function resolveSettings(file: ConfigFile, env: Record<string, string | undefined>): Settings {
  const connections: ProviderConnection[] = [];
  const disconnected = new Map<string, string>();
  for (const native of NATIVE) {
    const apiKey = env[`${native.env}_API_KEY`];
    if (apiKey) {
      const baseUrl = trimSlash(env[`${native.env}_BASE_URL`] || native.baseUrl);
      connections.push({ name: native.name, kind: native.kind, baseUrl, apiKey });
    } else disconnected.set(native.name, `${native.env}_API_KEY`);
  }
  const embeddingModels = [...BUILTIN_EMBEDDING_MODELS];
  const models = applyOverrides([...BUILTIN_MODELS], file.models ?? [], embeddingModels);
  for (const provider of file.providers ?? []) {
    if (NATIVE.some((n) => n.name === provider.name))
      throw new ConfigError(
        `providers: '${provider.name}' is a native provider; connect it with its env vars`,
      );
    const apiKey = env[provider.apiKeyEnv];
    if (apiKey) {
      connections.push({
        name: provider.name,
        kind: "openai-compatible",
        baseUrl: trimSlash(provider.baseUrl),
        apiKey,
      });
    } else disconnected.set(provider.name, provider.apiKeyEnv);
    for (const entry of provider.models) models.push(customModel(provider.name, entry));
    for (const entry of provider.embeddingModels ?? [])
      embeddingModels.push(customEmbeddingModel(provider.name, entry));
  }
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT must be a port number`);
  return {
    port,
    host: env.HOST ?? "127.0.0.1",
    databaseUrl: env.DATABASE_URL ?? "sqlite:./data/spendex.db",
    redisUrl: env.REDIS_URL || undefined,
    baselineModel: file.baselineModel ?? "openai/gpt-5",
    bodyLimitBytes: file.bodyLimitBytes ?? 32 * 1024 * 1024,
    capturePrompts: file.capturePrompts ?? false,
    forwardHeaders: (file.forwardHeaders ?? []).map((h) => h.toLowerCase()),
    connections,
    disconnected,
    models,
    embeddingModels,
    timeouts: {
      firstByteMs: file.timeouts?.firstByteMs ?? 60_000,
      idleMs: file.timeouts?.idleMs ?? 60_000,
      totalMs: file.timeouts?.totalMs ?? 600_000,
      ...(file.timeouts?.nonStreamingFirstByteMs === undefined
        ? {}
        : { nonStreamingFirstByteMs: file.timeouts.nonStreamingFirstByteMs }),
      ...(file.timeouts?.firstChunkMs === undefined ? {} : { firstChunkMs: file.timeouts.firstChunkMs }),
    },
    retry: {
      attemptsPerModel: file.retry?.attemptsPerModel ?? 2,
      baseDelayMs: file.retry?.baseDelayMs ?? 100,
      maxDelayMs: file.retry?.maxDelayMs ?? 2_000,
      maxCandidates: file.retry?.maxCandidates ?? 4,
    },
    breaker: {
      failureThreshold: file.breaker?.failureThreshold ?? 5,
      cooldownMs: file.breaker?.cooldownMs ?? 30_000,
    },
    routing: {
      policy: file.routing?.policy ?? "default",
      policyDir: file.routing?.policyDir ?? "policies",
      classifierModel: file.routing?.classifierModel ?? "models/tier-classifier.onnx",
    },
    budgets: file.budgets ?? [],
    webhookUrl: file.alerts?.webhookUrl,
    metrics: { enabled: file.metrics?.enabled ?? true, token: env.METRICS_TOKEN || undefined },
    log: {
      batchSize: file.log?.batchSize ?? DEFAULT_LOG_BATCH,
      flushIntervalMs: file.log?.flushIntervalMs ?? 50,
      ...(file.log?.deadLetterPath ? { deadLetterPath: file.log.deadLetterPath } : {}),
    },
  };
}

function customModel(provider: string, entry: ModelEntryConfig): CatalogModel {
  return {
    id: `${provider}/${entry.name}`,
    name: entry.name,
    provider,
    upstreamName: entry.upstreamName ?? entry.name,
    tier: entry.tier,
    prices: {
      input: entry.prices.input,
      output: entry.prices.output,
      cachedInput: entry.prices.cachedInput ?? entry.prices.input,
      ...(entry.prices.cacheWrite === undefined ? {} : { cacheWrite: entry.prices.cacheWrite }),
    },
    contextWindow: entry.contextWindow ?? 128_000,
    maxOutputTokens: entry.maxOutputTokens ?? 8_192,
    capabilities: {
      tools: entry.capabilities?.tools ?? true,
      vision: entry.capabilities?.vision ?? false,
      jsonSchema: entry.capabilities?.jsonSchema ?? false,
      streaming: entry.capabilities?.streaming ?? true,
    },
    ...(entry.timeouts ? { timeouts: entry.timeouts } : {}),
  };
}

function customEmbeddingModel(provider: string, entry: EmbeddingModelEntryConfig): EmbeddingModel {
  return {
    kind: "embedding",
    id: `${provider}/${entry.name}`,
    name: entry.name,
    provider,
    upstreamName: entry.upstreamName ?? entry.name,
    prices: { input: entry.prices.input },
    // Unknown unless declared; only shown in /v1/models, never enforced.
    dimensions: entry.dimensions ?? 0,
    ...(entry.timeouts ? { timeouts: entry.timeouts } : {}),
  };
}

function applyOverrides(
  models: CatalogModel[],
  overrides: NonNullable<ConfigFile["models"]>,
  embeddingModels: EmbeddingModel[],
): CatalogModel[] {
  for (const override of overrides) {
    const index = models.findIndex((model) => model.id === override.id);
    const base = models[index];
    const embedding = embeddingModels.findIndex((model) => model.id === override.id);
    const shippedEmbedding = embeddingModels[embedding];
    if (!base && shippedEmbedding) {
      // An embedding model takes an input price, an upstream name and timeouts; nothing else means anything to it.
      embeddingModels[embedding] = {
        ...shippedEmbedding,
        upstreamName: override.upstreamName ?? shippedEmbedding.upstreamName,
        prices: { input: override.prices?.input ?? shippedEmbedding.prices.input },
        ...(override.timeouts || shippedEmbedding.timeouts
          ? { timeouts: { ...shippedEmbedding.timeouts, ...override.timeouts } }
          : {}),
      };
      continue;
    }
    if (!base)
      throw new ConfigError(`models: '${override.id}' is not a shipped model; declare it under providers`);
    models[index] = {
      ...base,
      tier: override.tier ?? base.tier,
      upstreamName: override.upstreamName ?? base.upstreamName,
      prices: { ...base.prices, ...override.prices },
      contextWindow: override.contextWindow ?? base.contextWindow,
      maxOutputTokens: override.maxOutputTokens ?? base.maxOutputTokens,
      capabilities: { ...base.capabilities, ...override.capabilities },
      ...(override.timeouts || base.timeouts ? { timeouts: { ...base.timeouts, ...override.timeouts } } : {}),
    };
  }
  return models;
}

function trimSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}
