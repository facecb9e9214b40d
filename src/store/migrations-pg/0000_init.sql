CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"env" text NOT NULL,
	"hash" text NOT NULL,
	"last4" text NOT NULL,
	"team" text,
	"policy" text,
	"allowed_providers" text,
	"failover" text,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint,
	CONSTRAINT "api_keys_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "budget_spend" (
	"scope" text NOT NULL,
	"name" text NOT NULL,
	"period_start" bigint NOT NULL,
	"spent_usd" double precision NOT NULL,
	"reserved_usd" double precision DEFAULT 0 NOT NULL,
	"alerts_sent" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "budget_spend_scope_name_period_start_pk" PRIMARY KEY("scope","name","period_start")
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"scope" text NOT NULL,
	"name" text NOT NULL,
	"period" text NOT NULL,
	"limit_usd" double precision NOT NULL,
	CONSTRAINT "budgets_scope_name_pk" PRIMARY KEY("scope","name")
);
--> statement-breakpoint
CREATE TABLE "requests" (
	"id" text PRIMARY KEY NOT NULL,
	"time" bigint NOT NULL,
	"key_id" text,
	"key_name" text,
	"agent" text,
	"requested_model" text,
	"routed_model" text,
	"provider" text,
	"tier" text,
	"confidence" double precision,
	"status" integer NOT NULL,
	"error_code" text,
	"stream" boolean NOT NULL,
	"outcome" text NOT NULL,
	"prompt_tokens" integer NOT NULL,
	"cached_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"cost_usd" double precision NOT NULL,
	"saved_usd" double precision NOT NULL,
	"total_ms" double precision NOT NULL,
	"stages" text NOT NULL,
	"attempts" text NOT NULL,
	"policy" text,
	"policy_revision" text,
	"policy_error" text,
	"decision_input" text,
	"captured_request" text
);
--> statement-breakpoint
CREATE INDEX "requests_time" ON "requests" USING btree ("time");--> statement-breakpoint
CREATE INDEX "requests_key" ON "requests" USING btree ("key_id","time");