// Builds the whole server from settings: store, catalog, adapters, gateway, HTTP app. No side effects beyond
// opening the store, so tests build one per case and call `app.handle(new Request(...))`.

import { Catalog } from "./catalog";
import type { Classifier } from "./classify";
import type { Settings } from "./config";
import { type AlertSender, BudgetGuard, createGateway, type Gateway, webhookAlerts } from "./gateway";
import { Breakers } from "./gateway/breaker";
import { LatencyTracker } from "./gateway/latency";
import { type App, createApp } from "./http";
import { createAdapter, type ProviderAdapter } from "./providers";
import { loadRouting, type Routing } from "./routing";
import { openStore, type Store } from "./store";

export interface Server {
  app: App;
  gateway: Gateway;
  store: Store;
  catalog: Catalog;
  budgets: BudgetGuard;
  routing: Routing | undefined;
  alerts: AlertSender | undefined;
  close(): Promise<void>;
}

export interface BuildOptions {
  fetch?: typeof fetch;
  store?: Store;
  /** A classifier to use instead of the shipped ONNX model (tests). */
  classifier?: Classifier;
  /** Load the classifier and policies for `auto` (default true); `watch` hot-reloads policy files. */
  routing?: boolean;
  watch?: boolean;
  /** Where relative paths of the config (models/, policies/) resolve; default the working directory. */
  root?: string;
  log?: (line: string) => void;
}

export async function buildServer(settings: Settings, options: BuildOptions = {}): Promise<Server> {
  const store = options.store ?? openStore({ url: settings.databaseUrl, log: settings.log });
  const catalog = new Catalog(settings.models);
  const adapters = new Map<string, ProviderAdapter>();
  for (const connection of settings.connections) {
    adapters.set(connection.name, createAdapter(connection, options.fetch ?? fetch));
  }
  // Budgets in the config file are the source of truth for their entries; the CLI manages the others.
  for (const budget of settings.budgets) store.budgets.set({ ...budget });
  const alerts = settings.webhookUrl
    ? webhookAlerts({ url: settings.webhookUrl, fetch: options.fetch ?? fetch })
    : undefined;
  const budgets = new BudgetGuard(store.budgets, alerts ? { onAlert: (alert) => alerts.send(alert) } : {});
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
    breakers,
    latency,
    ...(auto ? { auto } : {}),
    onUnexpectedError: (requestId, error) =>
      (options.log ?? console.error)(
        `${requestId} unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ),
  });
  const app = createApp({
    gateway,
    catalog,
    readiness: () => {
      const storeOk = store.ping();
      const extra = routing?.readiness() ?? {};
      return {
        ok: storeOk && catalog.all().length > 0,
        store: storeOk ? "ok" : "unreachable",
        catalog_models: catalog.all().length,
        providers: [...gateway.connected],
        log_pending: store.log.pending(),
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
      budgets.flushReserved();
      await routing?.close();
      await alerts?.drain();
      await store.close();
    },
  };
}
