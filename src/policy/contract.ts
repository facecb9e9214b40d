// The policy contract: what a routing policy is given (PolicyInput) and what it may answer (PolicyDecision).
// Field names are snake_case because policy authors read them as plain JSON, like OpenAI's API.

import { type Static, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { CatalogModel } from "../catalog/types";
import type { Classification } from "../classify/types";

const Tier = Type.Union([Type.Literal("simple"), Type.Literal("medium"), Type.Literal("complex")]);
const NonNegative = Type.Number({ minimum: 0 });
const Count = Type.Integer({ minimum: 0 });
// An ISO 8601 timestamp such as 2026-11-26T14:00:00.000Z (TypeBox formats need registration; a pattern does not).
const IsoTime = Type.String({
  pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$",
});
const strict = { additionalProperties: false } as const;

export const PolicyRequestSchema = Type.Object(
  {
    /** The model the client asked for (`auto`, or a pinned `provider/name`). */
    model: Type.String(),
    message_count: Count,
    estimated_prompt_tokens: Count,
    max_tokens: Type.Union([Count, Type.Null()]),
    stream: Type.Boolean(),
    /** True when the request carries tool definitions. */
    tools: Type.Boolean(),
    tool_choice: Type.Union([
      Type.Literal("none"),
      Type.Literal("auto"),
      Type.Literal("required"),
      Type.Object({ type: Type.Literal("function"), name: Type.String() }, strict),
      Type.Null(),
    ]),
    /** True when any message carries an image part. */
    images: Type.Boolean(),
    /** Falsy when the client did not ask for JSON output. */
    json_mode: Type.Union([Type.Literal("json_object"), Type.Literal("json_schema"), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.String()),
    user: Type.Union([Type.String(), Type.Null()]),
    /** Only the `x-spendex-*` request headers, names lower-cased. */
    headers: Type.Record(Type.String({ pattern: "^x-spendex-.+$" }), Type.String(), {
      additionalProperties: false,
    }),
  },
  strict,
);

export const PolicyClassificationSchema = Type.Object(
  {
    tier: Tier,
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    scores: Type.Object({ simple: NonNegative, medium: NonNegative, complex: NonNegative }, strict),
    /** The classifier's signals with snake_case names (`estimated_tokens`, `code_fences`, ...). */
    signals: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean(), Type.String()])),
  },
  strict,
);

export const PolicyKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    team: Type.Union([Type.String(), Type.Null()]),
    env: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);

export const PolicyBudgetSchema = Type.Object(
  {
    scope: Type.Union([Type.Literal("key"), Type.Literal("team"), Type.Literal("agent")]),
    /** The key, team or agent name the budget belongs to. */
    name: Type.String(),
    limit_usd: NonNegative,
    spent_usd: NonNegative,
    /** limit_usd - spent_usd - reserved spend; may be negative after an overrun. */
    remaining_usd: Type.Number(),
    period: Type.Union([Type.Literal("day"), Type.Literal("month")]),
    resets_at: IsoTime,
  },
  strict,
);

export const PolicyCandidateSchema = Type.Object(
  {
    /** `provider/name`, the value a decision's `model` should carry. */
    id: Type.String({ pattern: "^[^/]+/.+$" }),
    provider: Type.String(),
    tier: Tier,
    /** USD per 1M tokens. */
    prices: Type.Object({ input: NonNegative, cached_input: NonNegative, output: NonNegative }, strict),
    context_window: Count,
    capabilities: Type.Object(
      {
        tools: Type.Boolean(),
        vision: Type.Boolean(),
        json_schema: Type.Boolean(),
        streaming: Type.Boolean(),
      },
      strict,
    ),
    /** False while the provider's circuit breaker is open. */
    healthy: Type.Boolean(),
    /** Recent median latency in ms; null before any traffic. */
    p50_ms: Type.Union([NonNegative, Type.Null()]),
  },
  strict,
);

export const PolicyInputSchema = Type.Object(
  {
    request: PolicyRequestSchema,
    classification: PolicyClassificationSchema,
    key: PolicyKeySchema,
    /** From the `x-spendex-agent` header, else `request.user`; null when neither is given. */
    agent: Type.Union([Type.String(), Type.Null()]),
    budgets: Type.Array(PolicyBudgetSchema),
    candidates: Type.Array(PolicyCandidateSchema),
    /** The decision time; fixed during replay. `Date` inside the sandbox reads this value. */
    now: IsoTime,
  },
  strict,
);

export const PolicyRouteSchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    fallbacks: Type.Optional(Type.Array(Type.String(), { maxItems: 8 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
  },
  strict,
);

export const PolicyRejectSchema = Type.Object(
  {
    reject: Type.Object(
      {
        /** Policies may only answer client errors (400-499), e.g. 402 budget, 403 forbidden, 429 slow down. */
        status: Type.Integer({ minimum: 400, maximum: 499 }),
        code: Type.String({ pattern: "^[a-z0-9_]{1,64}$" }),
        message: Type.String({ minLength: 1, maxLength: 500 }),
      },
      strict,
    ),
  },
  strict,
);

export const PolicyDecisionSchema = Type.Union([PolicyRouteSchema, PolicyRejectSchema]);

export type PolicyRequest = Static<typeof PolicyRequestSchema>;
export type PolicyClassification = Static<typeof PolicyClassificationSchema>;
export type PolicyKey = Static<typeof PolicyKeySchema>;
export type PolicyBudget = Static<typeof PolicyBudgetSchema>;
export type PolicyCandidate = Static<typeof PolicyCandidateSchema>;
export type PolicyInput = Static<typeof PolicyInputSchema>;
export type PolicyRoute = Static<typeof PolicyRouteSchema>;
export type PolicyReject = Static<typeof PolicyRejectSchema>;
export type PolicyDecision = PolicyRoute | PolicyReject;

/** What `decide` returns: the decision plus where it came from, for the `spendex` response field and the log. */
export interface PolicyOutcome {
  decision: PolicyDecision;
  /** The policy asked for (even when the built-in answered instead). */
  policy: string;
  /** Content hash of the policy revision that ran, or "builtin" when no revision exists. */
  revision: string;
  /** Why the policy's own answer was not used, or which of its fallbacks were dropped. */
  error?: string;
  /** True when the built-in policy produced `decision`. */
  builtin: boolean;
  elapsedUs: number;
}

const inputChecker = TypeCompiler.Compile(PolicyInputSchema);
const decisionChecker = TypeCompiler.Compile(PolicyDecisionSchema);
const routeChecker = TypeCompiler.Compile(PolicyRouteSchema);
const rejectChecker = TypeCompiler.Compile(PolicyRejectSchema);

export function isPolicyInput(value: unknown): value is PolicyInput {
  return inputChecker.Check(value);
}

/** Validation errors as `path: message` lines; empty when the input is valid. */
export function policyInputErrors(value: unknown): string[] {
  return [...inputChecker.Errors(value)]
    .slice(0, 10)
    .map((error) => `${error.path || "/"}: ${error.message}`);
}

/** The first problem with a policy's answer, or undefined when it is a well-formed decision. */
export function decisionError(value: unknown): string | undefined {
  if (decisionChecker.Check(value)) return undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return `route() must return an object, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`;
  }
  const first = ("reject" in value ? rejectChecker : routeChecker).Errors(value).First();
  return first ? `malformed decision at ${first.path || "/"}: ${first.message}` : "malformed decision";
}

/** Builds a candidate from a catalog model and the gateway's view of its provider's health. */
export function toPolicyCandidate(
  model: CatalogModel,
  state: { healthy: boolean; p50Ms: number | null },
): PolicyCandidate {
  const { capabilities, prices } = model;
  return {
    id: model.id,
    provider: model.provider,
    tier: model.tier,
    prices: { input: prices.input, cached_input: prices.cachedInput, output: prices.output },
    context_window: model.contextWindow,
    capabilities: {
      tools: capabilities.tools,
      vision: capabilities.vision,
      json_schema: capabilities.jsonSchema,
      streaming: capabilities.streaming,
    },
    healthy: state.healthy,
    p50_ms: state.p50Ms,
  };
}

/** The classifier's answer with snake_case signal names; undefined signals are left out. */
export function toPolicyClassification(classification: Classification): PolicyClassification {
  const signals: Record<string, number | boolean | string> = {};
  for (const [name, value] of Object.entries(classification.signals)) {
    if (value !== undefined) signals[name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return {
    tier: classification.tier,
    confidence: classification.confidence,
    scores: { ...classification.scores },
    signals,
  };
}

/** Keeps only the `x-spendex-*` headers, lower-cased, as policies see them. */
export function spendexHeaders(headers: Headers | Record<string, string>): Record<string, string> {
  const picked: Record<string, string> = {};
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (lower.startsWith("x-spendex-")) picked[lower] = value;
  }
  return picked;
}
