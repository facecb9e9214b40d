// The pipeline of one embeddings request: authenticate → parse → decide (pinned only) → dispatch → record.
// No tier, no `auto`, no failover to another model: vectors of two models are not comparable (decision 0008).

import { type Catalog, type EmbeddingModel, embeddingCostOf } from "../catalog";
import type { Settings } from "../config";
import { SpendexError } from "../errors";
import { type EmbeddingsRequest, validateEmbeddingsRequest } from "../openai/embeddings";
import type { ProviderAdapter } from "../providers/types";
import type { KeyRecord } from "../store";
import type { Authenticator } from "./authenticate";
import type { BudgetGuard } from "./budgets";
import { newContext, type RequestContext } from "./context";
import { type Constraints, constraintsFor, requireReachable } from "./decide";
import { type DispatchDeps, dispatchTo } from "./dispatch";
import { parseJsonBody, readBody } from "./parse";
import type { RateLimiter, TpmKey } from "./rate-limit";
import { passRateLimits, responseHeaders } from "./respond";
import type { CallTimeouts } from "./timeouts";

export interface EmbeddingsDeps {
  settings: Settings;
  catalog: Catalog;
  connected: ReadonlySet<string>;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  budgets: BudgetGuard | undefined;
  dispatch: DispatchDeps;
  timeouts: CallTimeouts;
  /** The gateway's in-flight bookkeeping: `begin` when a request starts, `finish` records it (and settles budgets). */
  begin(): void;
  finish(context: RequestContext, capture: object | undefined): void;
  /** Renders and records a failure, as for chat. */
  failed(context: RequestContext, error: unknown): Response;
  forwarded(headers: Headers): Record<string, string> | undefined;
}

export function createEmbeddings(deps: EmbeddingsDeps): (request: Request) => Promise<Response> {
  const { settings } = deps;
  return async (request) => {
    deps.begin();
    const context = newContext(`req_${Bun.randomUUIDv7().replaceAll("-", "")}`);
    context.endpoint = "embeddings";
    try {
      const start = performance.now();
      const authenticated = deps.authenticator.authenticate(request.headers.get("authorization"));
      const key = authenticated instanceof Promise ? await authenticated : authenticated;
      context.key = key;
      if (key.rpmLimit !== null) {
        const admitted = deps.rateLimiter.admit(key as KeyRecord & { rpmLimit: number });
        context.rate = admitted instanceof Promise ? await admitted : admitted;
      }
      context.stages.authenticate = performance.now() - start;

      const parseStart = performance.now();
      const body = validateEmbeddingsRequest(
        parseJsonBody(await readBody(request, settings.bodyLimitBytes), "embeddings"),
      );
      context.stages.parse = performance.now() - parseStart;
      context.requestedModel = body.model;
      context.estimatedPromptTokens = estimateInputTokens(body.input);
      context.agent = request.headers.get("x-spendex-agent") ?? body.user ?? undefined;
      context.forwardHeaders = deps.forwarded(request.headers);
      if (key.tpmLimit !== null) {
        const admitted = deps.rateLimiter.admitTokens(key as TpmKey, context.estimatedPromptTokens);
        context.tokenRate = admitted instanceof Promise ? await admitted : admitted;
      }

      const decideStart = performance.now();
      const constraints = constraintsFor(key, request.headers, deps.connected);
      const model = resolveEmbeddingModel(deps, body.model, constraints);
      context.stages.decide = performance.now() - decideStart;
      if (deps.budgets) {
        const views = deps.budgets.applicable({ key: key.name, team: key.team, agent: context.agent });
        context.budgets = views instanceof Promise ? await views : views;
        if (context.budgets.length > 0) {
          // The worst case is the estimate itself: an embedding has no output tokens.
          const release = deps.budgets.reserve(
            context.budgets,
            embeddingCostOf(model, context.estimatedPromptTokens),
          );
          context.release = release instanceof Promise ? await release : release;
        }
      }

      const dispatchStart = performance.now();
      const timeouts = deps.timeouts.for(model, false);
      const { result } = await dispatchTo(context, deps.dispatch, request.signal, [model], (adapter, m) =>
        embedWith(adapter, {
          body,
          upstreamModel: m.upstreamName,
          signal: request.signal,
          timeouts,
          ...(context.forwardHeaders ? { passHeaders: context.forwardHeaders } : {}),
        }),
      );
      context.stages.dispatch = performance.now() - dispatchStart;

      const prompt = result.promptTokens ?? context.estimatedPromptTokens;
      context.routed = model;
      context.usageEstimated = result.promptTokens === undefined;
      context.tokens = { prompt, cached: 0, completion: 0 };
      context.costUsd = embeddingCostOf(model, prompt);
      context.status = 200;
      const answer = result.body;
      if (context.usageEstimated) answer.usage = { prompt_tokens: prompt, total_tokens: prompt };
      answer.spendex = {
        routed_model: model.name,
        provider: model.provider,
        cost_usd: context.costUsd,
        request_id: context.id,
        ...(context.usageEstimated ? { usage_estimated: true } : {}),
        ...(context.attempts.length > 1 ? { fallbacks: context.attempts } : {}),
      };
      const headers = responseHeaders(context, "application/json");
      passRateLimits(headers, result.upstreamHeaders, context);
      deps.finish(context, body);
      return new Response(JSON.stringify(answer), { status: 200, headers });
    } catch (error) {
      return deps.failed(context, error);
    }
  };
}

/** Prompt tokens before the upstream says: 4 characters a token for text, the exact count for token ids. */
export function estimateInputTokens(input: EmbeddingsRequest["input"]): number {
  if (typeof input === "string") return Math.ceil(input.length / 4);
  let tokens = 0;
  for (const item of input) {
    if (typeof item === "string") tokens += Math.ceil(item.length / 4);
    else if (Array.isArray(item)) tokens += item.length;
    else tokens += 1;
  }
  return tokens;
}

function resolveEmbeddingModel(
  deps: EmbeddingsDeps,
  reference: string,
  constraints: Constraints,
): EmbeddingModel {
  const model = deps.catalog.resolveEmbedding(reference);
  if (!model) {
    const chat = reference === "auto" ? undefined : deps.catalog.resolve(reference);
    if (reference === "auto" || chat) {
      throw new SpendexError({
        type: "invalid_request_error",
        code: "wrong_model_kind",
        param: "model",
        message:
          reference === "auto"
            ? "Embeddings need a specific embedding model ('auto' routes chat completions only). GET /v1/models lists them."
            : `The model '${chat?.id}' is a chat model, not an embedding model. GET /v1/models lists the embedding models.`,
      });
    }
    throw new SpendexError({
      type: "not_found_error",
      code: "model_not_found",
      param: "model",
      message: `The model '${reference}' does not exist in the catalog. GET /v1/models lists the models you can use.`,
    });
  }
  requireReachable(model, constraints, deps.connected, deps.settings.disconnected);
  return model;
}

function embedWith(adapter: ProviderAdapter, options: Parameters<NonNullable<ProviderAdapter["embed"]>>[0]) {
  if (!adapter.embed) {
    // Only a catalog mistake gets here (an embedding model declared on a chat-only provider): not the client's fault.
    throw new SpendexError({
      type: "invalid_request_error",
      code: "unsupported_endpoint",
      message: `The provider '${adapter.connection.name}' has no embeddings API.`,
    });
  }
  return adapter.embed(options);
}
