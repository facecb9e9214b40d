// The database schema (drizzle, SQLite dialect): issued keys, the request log, budgets and their spend.

import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const apiKeys = sqliteTable("api_keys", {
  /** Public id embedded in the key after its prefix; used to find the row, never enough to authenticate. */
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  env: text("env").notNull(),
  /** SHA-256 (hex) of the whole key. Keys are 190 bits of randomness, so a fast hash is the right one. */
  hash: text("hash").notNull(),
  last4: text("last4").notNull(),
  team: text("team"),
  policy: text("policy"),
  /** JSON array of provider names this key may use; null means every connected provider. */
  allowedProviders: text("allowed_providers"),
  failover: text("failover"),
  /** Requests per minute this key may send (token bucket, see gateway/rate-limit.ts); null: no limit of its own. */
  rpmLimit: integer("rpm_limit"),
  /** Tokens per minute this key may use (prompt + completion; token bucket); null: no limit of its own. */
  tpmLimit: integer("tpm_limit"),
  createdAt: integer("created_at").notNull(),
  revokedAt: integer("revoked_at"),
});

export const requests = sqliteTable(
  "requests",
  {
    id: text("id").primaryKey(),
    time: integer("time").notNull(),
    keyId: text("key_id"),
    keyName: text("key_name"),
    agent: text("agent"),
    requestedModel: text("requested_model"),
    routedModel: text("routed_model"),
    provider: text("provider"),
    tier: text("tier"),
    confidence: real("confidence"),
    status: integer("status").notNull(),
    errorCode: text("error_code"),
    stream: integer("stream", { mode: "boolean" }).notNull(),
    /** complete | error_after_first_byte | client_aborted | failed */
    outcome: text("outcome").notNull(),
    promptTokens: integer("prompt_tokens").notNull(),
    cachedTokens: integer("cached_tokens").notNull(),
    completionTokens: integer("completion_tokens").notNull(),
    costUsd: real("cost_usd").notNull(),
    /** The upstream reported no usage: the tokens and cost are the gateway's estimate. */
    usageEstimated: integer("usage_estimated", { mode: "boolean" }).notNull().default(false),
    /** Which API the request called: `chat` (chat completions) or `embeddings`. */
    endpoint: text("endpoint").notNull().default("chat"),
    savedUsd: real("saved_usd").notNull(),
    totalMs: real("total_ms").notNull(),
    /** Per-stage durations in ms, JSON: {authenticate, parse, classify, decide, dispatch, stream, record}. */
    stages: text("stages").notNull(),
    /** JSON array of attempts: [{model, status, ms, error?, skipped?, param?}] (gateway/context.ts `Attempt`). */
    attempts: text("attempts").notNull(),
    policy: text("policy"),
    policyRevision: text("policy_revision"),
    policyError: text("policy_error"),
    /** The policy input, JSON, so replay can run the decision again. Contains no prompt text. */
    decisionInput: text("decision_input"),
    /** The request body, only when the config turns prompt capture on. */
    capturedRequest: text("captured_request"),
  },
  (table) => [index("requests_time").on(table.time), index("requests_key").on(table.keyId, table.time)],
);

export const budgets = sqliteTable(
  "budgets",
  {
    scope: text("scope").notNull(),
    name: text("name").notNull(),
    period: text("period").notNull(),
    limitUsd: real("limit_usd").notNull(),
  },
  (table) => [primaryKey({ columns: [table.scope, table.name] })],
);

export const budgetSpend = sqliteTable(
  "budget_spend",
  {
    scope: text("scope").notNull(),
    name: text("name").notNull(),
    /** Start of the period, epoch ms (UTC day or month). */
    periodStart: integer("period_start").notNull(),
    spentUsd: real("spent_usd").notNull(),
    /** Reservations in flight on the server that wrote it last (refreshed about every second), for `budgets list`. */
    reservedUsd: real("reserved_usd").notNull().default(0),
    /** Alert thresholds already sent this period, as a bit set: 1 = 50%, 2 = 80%, 4 = 100%. */
    alertsSent: integer("alerts_sent").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.scope, table.name, table.periodStart] })],
);
