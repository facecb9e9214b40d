// Builds the whole server from settings: store, catalog, adapters, gateway, HTTP app. No side effects beyond
// opening the store, so tests build one per case and call `app.handle(new Request(...))`.

import { Catalog } from "./catalog";
import type { Classifier } from "./classify";
import type { Settings } from "./config";
import {
  type Alert,
  type AlertSender,
  BudgetGuard,
  createGateway,
  type Gateway,
  RateLimiter,
  webhookAlerts,
} from "./gateway";
import { Breakers } from "./gateway/breaker";
import { LatencyTracker } from "./gateway/latency";
import { type App, createApp } from "./http";
import { createAdapter, type ProviderAdapter } from "./providers";
import { loadRouting, type Routing } from "./routing";
import { openSharedCounter, openSharedRateCounter, openStore, type Store } from "./store";

export interface Server<S extends Store = Store> {
  app: App;
  gateway: Gateway;
  store: S;
  catalog: Catalog;
  budgets: BudgetGuard;
  routing: Routing | undefined;
  alerts: AlertSender | undefined;
  close(): Promise<void>;
}

export interface BuildOptions<S extends Store = Store> {
  fetch?: typeof fetch;
  /** A store opened by the caller (tests); typed through, so a SQLite store keeps its synchronous repositories. */
  store?: S;
  /** Prefix of the shared budget counters in Redis (tests isolate runs with it). */
  redisPrefix?: string;
  /** A classifier to use instead of the shipped ONNX model (tests). */
  classifier?: Classifier;
  /** Load the classifier and policies for `auto` (default true); `watch` hot-reloads policy files. */
  routing?: boolean;
  watch?: boolean;
  /** Where relative paths of the config (models/, policies/) resolve; default the working directory. */
  root?: string;
  log?: (line: string) => void;
  /** The rate limiters' clock (tests freeze it to assert exact bucket figures); default Date.now. */
  rateClock?: () => number;
}

export async function buildServer<S extends Store = Store>(
  settings: Settings,
  options: BuildOptions<S> = {},
): Promise<Server<S>> {
  const log = options.log ?? console.error;
  const store = (options.store ??
    openStore({ url: settings.databaseUrl, log: { ...settings.log, writer: "thread" } })) as S;
  // PostgreSQL applies its migrations in the background; an unreachable database fails start-up here, clearly.
  await store.ready;
  const catalog = new Catalog(settings.models, settings.embeddingModels);
  const adapters = new Map<string, ProviderAdapter>();
  for (const connection of settings.connections) {
    adapters.set(connection.name, createAdapter(connection, options.fetch ?? fetch));
  }
  // Budgets in the config file are the source of truth for their entries; the CLI manages the others.
  for (const budget of settings.budgets) await store.budgets.set({ ...budget });
  const alerts = settings.webhookUrl
    ? webhookAlerts({ url: settings.webhookUrl, fetch: options.fetch ?? fetch })
    : undefined;
  // With REDIS_URL, reservations are shared by every instance; without it each instance reserves on its own.
  const shared = settings.redisUrl
    ? openSharedCounter(settings.redisUrl, {
        ...(options.redisPrefix ? { prefix: options.redisPrefix } : {}),
        onError: (error) => log(`shared budget counter: ${(error as Error).message}`),
      })
    : undefined;
  const budgets = new BudgetGuard(store.budgets, {
    ...(alerts ? { onAlert: (alert: Alert) => alerts.send(alert) } : {}),
    ...(shared ? { shared } : {}),
    onError: (error) => log(`budgets: ${(error as Error).message}`),
  });
  // Per-key request limits: one bucket per key in Redis with REDIS_URL (falling back to this instance's own while
  // Redis cannot be reached), else in this instance's memory.
  const sharedRates = settings.redisUrl
    ? openSharedRateCounter(settings.redisUrl, {
        ...(options.redisPrefix ? { prefix: options.redisPrefix } : {}),
        onError: (error) => log(`shared rate limits: ${(error as Error).message}`),
      })
    : undefined;
  const rateLimiter = new RateLimiter({
    ...(sharedRates ? { shared: sharedRates } : {}),
    ...(options.rateClock ? { now: options.rateClock } : {}),
    onError: (error) =>
      log(`rate limits: Redis unavailable, limiting per instance: ${(error as Error).message}`),
  });
  const breakers = new Breakers(settings.breaker);
  const latency = new LatencyTracker();
  const routing: Routing | undefined =
    options.routing === false
      ? undefined
      : await loadRouting({
          settings,
          catalog,
          breakers,
          latency,
          ...(options.root ? { root: options.root } : {}),
          ...(options.watch ? { watch: true } : {}),
          ...(options.log ? { log: options.log } : {}),
          ...(options.classifier ? { classifier: options.classifier } : {}),
        });
  const auto = routing?.auto;
  const gateway = createGateway({
    settings,
    catalog,
    store,
    adapters,
    budgets,
    rateLimiter,
    breakers,
    latency,
    ...(auto ? { auto } : {}),
    onUnexpectedError: (requestId, error) =>
      log(
        `${requestId} unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ),
    onProviderMisconfigured: misconfigurationWarning(log),
  });
  const app = createApp({
    gateway,
    catalog,
    metrics: settings.metrics,
    readiness: async () => {
      const storeOk = await store.ping();
      const extra = routing?.readiness() ?? {};
      return {
        ok: storeOk && catalog.all().length > 0,
        store: storeOk ? "ok" : "unreachable",
        catalog_models: catalog.all().length,
        providers: [...gateway.connected],
        log_pending: store.log.pending(),
        log_dead_lettered: store.log.deadLetteredCount(),
        ...extra,
      };
    },
  });
  return {
    app,
    gateway,
    store,
    catalog,
    budgets,
    alerts,
    routing,
    async close() {
      await budgets.close();
      await routing?.close();
      await alerts?.drain();
      await shared?.close();
      await sharedRates?.close();
      await store.close();
    },
  };
}

/** How often a provider that keeps refusing its key is reported: requests fail over silently in between. */
const MISCONFIGURATION_REPORT_MS = 60_000;

/**
 * A provider that refuses its configured key (or redirects) is failed over, so clients keep being answered, often by
 * a pricier model: the operator must hear of it. Once a minute per provider; the message names the provider, never
 * the key.
 */
function misconfigurationWarning(log: (line: string) => void): (provider: string, message: string) => void {
  const reported = new Map<string, number>();
  return (provider, message) => {
    const now = Date.now();
    if (now - (reported.get(provider) ?? Number.NEGATIVE_INFINITY) < MISCONFIGURATION_REPORT_MS) return;
    reported.set(provider, now);
    log(`spendex: ${message} Requests fail over to other providers meanwhile (reported once a minute).`);
  };
}
