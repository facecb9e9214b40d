// Budget alerts: each threshold crossing is POSTed once to the configured webhook, retried with backoff.

import type { Alert } from "./budgets";

export interface AlertSender {
  send(alert: Alert): void;
  /** Resolves when every alert in flight has been delivered or given up on (tests, shutdown). */
  drain(): Promise<void>;
}

export function webhookAlerts(options: {
  url: string;
  fetch?: typeof fetch;
  attempts?: number;
  baseDelayMs?: number;
  onFailure?: (alert: Alert, error: unknown) => void;
}): AlertSender {
  const fetchImpl = options.fetch ?? fetch;
  const attempts = options.attempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const inFlight = new Set<Promise<void>>();

  async function deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify({
      type: "spendex.budget_alert",
      ...alert,
      percent: Math.round(alert.threshold * 100),
    });
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetchImpl(options.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.ok) return;
        lastError = new Error(`webhook answered HTTP ${response.status}`);
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        lastError = error;
      }
      if (attempt < attempts) await Bun.sleep(baseDelayMs * 2 ** (attempt - 1));
    }
    options.onFailure?.(alert, lastError);
  }

  return {
    send(alert) {
      const promise = deliver(alert).finally(() => inFlight.delete(promise));
      inFlight.add(promise);
    },
    async drain() {
      await Promise.all([...inFlight]);
    },
  };
}
