// Retries, failover, provider constraints, circuit breakers and timeouts, with faults injected upstream.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { requests } from "../../src/store/schema";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "mistral"],
    config: {
      // High, so that failures in one test never open a circuit for the next; the breaker test has its own.
      breaker: { failureThreshold: 1000, cooldownMs: 300 },
      timeouts: { firstByteMs: 300, nonStreamingFirstByteMs: 300, idleMs: 300, totalMs: 5_000 },
      retry: { attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 50 },
    },
  });
});
afterAll(() => h.close());
afterEach(() => h.sim.setFaults({}));

const nano = { model: "gpt-5-nano", messages: [{ role: "user", content: "Ping" }] };

interface Result {
  status: number;
  body: {
    spendex?: {
      routed_model: string;
      provider: string;
      fallbacks?: { model: string; status: number | null; ms?: number; error?: string; skipped?: string }[];
    };
    error?: { message: string; type: string; code: string };
  };
  id: string;
}

async function send(json: unknown, headers: Record<string, string> = {}, key?: string): Promise<Result> {
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await h.call("/v1/chat/completions", { json, headers });
  return {
    status: response.status,
    body: (await response.json()) as Result["body"],
    id: response.headers.get("x-request-id") as string,
  };
}

/** The attempts of a request as its log row stores them. */
function attemptsOf(id: string): Array<Record<string, unknown>> {
  h.server.store.log.flush();
  const row = h.server.store.db.select().from(requests).where(eq(requests.id, id)).get();
  return JSON.parse(row?.attempts ?? "[]") as Array<Record<string, unknown>>;
}

const sentTo = (model: string, since: number) =>
  h.sim
    .records()
    .slice(since)
    .filter((r) => r.model === model).length;

describe("retries and failover", () => {
  test("a transient 503 is retried on the same model, then succeeds there", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 1 } });
    const result = await send(nano);
    expect(result.status).toBe(200);
    expect(result.body.spendex?.fallbacks?.map((f) => [f.model, f.status])).toEqual([
      ["openai/gpt-5-nano", 503],
      ["openai/gpt-5-nano", 200],
    ]);
  });

  test("a 429 whose retry-after fits the backoff ceiling is waited for, not failed over", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 429, retryAfterSeconds: 0, times: 1 } });
    const result = await send(nano);
    expect(result.body.spendex?.routed_model).toBe("gpt-5-nano");
    expect(result.body.spendex?.fallbacks?.[0]?.status).toBe(429);
  });

  test("a provider that stays down fails over to the same tier at another provider", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 500, times: 2 } });
    const result = await send(nano);
    expect(result.body.spendex).toMatchObject({ routed_model: "mistral-small", provider: "mistral" });
  });

  test("rate-limit headers come from the upstream that answered, never from one that failed", async () => {
    const direct = await h.call("/v1/chat/completions", { json: nano });
    expect(direct.headers.get("x-ratelimit-limit-requests")).toBe("10000");
    // The OpenAI simulator sends them on its 503s too; the answer comes from Mistral, which sends none.
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 2 } });
    const failedOver = await h.call("/v1/chat/completions", { json: nano });
    const body = (await failedOver.json()) as Result["body"];
    expect(body.spendex?.routed_model).toBe("mistral-small");
    const names = [...failedOver.headers.keys()];
    expect(names.filter((name) => name.startsWith("x-ratelimit-"))).toEqual([]);
  });

  test("x-spendex-providers: openai means only OpenAI", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 2 } });
    const since = h.sim.records().length;
    const result = await send(nano, { "x-spendex-providers": "openai" });
    expect(result.status).toBe(503);
    expect(result.body.error?.code).toBe("provider_unavailable");
    expect(sentTo("mistral-small-latest", since)).toBe(0);
  });

  test("a key's provider allow-list holds for failover too", async () => {
    const key = h.server.store.keys.create({
      name: "openai-only",
      env: "test",
      allowedProviders: ["openai"],
    }).key;
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 2 } });
    const since = h.sim.records().length;
    const result = await send(nano, {}, key);
    expect(result.status).toBe(503);
    expect(sentTo("mistral-small-latest", since)).toBe(0);
    const pinnedElsewhere = await send({ ...nano, model: "mistral-small" }, {}, key);
    expect(pinnedElsewhere.body.error?.code).toBe("provider_not_allowed");
  });

  test("x-spendex-failover: off retries the model but never moves", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 2 } });
    const result = await send(nano, { "x-spendex-failover": "off" });
    expect(result.status).toBe(503);
    expect(result.body.error?.message).toContain("openai/gpt-5-nano (503)");
    expect(result.body.error?.message).not.toContain("mistral");
  });

  test("x-spendex-failover: same-provider stays with the model's provider", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 2 } });
    const since = h.sim.records().length;
    const result = await send(nano, { "x-spendex-failover": "same-provider" });
    expect(result.status).toBe(503);
    expect(sentTo("mistral-small-latest", since)).toBe(0);
    expect(sentTo("gpt-5-nano", since)).toBe(2);
  });

  test("an unknown failover mode is a 400 naming the header", async () => {
    const result = await send(nano, { "x-spendex-failover": "sideways" });
    expect(result.status).toBe(400);
    expect(result.body.error?.message).toContain("x-spendex-failover");
  });

  test("when every candidate fails: 503 provider_unavailable listing what was tried, no secrets", async () => {
    h.sim.setFaults({
      "gpt-5-nano": { kind: "status", status: 502, times: 2 },
      "mistral-small-latest": { kind: "status", status: 500, times: 2 },
    });
    const result = await send(nano);
    expect(result.status).toBe(503);
    expect(result.body.error?.type).toBe("service_unavailable");
    expect(result.body.error?.message).toContain("openai/gpt-5-nano (502)");
    expect(result.body.error?.message).toContain("mistral/mistral-small (500)");
    expect(JSON.stringify(result.body)).not.toContain("test-openai-key");
    expect(attemptsOf(result.id)).toHaveLength(4);
  });

  test("a candidate that cannot carry a parameter is shown as skipped, not as an upstream 400", async () => {
    // Mistral refuses `service_tier` before any call; the OpenAI model fails upstream.
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 2 } });
    const since = h.sim.records().length;
    const result = await send({ ...nano, service_tier: "flex" });
    expect(result.status).toBe(503);
    expect(result.body.error?.message).toBe(
      "No provider could serve this request. Tried: openai/gpt-5-nano (503), openai/gpt-5-nano (503), mistral/mistral-small (skipped: does not support 'service_tier').",
    );
    expect(sentTo("mistral-small-latest", since)).toBe(0);
    const skipped = attemptsOf(result.id).at(-1);
    expect(skipped).toMatchObject({
      model: "mistral/mistral-small",
      status: null,
      error: "unsupported_parameter",
      skipped: "unsupported",
      param: "service_tier",
    });
  });

  test("an upstream that never answers times out and fails over", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "hang", times: 2 } });
    const result = await send(nano);
    expect(result.body.spendex?.routed_model).toBe("mistral-small");
    expect(result.body.spendex?.fallbacks?.[0]).toMatchObject({ model: "openai/gpt-5-nano", status: 0 });
  });

  test("a stream that stalls before its first chunk fails over before any byte is sent", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "stall", afterChunks: 0, times: 2 } });
    const response = await h.call("/v1/chat/completions", { json: { ...nano, stream: true } });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain('"routed_model":"mistral-small"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});

describe("circuit breaker", () => {
  test("opens after repeated failures, skips the upstream, shows in /ready, and closes after a good probe", async () => {
    const main = h;
    h = await startHarness({
      providers: ["openai", "mistral"],
      config: {
        breaker: { failureThreshold: 3, cooldownMs: 300 },
        retry: { attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 50 },
      },
    });
    try {
      await breakerScenario();
    } finally {
      await h.close();
      h = main;
    }
  });
});

async function breakerScenario() {
  {
    h.sim.setFaults({ "gpt-5-mini": { kind: "status", status: 503 } });
    const mini = { ...nano, model: "gpt-5-mini" };
    // Two failed attempts per request; the third failure opens the circuit.
    await send(mini);
    await send(mini);
    const ready = (await (await h.call("/ready")).json()) as { breakers: Record<string, string> };
    expect(ready.breakers["openai/gpt-5-mini"]).toBe("open");

    const since = h.sim.records().length;
    const skipped = await send(mini);
    expect(skipped.body.spendex?.routed_model).toBe("mistral-large");
    expect(skipped.body.spendex?.fallbacks?.[0]).toEqual({
      model: "openai/gpt-5-mini",
      status: null,
      ms: 0,
      error: "circuit_open",
      skipped: "circuit_open",
    });
    expect(attemptsOf(skipped.id)[0]).toMatchObject({ status: null, skipped: "circuit_open" });
    expect(sentTo("gpt-5-mini", since)).toBe(0);

    h.sim.setFaults({});
    await Bun.sleep(350);
    const probe = await send(mini);
    expect(probe.body.spendex?.routed_model).toBe("gpt-5-mini");
    const after = (await (await h.call("/ready")).json()) as { breakers: Record<string, string> };
    expect(after.breakers["openai/gpt-5-mini"]).toBeUndefined();
  }
}
