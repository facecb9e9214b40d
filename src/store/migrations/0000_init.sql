CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`env` text NOT NULL,
	`hash` text NOT NULL,
	`last4` text NOT NULL,
	`team` text,
	`policy` text,
	`allowed_providers` text,
	`failover` text,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_name_unique` ON `api_keys` (`name`);--> statement-breakpoint
CREATE TABLE `budget_spend` (
	`scope` text NOT NULL,
	`name` text NOT NULL,
	`period_start` integer NOT NULL,
	`spent_usd` real NOT NULL,
	`reserved_usd` real DEFAULT 0 NOT NULL,
	`alerts_sent` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`scope`, `name`, `period_start`)
);
--> statement-breakpoint
CREATE TABLE `budgets` (
	`scope` text NOT NULL,
	`name` text NOT NULL,
	`period` text NOT NULL,
	`limit_usd` real NOT NULL,
	PRIMARY KEY(`scope`, `name`)
);
--> statement-breakpoint
CREATE TABLE `requests` (
	`id` text PRIMARY KEY NOT NULL,
	`time` integer NOT NULL,
	`key_id` text,
	`key_name` text,
	`agent` text,
	`requested_model` text,
	`routed_model` text,
	`provider` text,
	`tier` text,
	`confidence` real,
	`status` integer NOT NULL,
	`error_code` text,
	`stream` integer NOT NULL,
	`outcome` text NOT NULL,
	`prompt_tokens` integer NOT NULL,
	`cached_tokens` integer NOT NULL,
	`completion_tokens` integer NOT NULL,
	`cost_usd` real NOT NULL,
	`saved_usd` real NOT NULL,
	`total_ms` real NOT NULL,
	`stages` text NOT NULL,
	`attempts` text NOT NULL,
	`policy` text,
	`policy_revision` text,
	`policy_error` text,
	`decision_input` text,
	`captured_request` text
);
--> statement-breakpoint
CREATE INDEX `requests_time` ON `requests` (`time`);--> statement-breakpoint
CREATE INDEX `requests_key` ON `requests` (`key_id`,`time`);