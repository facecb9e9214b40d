// record: turns the finished request context into one log row, queued for the batched writer, and counts it.

import { JsonText, type RequestLogStore } from "../store";
import type { RequestContext } from "./context";
import type { GatewayMetrics } from "./metrics";

export function record(
  context: RequestContext,
  log: RequestLogStore,
  capture: object | undefined,
  metrics: GatewayMetrics,
): void {
  const start = performance.now();
  context.release?.(context.costUsd);
  context.release = undefined;
  const tokens = context.tokens;
  // The key's token bucket took the prompt estimate; now it learns what was used (nothing, for a failed request).
  if (context.tokenRate !== undefined)
    context.tokenRate.settle(tokens ? tokens.prompt + tokens.completion : 0);
  const totalMs = performance.now() - context.startedAt;
  const row = {
    id: context.id,
    time: context.time,
    keyId: context.key?.id ?? null,
    keyName: context.key?.name ?? null,
    agent: context.agent ?? null,
    requestedModel: context.requestedModel ?? null,
    routedModel: context.routed?.id ?? null,
    provider: context.routed?.provider ?? null,
    tier: context.tier ?? context.routed?.tier ?? null,
    confidence: context.classification?.confidence ?? null,
    status: context.status,
    errorCode: context.errorCode ?? null,
    stream: context.request?.stream === true,
    endpoint: context.endpoint ?? "chat",
    outcome: context.outcome,
    promptTokens: tokens?.prompt ?? 0,
    cachedTokens: tokens?.cached ?? 0,
    completionTokens: tokens?.completion ?? 0,
    costUsd: context.costUsd,
    usageEstimated: context.usageEstimated === true,
    savedUsd: context.savedUsd,
    totalMs,
    // JSON columns are serialised by the log's batch flush, off the request path.
    stages: new JsonText(context.stages, roundMs),
    attempts: new JsonText(context.attempts),
    policy: context.policy?.name ?? null,
    policyRevision: context.policy?.revision ?? null,
    policyError: context.policy?.error ?? null,
    // The policy input is a few kilobytes.
    decisionInput: context.policy?.input === undefined ? null : new JsonText(context.policy.input),
    capturedRequest: capture ? new JsonText(capture) : null,
  };
  metrics.observe(context, totalMs);
  context.stages.record = performance.now() - start;
  log.record(row);
}

/** Stage durations to the microsecond; a stage named but never timed is 0. */
function roundMs(key: string, value: unknown): unknown {
  if (key === "") return value;
  return typeof value === "number" ? Math.round(value * 1000) / 1000 : (value ?? 0);
}
