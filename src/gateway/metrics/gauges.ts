// Gauges read at scrape time: circuit breakers of the connected models and providers, requests in flight, log rows.

import type { CatalogModel } from "../../catalog";
import type { BreakerState, Breakers } from "../breaker";
import type { BudgetGauges } from "./budgets";
import { Exposition, labelText } from "./exposition";
import type { GatewayMetrics } from "./index";

export interface GaugeSources {
  breakers: Breakers;
  /** The catalog's models; only those of connected providers are reported. */
  models: () => readonly CatalogModel[];
  connected: ReadonlySet<string>;
  inFlight: () => number;
  log: { pending(): number; deadLetteredCount(): number };
}

const STATE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export function writeGauges(out: Exposition, sources: GaugeSources): void {
  const { breakers, connected } = sources;
  out.family(
    "spendex_circuit_breaker_state",
    "gauge",
    'Circuit breaker per connected model and per provider (model=""): 0 closed, 1 half-open, 2 open.',
  );
  for (const provider of connected) {
    out.sample(
      "spendex_circuit_breaker_state",
      labelText(["provider", "model"], [provider, ""]),
      STATE[breakers.state(provider)],
    );
  }
  for (const model of sources.models()) {
    if (!connected.has(model.provider)) continue;
    out.sample(
      "spendex_circuit_breaker_state",
      labelText(["provider", "model"], [model.provider, model.id]),
      STATE[breakers.state(model.id)],
    );
  }
  out.family(
    "spendex_requests_in_flight",
    "gauge",
    "Chat requests started and not yet recorded (streams included).",
  );
  out.sample("spendex_requests_in_flight", "", sources.inFlight());
  out.family(
    "spendex_log_rows_pending",
    "gauge",
    "Request-log rows queued and not yet written to the store.",
  );
  out.sample("spendex_log_rows_pending", "", sources.log.pending());
  out.family(
    "spendex_log_rows_dead_lettered",
    "gauge",
    "Request-log rows the store refused for good, set aside in the dead-letter file since start.",
  );
  out.sample("spendex_log_rows_dead_lettered", "", sources.log.deadLetteredCount());
}

/**
 * One scrape: the request counters and histograms, then the gauges, then (only when given, i.e. behind
 * METRICS_TOKEN) the budgets, whose read from the store is the one asynchronous step.
 */
export async function renderMetrics(
  metrics: GatewayMetrics,
  sources: GaugeSources,
  budgets?: BudgetGauges,
): Promise<string> {
  const out = new Exposition();
  metrics.write(out);
  writeGauges(out, sources);
  if (budgets) await budgets.write(out);
  return out.toString();
}
