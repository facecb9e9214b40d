// The gateway's side of the policy input (src/gateway/auto.ts): the reused candidate list and lazy signals.

import { expect, test } from "bun:test";
import { BUILTIN_MODELS, Catalog } from "../../src/catalog";
import type { Classification } from "../../src/classify/types";
import { CandidateCache, policyInput } from "../../src/gateway/auto";
import { Breakers } from "../../src/gateway/breaker";
import { newContext } from "../../src/gateway/context";
import type { Constraints } from "../../src/gateway/decide";
import { LatencyTracker } from "../../src/gateway/latency";
import { traitsOf } from "../../src/gateway/parse";
import type { ChatRequest } from "../../src/openai/types";
import type { PolicyInput } from "../../src/policy";

function deps() {
  const latency = new LatencyTracker(() => 0);
  return {
    catalog: new Catalog(),
    breakers: new Breakers({ failureThreshold: 1, cooldownMs: 60_000 }),
    latency,
  };
}

test("the same frozen list is reused while models, health and p50 are unchanged", () => {
  const d = deps();
  const cache = new CandidateCache();
  const providers = new Set(["openai", "anthropic"]);
  const first = cache.list(d, providers);
  expect(first.map((c) => c.provider).every((p) => providers.has(p))).toBe(true);
  expect(first.length).toBeGreaterThan(2);
  expect(Object.isFrozen(first)).toBe(true);
  expect(
    first.every((c) => Object.isFrozen(c) && Object.isFrozen(c.prices) && Object.isFrozen(c.capabilities)),
  ).toBe(true);
  expect(cache.list(d, new Set(["openai", "anthropic"]))).toBe(first);
  // Another provider set has its own list; the first is still kept.
  const openai = cache.list(d, new Set(["openai"]));
  expect(openai.every((c) => c.provider === "openai")).toBe(true);
  expect(cache.list(d, providers)).toBe(first);
});

test("a p50, a breaker or a replaced catalog model gives a new list with the new values", () => {
  const d = deps();
  const cache = new CandidateCache();
  const providers = new Set(["openai"]);
  const first = cache.list(d, providers);
  const id = first[0]?.id as string;

  d.latency.observe(id, 120);
  const latencyMoved = cache.list(d, providers);
  expect(latencyMoved).not.toBe(first);
  expect(latencyMoved[0]?.p50_ms).toBe(120);

  d.breakers.failure(id);
  const broken = cache.list(d, providers);
  expect(broken).not.toBe(latencyMoved);
  expect(broken[0]?.healthy).toBe(false);

  const model = BUILTIN_MODELS.find((m) => m.id === id);
  if (model === undefined) throw new Error("sample model missing");
  d.catalog.add({ ...model, contextWindow: 1234 });
  const replaced = cache.list(d, providers);
  expect(replaced).not.toBe(broken);
  expect(replaced[0]?.context_window).toBe(1234);
});

test("the policy input's signals are built on first read, snake_cased, and serialise with the input", () => {
  const d = deps();
  const chat = { model: "auto", messages: [{ role: "user", content: "hello" }] } as ChatRequest;
  const context = newContext("r1");
  context.classification = {
    tier: "simple",
    confidence: 0.9,
    scores: { simple: 0.9, medium: 0.08, complex: 0.02 },
    signals: { userTurns: 1, codeFences: 0, sampled: false },
  } as unknown as Classification;
  const input = policyInput(
    d,
    context,
    chat,
    traitsOf(chat),
    { providers: new Set(["openai"]), failover: "off" } as Constraints,
    new Headers(),
  );
  const logged = JSON.parse(JSON.stringify(input)) as PolicyInput;
  expect(logged.classification.signals).toEqual({ user_turns: 1, code_fences: 0, sampled: false });
  expect(input.classification.signals).toBe(input.classification.signals);
  expect(logged.candidates.every((c) => c.provider === "openai")).toBe(true);
});
