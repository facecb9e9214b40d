// The database schema (drizzle, PostgreSQL dialect): the same tables and columns as schema.ts, for several instances.
//
// Epoch-ms times are bigint read as JS numbers (exact up to 2^53) and money is double precision, so rows have the
// same TypeScript shape as SQLite's and one set of repository types serves both backends.

import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
} from "drizzle-orm/pg-core";

const epochMs = (name: string) => bigint(name, { mode: "number" });

export const apiKeys = pgTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  env: text("env").notNull(),
  hash: text("hash").notNull(),
  last4: text("last4").notNull(),
  team: text("team"),
  policy: text("policy"),
  allowedProviders: text("allowed_providers"),
  failover: text("failover"),
  rpmLimit: integer("rpm_limit"),
  tpmLimit: integer("tpm_limit"),
  createdAt: epochMs("created_at").notNull(),
  revokedAt: epochMs("revoked_at"),
});

export const requests = pgTable(
  "requests",
  {
    id: text("id").primaryKey(),
    time: epochMs("time").notNull(),
    keyId: text("key_id"),
    keyName: text("key_name"),
    agent: text("agent"),
    requestedModel: text("requested_model"),
    routedModel: text("routed_model"),
    provider: text("provider"),
    tier: text("tier"),
    confidence: doublePrecision("confidence"),
    status: integer("status").notNull(),
    errorCode: text("error_code"),
    stream: boolean("stream").notNull(),
    outcome: text("outcome").notNull(),
    promptTokens: integer("prompt_tokens").notNull(),
    cachedTokens: integer("cached_tokens").notNull(),
    completionTokens: integer("completion_tokens").notNull(),
    costUsd: doublePrecision("cost_usd").notNull(),
    usageEstimated: boolean("usage_estimated").notNull().default(false),
    endpoint: text("endpoint").notNull().default("chat"),
    savedUsd: doublePrecision("saved_usd").notNull(),
    totalMs: doublePrecision("total_ms").notNull(),
    stages: text("stages").notNull(),
    attempts: text("attempts").notNull(),
    policy: text("policy"),
    policyRevision: text("policy_revision"),
    policyError: text("policy_error"),
    decisionInput: text("decision_input"),
    capturedRequest: text("captured_request"),
  },
  (table) => [index("requests_time").on(table.time), index("requests_key").on(table.keyId, table.time)],
);

export const budgets = pgTable(
  "budgets",
  {
    scope: text("scope").notNull(),
    name: text("name").notNull(),
    period: text("period").notNull(),
    limitUsd: doublePrecision("limit_usd").notNull(),
  },
  (table) => [primaryKey({ columns: [table.scope, table.name] })],
);

export const budgetSpend = pgTable(
  "budget_spend",
  {
    scope: text("scope").notNull(),
    name: text("name").notNull(),
    periodStart: epochMs("period_start").notNull(),
    spentUsd: doublePrecision("spent_usd").notNull(),
    reservedUsd: doublePrecision("reserved_usd").notNull().default(0),
    alertsSent: integer("alerts_sent").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.scope, table.name, table.periodStart] })],
);
