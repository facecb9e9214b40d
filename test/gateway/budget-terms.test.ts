// The 402 a budget answers with: the period spelled as a word, the budget named, the remaining spend and reset time.

import { describe, expect, test } from "bun:test";
import { exceeded, type Ledger } from "../../src/gateway/budget-terms";

const now = Date.UTC(2026, 10, 27, 5, 0, 0);

function ledger(period: "day" | "month", spent: number): Ledger {
  return { period, periodStart: 0, periodEnd: 0, resetsAt: "", spent, reserved: 0, alerted: 0 };
}

describe("exceeded", () => {
  test.each([
    [
      "day" as const,
      "The daily budget of key 'backend' ($0.5) cannot cover this request ($0.2 remaining). It resets at 2026-11-28T00:00:00.000Z.",
    ],
    [
      "month" as const,
      "The monthly budget of key 'backend' ($0.5) cannot cover this request ($0.2 remaining). It resets at 2026-12-01T00:00:00.000Z.",
    ],
  ])("a %s budget", (period, message) => {
    const error = exceeded(
      { scope: "key", name: "backend", period, limitUsd: 0.5 },
      ledger(period, 0.3),
      now,
    );
    expect(error.status).toBe(402);
    expect(error.type).toBe("billing_error");
    expect(error.code).toBe("budget_exceeded");
    expect(error.message).toBe(message);
    expect(error.headers).toEqual({ "x-should-retry": "false" });
  });
});
