// GET /metrics: exact counters after known traffic (success, 4xx, failover, stream, refused provider key), a strict
// parse of the exposition, label escaping, bounded cardinality and the endpoint's authentication.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness";
import { parseExposition, type Scrape } from "../support/prometheus";

interface Answer {
  usage?: { prompt_tokens: number; completion_tokens: number };
  spendex?: { cost_usd: number; routed_model: string };
  error?: { code: string };
}

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "Ping" }],
  ...extra,
});

/** Scrapes without any Authorization header, as a Prometheus server without credentials does. */
async function scrape(h: Harness, headers: Record<string, string> = {}): Promise<Response> {
  return h.server.app.handle(new Request("http://spendex.local/metrics", { headers }));
}

async function metricsOf(h: Harness): Promise<Scrape> {
  const response = await scrape(h);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await response.text());
}

/** Data events of an SSE body. */
function events(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n\n")
    .map((block) => block.replace(/^data: /, "").trim())
    .filter((data) => data !== "" && data !== "[DONE]")
    .map((data) => JSON.parse(data) as Record<string, unknown>);
}

const ODD_MODEL = 'odd"one\\out';

describe("after known traffic", () => {
  let h: Harness;
  let m: Scrape;
  const promptTokens = { nano: 0, small: 0 };
  const completionTokens = { nano: 0, small: 0 };
  let nanoCost = 0;

  beforeAll(async () => {
    h = await startHarness({
      providers: ["openai", "mistral"],
      config: {
        breaker: { failureThreshold: 1000, cooldownMs: 300 },
        retry: { attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 5 },
        // A model whose name carries a double quote and a backslash, which label values must escape.
        providers: [
          {
            name: "odd",
            baseUrl: "{sim}/v1",
            apiKeyEnv: "ODD_KEY",
            models: [
              {
                name: ODD_MODEL,
                upstreamName: "gpt-5-nano",
                tier: "complex",
                prices: { input: 1, output: 1 },
              },
            ],
          },
        ],
      },
      env: { ODD_KEY: "sk-odd-secret-0123456789" },
    });
    const send = async (json: unknown, headers: Record<string, string> = {}) => {
      const response = await h.call("/v1/chat/completions", { json, headers });
      return { status: response.status, body: (await response.json()) as Answer };
    };
    // 1. a plain success
    const plain = await send(ask("gpt-5-nano"));
    expect(plain.status).toBe(200);
    promptTokens.nano += plain.body.usage?.prompt_tokens ?? 0;
    completionTokens.nano += plain.body.usage?.completion_tokens ?? 0;
    nanoCost += plain.body.spendex?.cost_usd ?? 0;
    // 2. a 4xx: an unknown model (the client's string never becomes a label)
    expect((await send(ask("no-such-model-xyz"))).status).toBe(404);
    // 3. two 500s on the pinned model, then failover to Mistral's model of the tier
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 500, times: 2 } });
    const failover = await send(ask("gpt-5-nano"));
    h.sim.setFaults({});
    expect(failover.status).toBe(200);
    expect(failover.body.spendex?.routed_model).toBe("mistral-small");
    promptTokens.small += failover.body.usage?.prompt_tokens ?? 0;
    completionTokens.small += failover.body.usage?.completion_tokens ?? 0;
    // 4. a stream, with its usage
    const stream = await h.call("/v1/chat/completions", {
      json: ask("gpt-5-nano", { stream: true, stream_options: { include_usage: true } }),
    });
    const last = events(await stream.text()).at(-1) as unknown as Answer;
    promptTokens.nano += last.usage?.prompt_tokens ?? 0;
    completionTokens.nano += last.usage?.completion_tokens ?? 0;
    nanoCost += last.spendex?.cost_usd ?? 0;
    // 5. a bad key
    expect((await send(ask("gpt-5-nano"), { authorization: "Bearer spx_sk_test_nope" })).status).toBe(401);
    // 6. the model with the odd name
    expect((await send(ask(`odd/${ODD_MODEL}`))).status).toBe(200);
    m = await metricsOf(h);
  });
  afterAll(() => h.close());

  test("requests are counted by routed model, tier, routing, status code and outcome", () => {
    const pinned = { endpoint: "chat", routing: "pinned", outcome: "complete", code: "200", tier: "simple" };
    expect(
      m.value("spendex_requests_total", { ...pinned, provider: "openai", model: "openai/gpt-5-nano" }),
    ).toBe(2);
    expect(
      m.value("spendex_requests_total", { ...pinned, provider: "mistral", model: "mistral/mistral-small" }),
    ).toBe(1);
    const unrouted = { endpoint: "chat", provider: "", model: "", tier: "", outcome: "failed" };
    expect(m.value("spendex_requests_total", { ...unrouted, routing: "pinned", code: "404" })).toBe(1);
    // The key is refused before the body is read: whether it was auto is unknown.
    expect(m.value("spendex_requests_total", { ...unrouted, routing: "", code: "401" })).toBe(1);
    const total = m.select("spendex_requests_total").reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(6);
  });

  test("upstream attempts show the failures that failover hid", () => {
    const nano = { provider: "openai", model: "openai/gpt-5-nano" };
    expect(m.value("spendex_upstream_attempts_total", { ...nano, result: "server_error" })).toBe(2);
    expect(m.value("spendex_upstream_attempts_total", { ...nano, result: "success" })).toBe(2);
    expect(
      m.value("spendex_upstream_attempts_total", {
        provider: "mistral",
        model: "mistral/mistral-small",
        result: "success",
      }),
    ).toBe(1);
    expect(m.select("spendex_upstream_attempts_total").length).toBe(4);
  });

  test("histograms: _count matches the requests, buckets are cumulative and end at _count", () => {
    for (const name of ["spendex_request_duration_seconds", "spendex_gateway_overhead_seconds"]) {
      expect(m.types.get(name)).toBe("histogram");
      expect(m.value(`${name}_count`, { routing: "pinned", stream: "false" })).toBe(4);
      expect(m.value(`${name}_count`, { routing: "pinned", stream: "true" })).toBe(1);
      expect(m.value(`${name}_count`, { routing: "", stream: "false" })).toBe(1);
      for (const labels of [
        { routing: "pinned", stream: "false" },
        { routing: "pinned", stream: "true" },
      ]) {
        const buckets = m.select(`${name}_bucket`, labels).map((s) => s.value);
        for (let i = 1; i < buckets.length; i++)
          expect(buckets[i] as number).toBeGreaterThanOrEqual(buckets[i - 1] as number);
        expect(m.select(`${name}_bucket`, { ...labels, le: "+Inf" })[0]?.value).toBe(
          m.value(`${name}_count`, labels),
        );
        expect(m.value(`${name}_sum`, labels) as number).toBeGreaterThan(0);
      }
    }
    // The gateway's own time never exceeds the whole request's.
    const labels = { routing: "pinned", stream: "false" };
    expect(m.value("spendex_gateway_overhead_seconds_sum", labels) as number).toBeLessThan(
      m.value("spendex_request_duration_seconds_sum", labels) as number,
    );
  });

  test("tokens and cost per routed model add up to what the responses said", () => {
    const nano = { provider: "openai", model: "openai/gpt-5-nano" };
    const small = { provider: "mistral", model: "mistral/mistral-small" };
    expect(promptTokens.nano).toBeGreaterThan(0);
    expect(m.value("spendex_prompt_tokens_total", nano)).toBe(promptTokens.nano);
    expect(m.value("spendex_completion_tokens_total", nano)).toBe(completionTokens.nano);
    expect(m.value("spendex_prompt_tokens_total", small)).toBe(promptTokens.small);
    expect(m.value("spendex_completion_tokens_total", small)).toBe(completionTokens.small);
    expect(m.value("spendex_cost_usd_total", nano) as number).toBeCloseTo(nanoCost, 12);
    expect(m.value("spendex_saved_usd_total", nano)).toBe(0);
  });

  test("label values escape quotes and backslashes, and read back as the model's id", () => {
    expect(
      m.value("spendex_requests_total", {
        endpoint: "chat",
        provider: "odd",
        model: `odd/${ODD_MODEL}`,
        tier: "complex",
        routing: "pinned",
        code: "200",
        outcome: "complete",
      }),
    ).toBe(1);
    return scrape(h).then(async (response) => {
      expect(await response.text()).toContain('model="odd/odd\\"one\\\\out"');
    });
  });

  test("gauges: breakers of connected models, requests in flight, log rows", () => {
    expect(m.types.get("spendex_circuit_breaker_state")).toBe("gauge");
    expect(m.value("spendex_circuit_breaker_state", { provider: "openai", model: "" })).toBe(0);
    expect(m.value("spendex_circuit_breaker_state", { provider: "openai", model: "openai/gpt-5-nano" })).toBe(
      0,
    );
    // Anthropic is not connected: its models are not reported.
    expect(m.select("spendex_circuit_breaker_state", { provider: "anthropic" })).toEqual([]);
    expect(m.value("spendex_requests_in_flight")).toBe(0);
    expect(m.value("spendex_log_rows_dead_lettered")).toBe(0);
    expect(m.value("spendex_log_rows_pending") as number).toBeGreaterThanOrEqual(0);
  });

  test("no secret, key name or client string appears in the exposition", async () => {
    const text = await (await scrape(h)).text();
    for (const secret of [
      h.key,
      "test-openai-key",
      "sk-odd-secret",
      "no-such-model-xyz",
      "spx_sk_test_nope",
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/key_name|team|agent|user=/);
  });

  test("1,000 distinct users, agents and unknown models add no series", async () => {
    const before = (await metricsOf(h)).samples.length;
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const n = batch * 50 + i;
          const json = n % 2 === 0 ? ask("gpt-5-nano", { user: `user-${n}` }) : ask(`made-up-${n}`);
          const response = await h.call("/v1/chat/completions", {
            json,
            headers: { "x-spendex-agent": `agent-${n}` },
          });
          await response.arrayBuffer();
        }),
      );
    }
    const after = await metricsOf(h);
    expect(after.samples.length).toBe(before);
    const pinned = {
      endpoint: "chat",
      provider: "openai",
      model: "openai/gpt-5-nano",
      tier: "simple",
      routing: "pinned",
    };
    expect(after.value("spendex_requests_total", { ...pinned, code: "200", outcome: "complete" })).toBe(
      2 + 500,
    );
    expect(
      after.value("spendex_requests_total", {
        endpoint: "chat",
        provider: "",
        model: "",
        tier: "",
        routing: "pinned",
        code: "404",
        outcome: "failed",
      }),
    ).toBe(1 + 500);
  });
});

describe("a provider that refuses its key, and an open circuit", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: ["openai", "anthropic"],
      simulator: { requireKey: "test-anthropic-key" },
      config: { breaker: { failureThreshold: 1, cooldownMs: 60_000 } },
      build: { log: () => undefined },
    });
  });
  afterAll(() => h.close());

  test("the refusal is counted as auth_refused, and the provider's circuit shows open", async () => {
    const first = await h.call("/v1/chat/completions", { json: ask("gpt-5-nano") });
    expect(first.status).toBe(200);
    let m = await metricsOf(h);
    expect(
      m.value("spendex_upstream_attempts_total", {
        provider: "openai",
        model: "openai/gpt-5-nano",
        result: "auth_refused",
      }),
    ).toBe(1);
    expect(m.value("spendex_circuit_breaker_state", { provider: "openai", model: "" })).toBe(2);
    expect(m.value("spendex_circuit_breaker_state", { provider: "anthropic", model: "" })).toBe(0);
    // The next request skips OpenAI without calling it.
    await (await h.call("/v1/chat/completions", { json: ask("gpt-5-nano") })).arrayBuffer();
    m = await metricsOf(h);
    expect(
      m.value("spendex_upstream_skips_total", {
        provider: "openai",
        model: "openai/gpt-5-nano",
        reason: "circuit_open",
      }),
    ).toBe(1);
    expect(
      m.value("spendex_upstream_attempts_total", {
        provider: "anthropic",
        model: "anthropic/claude-haiku-4-5",
        result: "success",
      }),
    ).toBe(2);
  });
});

describe("authentication of /metrics", () => {
  test("open by default: no key needed", async () => {
    const h = await startHarness();
    try {
      expect((await scrape(h)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  test("METRICS_TOKEN: only its bearer reads; a Spendex API key does not; the token is never echoed", async () => {
    const token = "metrics-token-5f1e0c9a7b";
    const h = await startHarness({ env: { METRICS_TOKEN: token } });
    try {
      for (const headers of <Array<Record<string, string>>>[
        {},
        { authorization: "Bearer wrong" },
        { authorization: `Bearer ${token}x` },
        { authorization: `Bearer ${h.key}` },
        { authorization: token },
      ]) {
        const response = await scrape(h, headers);
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe("Bearer");
        const text = await response.text();
        expect((JSON.parse(text) as Answer).error?.code).toBe("invalid_metrics_token");
        expect(text).not.toContain(token);
      }
      const ok = await scrape(h, { authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      expect(parseExposition(await ok.text()).types.get("spendex_requests_total")).toBe("counter");
      expect((await scrape(h, { authorization: `bearer ${token}` })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  test("metrics.enabled false: the route is an unknown URL", async () => {
    const h = await startHarness({ config: { metrics: { enabled: false } } });
    try {
      const response = await scrape(h);
      expect(response.status).toBe(404);
      expect(((await response.json()) as Answer).error?.code).toBe("unknown_url");
    } finally {
      await h.close();
    }
  });
});
