// Prometheus metrics of the gateway: counted once per request when it is recorded (a few Map lookups), rendered on
// scrape. Every label comes from a bounded set (catalog models, configured policies, status codes, fixed kinds):
// no request ids, keys, users or agents.

import type { Attempt, RequestContext } from "../context";
import { type Exposition, Histogram, labelText } from "./exposition";

export { CONTENT_TYPE as METRICS_CONTENT_TYPE, Exposition, escapeLabelValue } from "./exposition";

/** Whole-request latency: a millisecond to ten minutes (a stream lasts as long as the model writes). */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
/** The gateway's own time: tens of microseconds when healthy, milliseconds when something is wrong. */
export const OVERHEAD_BUCKETS = [
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

interface Series {
  labels: string[];
  value: number;
}

interface ModelTotals {
  labels: string[];
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  costUsd: number;
  savedUsd: number;
}

interface Latency {
  labels: string[];
  total: Histogram;
  overhead: Histogram;
}

const SEP = "\u0001";
const REQUEST_LABELS = ["endpoint", "provider", "model", "tier", "routing", "code", "outcome"];
const ATTEMPT_LABELS = ["provider", "model", "result"];
const SKIP_LABELS = ["provider", "model", "reason"];
const MODEL_LABELS = ["provider", "model"];
const LATENCY_LABELS = ["routing", "stream"];

/** The provider of a catalog id (`openai/gpt-5` → `openai`). */
function providerOf(modelId: string): string {
  const slash = modelId.indexOf("/");
  return slash < 0 ? modelId : modelId.slice(0, slash);
}

/** What an upstream call came to, as a bounded label: success, or the kind of failure. */
export function attemptResult(attempt: Attempt): string {
  const status = attempt.status ?? 0;
  const error = attempt.error;
  if (error === undefined) return "success";
  if (error === "adapter_error") return "adapter_error";
  if (error === "upstream_auth_error" || status === 401 || status === 403) return "auth_refused";
  if (error === "upstream_redirect" || (status >= 300 && status < 400)) return "redirect";
  if (error.includes("timeout") || status === 408) return "timeout";
  if (error === "stream_interrupted") return "stream_error";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server_error";
  if (status >= 400) return "client_error";
  if (status === 0) return "connect_error";
  // Headers came (2xx) but the body failed before its first content.
  return "stream_error";
}

export class GatewayMetrics {
  private readonly requests = new Map<string, Series>();
  private readonly attempts = new Map<string, Series>();
  private readonly skips = new Map<string, Series>();
  private readonly models = new Map<string, ModelTotals>();
  private readonly latency = new Map<string, Latency>();
  private readonly decisions = new Map<string, Series>();
  private readonly policyErrors = new Map<string, Series>();

  /** Counts one finished request; `totalMs` is the duration the log row records. */
  observe(context: RequestContext, totalMs: number): void {
    const routed = context.routed;
    const modelId = routed?.id ?? "";
    const tier = context.tier ?? routed?.tier ?? "";
    // The requested model is the client's string: only whether it was `auto` becomes a label.
    const routing =
      context.requestedModel === undefined ? "" : context.requestedModel === "auto" ? "auto" : "pinned";
    const status = String(context.status);
    const endpoint = context.endpoint ?? "chat";
    bump(
      this.requests,
      `${endpoint}${SEP}${modelId}${SEP}${tier}${SEP}${routing}${SEP}${status}${SEP}${context.outcome}`,
      () => [endpoint, routed?.provider ?? "", modelId, tier, routing, status, context.outcome],
    );

    let upstreamMs = 0;
    for (const attempt of context.attempts) {
      upstreamMs += attempt.ms;
      if (attempt.skipped !== undefined) {
        const reason = attempt.skipped;
        bump(this.skips, `${attempt.model}${SEP}${reason}`, () => [
          providerOf(attempt.model),
          attempt.model,
          reason,
        ]);
        continue;
      }
      const result = attemptResult(attempt);
      bump(this.attempts, `${attempt.model}${SEP}${result}`, () => [
        providerOf(attempt.model),
        attempt.model,
        result,
      ]);
    }

    if (routed !== undefined) {
      let totals = this.models.get(modelId);
      if (totals === undefined) {
        totals = {
          labels: [routed.provider, modelId],
          promptTokens: 0,
          cachedTokens: 0,
          completionTokens: 0,
          costUsd: 0,
          savedUsd: 0,
        };
        this.models.set(modelId, totals);
      }
      const tokens = context.tokens;
      if (tokens !== undefined) {
        totals.promptTokens += tokens.prompt;
        totals.cachedTokens += tokens.cached ?? 0;
        totals.completionTokens += tokens.completion;
      }
      totals.costUsd += context.costUsd;
      totals.savedUsd += context.savedUsd;
    }

    const stream = context.request?.stream === true ? "true" : "false";
    const latencyKey = `${routing}${SEP}${stream}`;
    let latency = this.latency.get(latencyKey);
    if (latency === undefined) {
      latency = {
        labels: [routing, stream],
        total: new Histogram(DURATION_BUCKETS),
        overhead: new Histogram(OVERHEAD_BUCKETS),
      };
      this.latency.set(latencyKey, latency);
    }
    // Waiting on upstreams (the dispatch stage, retries' backoff included) and relaying a stream at the model's
    // pace are not the gateway's own time. Dispatch is unset when every candidate failed: its calls are summed.
    const stages = context.stages;
    const waited = (stages.dispatch ?? upstreamMs) + (stages.stream ?? 0);
    latency.total.observe(totalMs / 1000);
    latency.overhead.observe(Math.max(0, totalMs - waited) / 1000);

    const policy = context.policy;
    if (policy !== undefined) {
      const name = policy.name;
      bump(this.decisions, `${name}${SEP}${tier}`, () => [name, tier]);
      if (policy.error !== undefined) bump(this.policyErrors, name, () => [name]);
    }
  }

  /** Writes the counters and histograms; gauges are the caller's (they are read at scrape time). */
  write(out: Exposition): void {
    counter(
      out,
      "spendex_requests_total",
      "Requests by endpoint (chat or embeddings), routed model, tier, routing (auto or pinned), HTTP status code and outcome.",
      REQUEST_LABELS,
      this.requests,
    );
    counter(
      out,
      "spendex_upstream_attempts_total",
      "Upstream calls by model and result: success, timeout, connect_error, server_error, rate_limited, auth_refused, redirect, client_error, stream_error, adapter_error.",
      ATTEMPT_LABELS,
      this.attempts,
    );
    counter(
      out,
      "spendex_upstream_skips_total",
      "Candidates skipped without a call: circuit_open or unsupported.",
      SKIP_LABELS,
      this.skips,
    );
    const models = [...this.models.values()];
    const totals: Array<[string, string, (m: ModelTotals) => number]> = [
      [
        "spendex_prompt_tokens_total",
        "Prompt tokens billed, by routed model (estimated when the upstream reported none).",
        (m) => m.promptTokens,
      ],
      [
        "spendex_cached_prompt_tokens_total",
        "Prompt tokens read from the provider's cache, by routed model.",
        (m) => m.cachedTokens,
      ],
      [
        "spendex_completion_tokens_total",
        "Completion tokens billed, by routed model.",
        (m) => m.completionTokens,
      ],
      ["spendex_cost_usd_total", "Cost in US dollars at catalog prices, by routed model.", (m) => m.costUsd],
      [
        "spendex_saved_usd_total",
        "Saving in US dollars against the baseline model, by routed model (negative when dearer).",
        (m) => m.savedUsd,
      ],
    ];
    for (const [name, help, read] of totals) {
      out.family(name, "counter", help);
      for (const m of models) out.sample(name, labelText(MODEL_LABELS, m.labels), read(m));
    }
    const latencies = [...this.latency.values()];
    out.family(
      "spendex_request_duration_seconds",
      "histogram",
      "Whole request as the gateway saw it, from arrival to the log record (a stream until its end).",
    );
    for (const l of latencies)
      out.histogram("spendex_request_duration_seconds", LATENCY_LABELS, l.labels, l.total);
    out.family(
      "spendex_gateway_overhead_seconds",
      "histogram",
      "The gateway's own time per request: the total minus waiting on upstreams (backoff included) and relaying a stream.",
    );
    for (const l of latencies)
      out.histogram("spendex_gateway_overhead_seconds", LATENCY_LABELS, l.labels, l.overhead);
    counter(
      out,
      "spendex_policy_decisions_total",
      "Routing decisions for model auto, by policy and tier.",
      ["policy", "tier"],
      this.decisions,
    );
    counter(
      out,
      "spendex_policy_errors_total",
      "Policy decisions that failed (threw, timed out, answered nonsense or an unusable model) and fell back.",
      ["policy"],
      this.policyErrors,
    );
  }
}

function bump(map: Map<string, Series>, key: string, labels: () => string[]): void {
  const series = map.get(key);
  if (series !== undefined) series.value += 1;
  else map.set(key, { labels: labels(), value: 1 });
}

function counter(
  out: Exposition,
  name: string,
  help: string,
  labelNames: readonly string[],
  series: Map<string, Series>,
): void {
  out.family(name, "counter", help);
  for (const s of series.values()) out.sample(name, labelText(labelNames, s.labels), s.value);
}
