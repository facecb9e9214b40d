// record: turns the finished request context into one log row, queued for the batched writer.

import type { ChatRequest } from "../openai/types";
import { JsonText, type RequestLogStore } from "../store";
import type { RequestContext } from "./context";

export function record(
  context: RequestContext,
  log: RequestLogStore,
  capture: ChatRequest | undefined,
): void {
  const start = performance.now();
  context.release?.(context.costUsd);
  context.release = undefined;
  const tokens = context.tokens;
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
    outcome: context.outcome,
    promptTokens: tokens?.prompt ?? 0,
    cachedTokens: tokens?.cached ?? 0,
    completionTokens: tokens?.completion ?? 0,
    costUsd: context.costUsd,
    usageEstimated: context.usageEstimated === true,
    savedUsd: context.savedUsd,
    totalMs: performance.now() - context.startedAt,
    stages: "",
    attempts: JSON.stringify(context.attempts),
    policy: context.policy?.name ?? null,
    policyRevision: context.policy?.revision ?? null,
    policyError: context.policy?.error ?? null,
    // Serialised by the log's batch flush, off the request path (the policy input is a few kilobytes).
    decisionInput: context.policy?.input === undefined ? null : new JsonText(context.policy.input),
    capturedRequest: capture ? new JsonText(capture) : null,
  };
  context.stages.record = performance.now() - start;
  row.stages = JSON.stringify(roundStages(context.stages));
  log.record(row);
}

function roundStages(stages: RequestContext["stages"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [stage, ms] of Object.entries(stages)) out[stage] = Math.round((ms ?? 0) * 1000) / 1000;
  return out;
}
