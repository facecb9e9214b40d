// The exposition writer and the per-request counting, without a server: escaping, histograms, policy decisions,
// and the failure kinds an attempt is counted under.

import { describe, expect, test } from "bun:test";
import type { CatalogModel } from "../../src/catalog";
import { BUILTIN_MODELS } from "../../src/catalog";
import { type Attempt, newContext } from "../../src/gateway/context";
import { attemptResult, Exposition, escapeLabelValue, GatewayMetrics } from "../../src/gateway/metrics";
import { Histogram, labelText } from "../../src/gateway/metrics/exposition";
import { parseExposition } from "../support/prometheus";

describe("exposition", () => {
  test.each([
    ["plain", "plain"],
    ['a"b', 'a\\"b'],
    ["a\\b", "a\\\\b"],
    ["a\nb", "a\\nb"],
    ['\\"\n', '\\\\\\"\\n'],
  ])("label value %j is written as %j and reads back", (raw, written) => {
    expect(escapeLabelValue(raw)).toBe(written);
    const out = new Exposition().family("x_total", "counter", "help with \\ and\nnewline");
    out.sample("x_total", labelText(["v"], [raw]), 3);
    const scrape = parseExposition(out.toString());
    expect(scrape.value("x_total", { v: raw })).toBe(3);
    expect(scrape.help.get("x_total")).toBe("help with \\ and\nnewline");
  });

  test("a histogram's buckets are cumulative, +Inf equals _count, values above the last bound count only there", () => {
    const h = new Histogram([0.001, 0.01, 0.1]);
    for (const v of [0.0005, 0.001, 0.005, 0.05, 0.2, 7]) h.observe(v);
    const out = new Exposition().family("d_seconds", "histogram", "d");
    out.histogram("d_seconds", ["a"], ["b"], h);
    const scrape = parseExposition(out.toString());
    expect(scrape.select("d_seconds_bucket").map((s) => [s.labels.le, s.value])).toEqual([
      ["0.001", 2],
      ["0.01", 3],
      ["0.1", 4],
      ["+Inf", 6],
    ]);
    expect(scrape.value("d_seconds_count", { a: "b" })).toBe(6);
    expect(scrape.value("d_seconds_sum", { a: "b" }) as number).toBeCloseTo(7.2565, 10);
  });

  test("the reader refuses what the format does not allow", () => {
    expect(() => parseExposition('# TYPE a counter\n# HELP a h\na{x="y} 1\n')).toThrow();
    expect(() => parseExposition("a 1\n")).toThrow(/before its TYPE/);
    expect(() => parseExposition('# HELP a h\n# TYPE a counter\na{x="\\t"} 1\n')).toThrow(/escape/);
    expect(() => parseExposition("# HELP a h\n# TYPE a counter\na 1\na 2\n")).toThrow(/duplicate/);
  });
});

const model = (id: string) => BUILTIN_MODELS.find((m) => m.id === id) as CatalogModel;

describe("counting a request", () => {
  test("an auto request counts its policy decision, and a policy error", () => {
    const metrics = new GatewayMetrics();
    for (const error of [undefined, "route() threw: boom"]) {
      const context = newContext("req_1");
      context.requestedModel = "auto";
      context.pinned = false;
      context.tier = "medium";
      context.routed = model("openai/gpt-5-mini");
      context.status = 200;
      context.policy = { name: "default", revision: "r1", ...(error ? { error } : {}) };
      context.attempts.push({ model: "openai/gpt-5-mini", status: 200, ms: 1 });
      context.stages.dispatch = 1;
      metrics.observe(context, 1.5);
    }
    const out = new Exposition();
    metrics.write(out);
    const scrape = parseExposition(out.toString());
    expect(scrape.value("spendex_policy_decisions_total", { policy: "default", tier: "medium" })).toBe(2);
    expect(scrape.value("spendex_policy_errors_total", { policy: "default" })).toBe(1);
    const labels = { routing: "auto", stream: "false" };
    expect(scrape.value("spendex_gateway_overhead_seconds_count", labels)).toBe(2);
    expect(scrape.value("spendex_gateway_overhead_seconds_sum", labels) as number).toBeCloseTo(0.001, 12);
    expect(scrape.value("spendex_request_duration_seconds_sum", labels) as number).toBeCloseTo(0.003, 12);
  });

  const attempt = (status: number | null, error?: string): Attempt => ({
    model: "openai/gpt-5",
    status,
    ms: 1,
    ...(error ? { error } : {}),
  });
  test.each([
    [attempt(200), "success"],
    [attempt(0, "upstream_timeout"), "timeout"],
    [attempt(0, "upstream_unavailable"), "connect_error"],
    [attempt(0, "upstream_unreachable"), "connect_error"],
    [attempt(0, "stream_interrupted"), "stream_error"],
    [attempt(503, "upstream_unavailable"), "server_error"],
    [attempt(529, "upstream_overloaded"), "server_error"],
    [attempt(429, "upstream_rate_limited"), "rate_limited"],
    [attempt(401, "upstream_auth_error"), "auth_refused"],
    [attempt(403, "upstream_auth_error"), "auth_refused"],
    [attempt(302, "upstream_redirect"), "redirect"],
    [attempt(408, "upstream_error"), "timeout"],
    [attempt(0, "adapter_error"), "adapter_error"],
    [attempt(200, "stream_interrupted"), "stream_error"],
  ])("attempt %j counts as %s", (a, result) => {
    expect(attemptResult(a)).toBe(result);
  });
});
