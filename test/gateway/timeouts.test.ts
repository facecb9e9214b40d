// Upstream timeouts: a non-streaming call may think for as long as totalMs; a stream still fails over a hung
// upstream at firstByteMs / idleMs; a model can carry its own timeouts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CatalogModel } from "../../src/catalog";
import { parseConfigFile, resolveSettings } from "../../src/config";
import { CallTimeouts } from "../../src/gateway/timeouts";
import { type Harness, startHarness } from "../support/harness";

describe("resolved timeouts", () => {
  const settings = resolveSettings(
    {
      models: [
        { id: "openai/gpt-5", timeouts: { idleMs: 300_000 } },
        { id: "openai/gpt-5-nano", timeouts: { nonStreamingFirstByteMs: 30_000, totalMs: 120_000 } },
      ],
    },
    {},
  );
  const timeouts = new CallTimeouts(settings.timeouts);
  const model = (id: string) => settings.models.find((m) => m.id === id) as CatalogModel;

  test("defaults: streams 60 s to the headers and between chunks, up to the total for the first chunk; a JSON call waits up to the total, 600 s", () => {
    const mini = model("openai/gpt-5-mini");
    expect(timeouts.for(mini, true)).toEqual({
      firstByteMs: 60_000,
      firstChunkMs: 600_000,
      idleMs: 60_000,
      totalMs: 600_000,
    });
    expect(timeouts.for(mini, false)).toEqual({ firstByteMs: 600_000, idleMs: 60_000, totalMs: 600_000 });
  });

  test("a model's own timeouts override the defaults; an unset non-streaming first byte follows its total", () => {
    expect(timeouts.for(model("openai/gpt-5"), true)).toEqual({
      firstByteMs: 60_000,
      firstChunkMs: 600_000,
      idleMs: 300_000,
      totalMs: 600_000,
    });
    const nano = model("openai/gpt-5-nano");
    expect(timeouts.for(nano, false)).toEqual({ firstByteMs: 30_000, idleMs: 60_000, totalMs: 120_000 });
    expect(timeouts.for(nano, true).firstByteMs).toBe(60_000);
    // A stream's first chunk may take as long as the same call's non-streaming headers, unless set apart.
    expect(timeouts.for(nano, true).firstChunkMs).toBe(30_000);
    const apart = new CallTimeouts({
      firstByteMs: 5_000,
      idleMs: 5_000,
      totalMs: 90_000,
      firstChunkMs: 20_000,
    });
    expect(apart.for(model("openai/gpt-5-mini"), true).firstChunkMs).toBe(20_000);
    const shorter = new CallTimeouts({ firstByteMs: 5_000, idleMs: 5_000, totalMs: 90_000 });
    expect(shorter.for(model("openai/gpt-5-mini"), false).firstByteMs).toBe(90_000);
  });

  test("custom models take timeouts too, and an unknown timeout key fails start-up", () => {
    const custom = resolveSettings(
      {
        providers: [
          {
            name: "local",
            baseUrl: "http://vllm/v1",
            apiKeyEnv: "LOCAL_KEY",
            models: [
              { name: "qwq", tier: "complex", prices: { input: 0, output: 0 }, timeouts: { idleMs: 1_000 } },
            ],
          },
        ],
      },
      {},
    );
    expect(custom.models.find((m) => m.id === "local/qwq")?.timeouts).toEqual({ idleMs: 1_000 });
    expect(() =>
      parseConfigFile('{"models": [{"id": "openai/gpt-5", "timeouts": {"firstByte": 1}}]}', "c.json"),
    ).toThrow("/models/0/timeouts/firstByte: unknown key");
  });
});

describe("through the gateway", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: ["openai", "mistral"],
      config: {
        breaker: { failureThreshold: 1000, cooldownMs: 300 },
        timeouts: { firstByteMs: 200, idleMs: 200, totalMs: 3_000 },
        retry: { attemptsPerModel: 1, baseDelayMs: 1, maxDelayMs: 10 },
        models: [{ id: "openai/gpt-5-mini", timeouts: { nonStreamingFirstByteMs: 200 } }],
      },
    });
  });
  afterAll(() => h.close());

  const ask = (model: string, stream: boolean, headers: Record<string, string>) =>
    h.call("/v1/chat/completions", {
      json: { model, stream, messages: [{ role: "user", content: "Think hard" }] },
      headers,
    });
  // 600 ms before any header: a reasoning model answering without a stream, or a hung upstream for a stream.
  const thinking = { "x-sim-latency-ms": "600" };

  test("a non-streaming answer that takes longer than firstByteMs to start is waited for, not failed over", async () => {
    const response = await ask("gpt-5-nano", false, thinking);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { spendex: { routed_model: string; fallbacks?: unknown } };
    expect(body.spendex.routed_model).toBe("gpt-5-nano");
    expect(body.spendex.fallbacks).toBeUndefined();
  });

  test("a stream silent for longer than idleMs before its first content (a model thinking) is waited for", async () => {
    // Headers and the role chunk at once, then 600 ms of silence before the content, as OpenAI streams a
    // reasoning model: idleMs (200 ms) applies only between chunks once the model has begun.
    const response = await ask("gpt-5-nano", true, { "x-sim-ttft-ms": "600" });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).toContain('"routed_model":"gpt-5-nano"');
    expect(text).not.toContain("fallbacks");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  test("a stream that goes silent after it has begun still fails at idleMs", async () => {
    const started = performance.now();
    const response = await ask("gpt-5-nano", true, { "x-sim-fault": "stall:2" });
    const text = await response.text();
    expect(text).toContain('"code":"upstream_timeout"');
    expect(text).not.toContain("data: [DONE]");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test("a stream whose headers do not come within firstByteMs still fails over", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "hang", times: 1 } });
    const response = await ask("gpt-5-nano", true, {});
    const text = await response.text();
    h.sim.setFaults({});
    expect(response.status).toBe(200);
    expect(text).toContain('"routed_model":"mistral-small"');
    expect(text).toContain('"model":"openai/gpt-5-nano","status":0');
  });

  test("a model's nonStreamingFirstByteMs gives up on it and fails over", async () => {
    const response = await ask("gpt-5-mini", false, thinking);
    const body = (await response.json()) as {
      spendex?: { routed_model: string; fallbacks?: Array<{ model: string; status: number }> };
    };
    expect(response.status).toBe(200);
    expect(body.spendex?.routed_model).not.toBe("gpt-5-mini");
    expect(body.spendex?.fallbacks?.[0]).toMatchObject({ model: "openai/gpt-5-mini", status: 0 });
  });
});
