// A provider that refuses its configured key is the operator's configuration, not the request: the request moves to
// another provider at once (no retry, no other model of the refusing provider), and the provider's circuit counts it.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness";

interface Answer {
  choices: Array<{ message: { content: string } }>;
  spendex: {
    routed_model: string;
    fallbacks?: Array<{ model: string; status: number | null; error?: string }>;
  };
  error?: { code: string; message: string };
}

const ask = (model: string) => ({ model, messages: [{ role: "user", content: "Hi" }] });

describe("OpenAI refuses its key, Anthropic accepts its own", () => {
  let h: Harness;
  const logged: string[] = [];
  beforeAll(async () => {
    // The harness gives each provider the key `test-<provider>-key`; the simulator accepts only Anthropic's.
    h = await startHarness({
      providers: ["openai", "anthropic"],
      simulator: { requireKey: "test-anthropic-key" },
      config: { breaker: { failureThreshold: 2, cooldownMs: 60_000 } },
      build: { log: (line) => logged.push(line) },
    });
  });
  afterAll(() => h.close());

  test("a pinned request fails over to the other provider's model of its tier, calling OpenAI once", async () => {
    const since = h.sim.records().length;
    const response = await h.call("/v1/chat/completions", { json: ask("gpt-5-nano") });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Answer;
    expect(body.spendex.routed_model).toBe("claude-haiku-4-5");
    const calls = h.sim.records().slice(since);
    expect(calls.map((call) => [call.format, call.status])).toEqual([
      ["openai", 401],
      ["anthropic", 200],
    ]);
    expect(body.spendex.fallbacks?.map((f) => [f.model, f.status, f.error ?? null])).toEqual([
      ["openai/gpt-5-nano", 401, "upstream_auth_error"],
      ["anthropic/claude-haiku-4-5", 200, null],
    ]);
  });

  test("a stream fails over the same way, before any byte reaches the client", async () => {
    const response = await h.call("/v1/chat/completions", { json: { ...ask("gpt-5-mini"), stream: true } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"routed_model":"claude-sonnet-4-6"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  test("after the breaker's threshold, OpenAI is skipped without a call", async () => {
    const since = h.sim.records().length;
    const response = await h.call("/v1/chat/completions", { json: ask("gpt-5-nano") });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Answer;
    expect(
      h.sim
        .records()
        .slice(since)
        .map((call) => call.format),
    ).toEqual(["anthropic"]);
    expect(body.spendex.fallbacks?.[0]).toMatchObject({ model: "openai/gpt-5-nano", status: null });
  });

  test("the operator is told once (not once per request), naming the provider and not the key", () => {
    const warnings = logged.filter((line) => line.includes("rejected the configured API key"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("'openai'");
    expect(warnings[0]).toContain("fail over");
    expect(logged.join("\n")).not.toContain("test-openai-key");
  });
});

describe("every connected provider refuses its key", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ providers: ["openai", "anthropic"], simulator: { requireKey: "sk-nobody" } });
  });
  afterAll(() => h.close());

  test("502 upstream_auth_error, not retryable, each provider called once, no key in the message", async () => {
    const since = h.sim.records().length;
    const response = await h.call("/v1/chat/completions", { json: ask("gpt-5-nano") });
    expect(response.status).toBe(502);
    expect(response.headers.get("x-should-retry")).toBe("false");
    const body = (await response.json()) as Answer;
    expect(body.error?.code).toBe("upstream_auth_error");
    expect(body.error?.message).not.toContain("test-openai-key");
    expect(body.error?.message).not.toContain("test-anthropic-key");
    // Both refusals are named, so the operator fixes both keys at once.
    expect(body.error?.message).toContain("'openai' rejected the configured API key (HTTP 401)");
    expect(body.error?.message).toContain("'anthropic' rejected the configured API key (HTTP 401)");
    expect(
      h.sim
        .records()
        .slice(since)
        .map((call) => [call.format, call.status]),
    ).toEqual([
      ["openai", 401],
      ["anthropic", 401],
    ]);
  });
});

describe("OpenAI forbids one model (403) to the account", () => {
  let h: Harness;
  const logged: string[] = [];
  beforeAll(async () => {
    h = await startHarness({
      providers: ["openai", "anthropic"],
      simulator: { faults: { "gpt-5-nano": { kind: "status", status: 403 } } },
      config: { breaker: { failureThreshold: 2, cooldownMs: 60_000 } },
      build: { log: (line) => logged.push(line) },
    });
  });
  afterAll(() => h.close());

  test("the request fails over, and OpenAI's other models stay in use after repeated 403s", async () => {
    for (let round = 0; round < 3; round++) {
      const response = await h.call("/v1/chat/completions", { json: ask("gpt-5-nano") });
      expect(response.status).toBe(200);
      expect(((await response.json()) as Answer).spendex.routed_model).toBe("claude-haiku-4-5");
    }
    const since = h.sim.records().length;
    const response = await h.call("/v1/chat/completions", { json: ask("gpt-5-mini") });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Answer).spendex.routed_model).toBe("gpt-5-mini");
    expect(
      h.sim
        .records()
        .slice(since)
        .map((call) => [call.format, call.status]),
    ).toEqual([["openai", 200]]);
    // The operator reads, once, that it is about access to a model rather than a wrong key.
    expect(logged.filter((line) => line.includes("'openai'"))).toHaveLength(1);
    expect(logged[0]).toContain("(HTTP 403): the key or its project may lack access to this model");
  });
});
