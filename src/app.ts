// Builds the whole server from settings: store, catalog, adapters, gateway, HTTP app. No side effects beyond
// opening the store, so tests build one per case and call `app.handle(new Request(...))`.

import { Catalog } from "./catalog";
import type { Settings } from "./config";
import { type AlertSender, type AutoRouter, BudgetGuard, createGateway, type Gateway, webhookAlerts } from "./gateway";
import { type App, createApp } from "./http";
import { createAdapter, type ProviderAdapter } from "./providers";
import { openStore, type Store } from "./store";

export interface Server {
  app: App;
  gateway: Gateway;
  store: Store;
  catalog: Catalog;
  budgets: BudgetGuard;
  alerts: AlertSender | undefined;
  close(): Promise<void>;
}

export interface BuildOptions {
  fetch?: typeof fetch;
  store?: Store;
  auto?: AutoRouter;
  /** Extra readiness facts (policies compiled, classifier loaded). */
  readiness?: () => Record<string, unknown>;
}

export function buildServer(settings: Settings, options: BuildOptions = {}): Server {
  const store =
    options.store ?? openStore({ url: settings.databaseUrl, log: settings.log });
  const catalog = new Catalog(settings.models);
  const adapters = new Map<string, ProviderAdapter>();
  for (const connection of settings.connections) {
    adapters.set(connection.name, createAdapter(connection, options.fetch ?? fetch));
  }
  // Budgets in the config file are the source of truth for their entries; the CLI manages the others.
  for (const budget of settings.budgets) store.budgets.set({ ...budget });
  const alerts = settings.webhookUrl ? webhookAlerts({ url: settings.webhookUrl, fetch: options.fetch ?? fetch }) : undefined;
  const budgets = new BudgetGuard(store.budgets, alerts ? { onAlert: (alert) => alerts.send(alert) } : {});
  const gateway = createGateway({
    settings,
    catalog,
    store,
    adapters,
    budgets,
    ...(options.auto ? { auto: options.auto } : {}),
  });
  const app = createApp({
    gateway,
    catalog,
    readiness: () => {
      const storeOk = store.ping();
      const extra = options.readiness?.() ?? {};
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
    async close() {
      budgets.flushReserved();
      await alerts?.drain();
      await store.close();
    },
  };
}
