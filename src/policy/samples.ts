// Realistic policy inputs for `policy check`, benches, demos and test cases (which merge onto `sampleInput()`).

import type { PolicyBudget, PolicyCandidate, PolicyInput } from "./contract";

type Tier = PolicyCandidate["tier"];

// A frozen copy of the shipped catalog's prices: fixtures must not shift when the catalog's prices change.
const MODELS: ReadonlyArray<[string, Tier, number, number, number, number]> = [
  ["openai/gpt-5-nano", "simple", 0.05, 0.005, 0.4, 400_000],
  ["openai/gpt-5-mini", "medium", 0.25, 0.025, 2.0, 400_000],
  ["openai/gpt-5", "complex", 1.25, 0.125, 10.0, 400_000],
  ["anthropic/claude-haiku-4-5", "simple", 1.0, 0.1, 5.0, 200_000],
  ["anthropic/claude-sonnet-4-6", "medium", 3.0, 0.3, 15.0, 200_000],
  ["anthropic/claude-opus-4-6", "complex", 5.0, 0.5, 25.0, 200_000],
  ["gemini/gemini-2.5-flash-lite", "simple", 0.1, 0.025, 0.4, 1_048_576],
  ["gemini/gemini-2.5-flash", "medium", 0.3, 0.075, 2.5, 1_048_576],
  ["gemini/gemini-2.5-pro", "complex", 1.25, 0.3125, 10.0, 1_048_576],
  ["mistral/mistral-small", "simple", 0.1, 0.1, 0.3, 128_000],
  ["mistral/mistral-large", "medium", 0.5, 0.5, 1.5, 128_000],
];

export function sampleCandidates(): PolicyCandidate[] {
  return MODELS.map(([id, tier, input, cached, output, window], index) => ({
    id,
    provider: id.slice(0, id.indexOf("/")),
    tier,
    prices: { input, cached_input: cached, output },
    context_window: window,
    capabilities: { tools: true, vision: !id.startsWith("mistral/"), json_schema: true, streaming: true },
    healthy: true,
    p50_ms: 300 + index * 40,
  }));
}

export function sampleBudget(overrides: Partial<PolicyBudget> = {}): PolicyBudget {
  const budget: PolicyBudget = {
    scope: "key",
    name: "dev-key",
    limit_usd: 100,
    spent_usd: 10,
    remaining_usd: 90,
    period: "month",
    resets_at: "2026-12-01T00:00:00.000Z",
    ...overrides,
  };
  return budget;
}

/** A medium-sized, ordinary `auto` request with 11 healthy candidates and no budgets. */
export function sampleInput(): PolicyInput {
  return {
    request: {
      model: "auto",
      message_count: 3,
      estimated_prompt_tokens: 1200,
      max_tokens: 800,
      stream: true,
      tools: false,
      tool_choice: null,
      images: false,
      json_mode: null,
      metadata: { feature: "chat" },
      user: "user-42",
      headers: {},
    },
    classification: {
      tier: "simple",
      confidence: 0.86,
      scores: { simple: 0.86, medium: 0.11, complex: 0.03 },
      signals: {
        estimated_tokens: 1200,
        turns: 3,
        user_turns: 2,
        code_fences: 0,
        questions: 1,
        tools: false,
      },
    },
    key: { id: "key_01", name: "dev-key", team: "core", env: "prod" },
    agent: null,
    budgets: [],
    candidates: sampleCandidates(),
    now: "2026-11-26T14:00:00.000Z",
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Objects merge key by key; arrays and scalars replace. What a `*.cases.json` input means. */
export function mergeInput(base: PolicyInput, patch: unknown): unknown {
  return merge(base as unknown as Json, patch as Json);
}

function merge(base: Json, patch: Json): Json {
  if (!isObject(base) || !isObject(patch)) return structuredClone(patch);
  const out: { [key: string]: Json } = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = current === undefined ? structuredClone(value) : merge(current, value);
  }
  return out;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Named inputs covering the paths a policy usually branches on. */
export function sampleInputs(): Array<{ name: string; input: PolicyInput }> {
  const with_ = (patch: unknown): PolicyInput => mergeInput(sampleInput(), patch) as PolicyInput;
  const unhealthy = sampleCandidates().map((c) => (c.provider === "openai" ? { ...c, healthy: false } : c));
  return [
    { name: "simple chat", input: sampleInput() },
    {
      name: "medium with tools",
      input: with_({
        request: { tools: true, tool_choice: "auto" },
        classification: {
          tier: "medium",
          confidence: 0.74,
          scores: { simple: 0.2, medium: 0.74, complex: 0.06 },
        },
      }),
    },
    {
      name: "complex, long context",
      input: with_({
        request: { estimated_prompt_tokens: 150_000, max_tokens: 8000 },
        classification: {
          tier: "complex",
          confidence: 0.9,
          scores: { simple: 0.02, medium: 0.08, complex: 0.9 },
        },
      }),
    },
    { name: "images + json schema", input: with_({ request: { images: true, json_mode: "json_schema" } }) },
    {
      name: "low confidence",
      input: with_({
        classification: { confidence: 0.41, scores: { simple: 0.41, medium: 0.39, complex: 0.2 } },
      }),
    },
    {
      name: "budget at 10%",
      input: with_({ budgets: [sampleBudget({ spent_usd: 90, remaining_usd: 10 })] }),
    },
    {
      name: "budget exhausted",
      input: with_({ budgets: [sampleBudget({ spent_usd: 100, remaining_usd: 0 })] }),
    },
    {
      name: "agent near its cap",
      input: with_({
        agent: "research-bot",
        request: { headers: { "x-spendex-agent": "research-bot" } },
        budgets: [
          sampleBudget({
            scope: "agent",
            name: "research-bot",
            limit_usd: 5,
            spent_usd: 4.6,
            remaining_usd: 0.4,
          }),
        ],
      }),
    },
    {
      name: "provider pinned by header",
      input: with_({ request: { headers: { "x-spendex-provider": "gemini" } } }),
    },
    { name: "openai breaker open", input: with_({ candidates: unhealthy }) },
  ];
}

/**
 * A stream of inputs shaped like the gateway's on a busy key: every value that changes per request does
 * (`now`, the budget's spend, token counts, the classifier's confidence, scores and signals, with the full
 * precision of real float32-derived numbers), while the candidate list stays as it is between health changes.
 * Benchmarks use it so that a number reflects the request path, not one input repeated. Deterministic.
 */
export function realisticInputs(count: number): PolicyInput[] {
  let seed = 0x2f6b1d;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const candidates = sampleCandidates();
  const start = Date.parse("2026-11-26T14:00:00.000Z");
  let spent = 12.345678;
  const inputs: PolicyInput[] = [];
  for (let index = 0; index < count; index++) {
    const simple = random() * 4;
    const medium = random() * 2;
    const complex = random();
    const total = simple + medium + complex;
    const scores = { simple: simple / total, medium: medium / total, complex: complex / total };
    const tier: Tier =
      simple >= medium && simple >= complex ? "simple" : medium >= complex ? "medium" : "complex";
    const tokens = 20 + Math.floor(random() * 3000);
    spent += random() * 0.01;
    inputs.push({
      request: {
        model: "auto",
        message_count: 1 + Math.floor(random() * 6),
        estimated_prompt_tokens: tokens,
        max_tokens: random() < 0.5 ? null : 256 + Math.floor(random() * 2000),
        stream: random() < 0.5,
        tools: random() < 0.2,
        tool_choice: null,
        images: false,
        json_mode: null,
        metadata: {},
        user: random() < 0.5 ? null : "user-42",
        headers: {},
      },
      classification: {
        tier,
        confidence: scores[tier],
        scores,
        signals: {
          estimated_tokens: tokens,
          turns: 1 + Math.floor(random() * 6),
          user_turns: 1,
          system_chars: Math.floor(random() * 400),
          last_user_chars: Math.floor(random() * 4000),
          code_fences: Math.floor(random() * 3),
          code_token_ratio: Math.round(random() * 10000) / 10000,
          math_density: Math.round(random() * 10000) / 10000,
          digit_ratio: Math.round(random() * 10000) / 10000,
          questions: Math.floor(random() * 3),
          list_items: 0,
          tools: false,
          images: false,
          json_mode: false,
          newlines: Math.floor(random() * 40),
          upper_ratio: Math.round(random() * 10000) / 10000,
          latex_commands: 0,
          numbers: Math.floor(random() * 10),
          sentences: 1 + Math.floor(random() * 20),
          last_user_tokens: Math.floor(tokens * 0.8),
          sampled: false,
        },
      },
      key: { id: "efxxAF2A", name: "dev-key", team: "core", env: "live" },
      agent: null,
      budgets: [
        sampleBudget({
          limit_usd: 1000,
          spent_usd: spent,
          remaining_usd: 1000 - spent,
          period: "day",
          resets_at: "2026-11-27T00:00:00.000Z",
        }),
      ],
      candidates,
      now: new Date(start + index * 7 + Math.floor(random() * 5)).toISOString(),
    });
  }
  return inputs;
}
