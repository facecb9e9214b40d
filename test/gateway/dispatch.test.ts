// dispatch on its own: an adapter that throws something other than a provider error (a bug) is reported with the
// request id and failed over like an unreachable upstream, so the client still gets an answer.

import { expect, test } from "bun:test";
import { BUILTIN_MODELS, type CatalogModel } from "../../src/catalog";
import { UnsupportedError } from "../../src/errors";
import { Breakers } from "../../src/gateway/breaker";
import type { RequestContext } from "../../src/gateway/context";
import { dispatch } from "../../src/gateway/dispatch";
import { LatencyTracker } from "../../src/gateway/latency";
import type { ProviderAdapter } from "../../src/providers/types";

const model = (id: string) => BUILTIN_MODELS.find((m) => m.id === id) as CatalogModel;

test("an adapter bug is reported with the request id, not retried, not held against the provider; the next candidate answers", async () => {
  const nano = model("openai/gpt-5-nano");
  const small = model("mistral/mistral-small");
  const context = {
    id: "req_test",
    candidates: [nano, small],
    attempts: [],
    pinned: false,
  } as unknown as RequestContext;
  const reported: Array<[string, unknown]> = [];
  const breakers = new Breakers({ failureThreshold: 1, cooldownMs: 60_000 });
  const adapters = new Map([
    ["openai", {} as ProviderAdapter],
    ["mistral", {} as ProviderAdapter],
  ]);
  const { model: answered, result } = await dispatch(
    context,
    {
      adapters,
      breakers,
      retry: { attemptsPerModel: 2, baseDelayMs: 0, maxDelayMs: 0, maxCandidates: 4 },
      latency: new LatencyTracker(),
      random: () => 0,
      onUnexpectedError: (id, error) => reported.push([id, error]),
    },
    new AbortController().signal,
    async (_adapter, m) => {
      if (m.provider === "openai")
        throw new TypeError("Cannot read properties of undefined (reading 'text')");
      return "answer";
    },
  );
  expect(answered).toBe(small);
  expect(result).toBe("answer");
  expect(reported.map(([id, error]) => [id, (error as Error).name])).toEqual([["req_test", "TypeError"]]);
  expect(context.attempts.map((a) => [a.model, a.status, a.error])).toEqual([
    ["openai/gpt-5-nano", 0, "adapter_error"],
    ["mistral/mistral-small", 200, undefined],
  ]);
  // A threshold of one failure, and still closed: the bug is not the provider's.
  expect(breakers.allow("openai/gpt-5-nano")).toBe(true);
  expect(breakers.allow("openai")).toBe(true);
});

test("candidates skipped for an unsupported parameter do not use up maxCandidates", async () => {
  const ids = [
    "anthropic/claude-haiku-4-5",
    "gemini/gemini-2.5-flash-lite",
    "anthropic/claude-sonnet-4-6",
    "openai/gpt-5-nano",
  ];
  const context = {
    id: "req_skip",
    candidates: ids.map(model),
    attempts: [],
    pinned: false,
  } as unknown as RequestContext;
  const adapters = new Map(["anthropic", "gemini", "openai"].map((p) => [p, {} as ProviderAdapter]));
  const { model: answered } = await dispatch(
    context,
    {
      adapters,
      breakers: new Breakers({ failureThreshold: 100, cooldownMs: 1_000 }),
      retry: { attemptsPerModel: 1, baseDelayMs: 0, maxDelayMs: 0, maxCandidates: 1 },
      latency: new LatencyTracker(),
    },
    new AbortController().signal,
    async (_adapter, m) => {
      if (m.provider !== "openai") throw new UnsupportedError(m.provider, "logprobs", "no log probabilities");
      return "answer";
    },
  );
  expect(answered.id).toBe("openai/gpt-5-nano");
  expect(context.attempts.map((a) => [a.model, a.status, a.skipped])).toEqual([
    ["anthropic/claude-haiku-4-5", null, "unsupported"],
    ["gemini/gemini-2.5-flash-lite", null, "unsupported"],
    ["anthropic/claude-sonnet-4-6", null, "unsupported"],
    ["openai/gpt-5-nano", 200, undefined],
  ]);
});
