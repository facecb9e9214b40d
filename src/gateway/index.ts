// The pipeline of one chat completion: authenticate → parse → classify → decide → dispatch → stream → record.

import { type Catalog, type CatalogModel, fits } from "../catalog";
import type { Settings } from "../config";
import { SpendexError, toErrorBody } from "../errors";
import type { CallOptions, ProviderAdapter, StreamResult } from "../providers/types";
import type { KeyRecord, Store } from "../store";
import { Authenticator } from "./authenticate";
import { Breakers } from "./breaker";
import { type BudgetGuard, worstCaseUsd } from "./budgets";
import { newContext, type RequestContext, timed } from "./context";
import {
  autoNotConfigured,
  type Constraints,
  constraintsFor,
  failoverCandidates,
  noCandidate,
  requireCapabilities,
  resolvePinned,
} from "./decide";
import { ClientAbortError, type DispatchDeps, dispatch } from "./dispatch";
import { createEmbeddings } from "./embeddings";
import { completionChars, usageOf } from "./estimate";
import { LatencyTracker } from "./latency";
import { GatewayMetrics } from "./metrics";
import { BudgetGauges } from "./metrics/budgets";
import { renderMetrics } from "./metrics/gauges";
import { parseChatRequest, type RequestTraits, readBody, traitsOf } from "./parse";
import { RateLimiter, type TpmKey } from "./rate-limit";
import { record } from "./record";
import { passRateLimits, price, responseHeaders, spendexInfo } from "./respond";
import { type OpenedStream, openStream, sseBody } from "./stream";
import { CallTimeouts } from "./timeouts";

export { type AlertSender, webhookAlerts } from "./alerts";
export { type Alert, BudgetGuard, type BudgetView, periodEnd, periodStart } from "./budgets";
export type { RequestContext } from "./context";
export { GatewayMetrics, METRICS_CONTENT_TYPE } from "./metrics";
export { RateLimiter, TokenBuckets } from "./rate-limit";

/** `auto` routing: classify the request and let the policy choose; fills the context, returns models in order. */
export interface AutoRouter {
  route(
    context: RequestContext,
    traits: RequestTraits,
    constraints: Constraints,
    headers: Headers,
  ): Promise<CatalogModel[]>;
}

export interface GatewayDeps {
  settings: Settings;
  catalog: Catalog;
  store: Store;
  adapters: ReadonlyMap<string, ProviderAdapter>;
  auto?: AutoRouter;
  budgets?: BudgetGuard;
  /** Per-key requests-per-minute limits; default: this instance's memory. */
  rateLimiter?: RateLimiter;
  breakers?: Breakers;
  latency?: LatencyTracker;
  /** Told about failures that are bugs rather than request errors (the client only sees a generic 500). */
  onUnexpectedError?: (requestId: string, error: unknown) => void;
  /** Told when a provider refuses its configured key or redirects: requests fail over, the operator must fix it. */
  onProviderMisconfigured?: (provider: string, message: string) => void;
}

export interface Gateway {
  chatCompletions(request: Request): Promise<Response>;
  /** `POST /v1/embeddings`: pinned embedding models only (gateway/embeddings.ts). */
  embeddings(request: Request): Promise<Response>;
  /** Authenticates a request for the non-chat routes; rejects with a 401 SpendexError. */
  authenticate(authorization: string | null): Promise<void>;
  connected: ReadonlySet<string>;
  breakers: Breakers;
  latency: LatencyTracker;
  /** Requests (streams included) that have started and not yet been recorded. */
  inFlight(): number;
  /** Prometheus text exposition of the counters, histograms and gauges; `budgets` adds the per-budget gauges. */
  metrics(options?: { budgets?: boolean }): Promise<string>;
  /** Resolves once every request in flight has been answered and recorded, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export function createGateway(deps: GatewayDeps): Gateway {
  const { settings, catalog, store } = deps;
  const authenticator = new Authenticator(store.keys);
  const rateLimiter = deps.rateLimiter ?? new RateLimiter();
  const breakers = deps.breakers ?? new Breakers(settings.breaker);
  const latency = deps.latency ?? new LatencyTracker();
  const connected = new Set(deps.adapters.keys());
  const metrics = new GatewayMetrics();
  const budgetGauges = new BudgetGauges(store.budgets);
  const baseline = catalog.resolve(settings.baselineModel);
  const baselineId = baseline?.id ?? settings.baselineModel;
  const dispatchDeps: DispatchDeps = {
    adapters: deps.adapters,
    breakers,
    retry: settings.retry,
    latency,
    ...(deps.onUnexpectedError ? { onUnexpectedError: deps.onUnexpectedError } : {}),
    ...(deps.onProviderMisconfigured ? { onProviderMisconfigured: deps.onProviderMisconfigured } : {}),
  };
  const timeouts = new CallTimeouts(settings.timeouts);

  let active = 0;
  let drained: Array<() => void> = [];
  const settled = () => {
    active -= 1;
    if (active > 0 || drained.length === 0) return;
    const waiting = drained;
    drained = [];
    for (const resolve of waiting) resolve();
  };
  const recordAndSettle = (context: RequestContext, capture: object | undefined) => {
    try {
      record(context, store.log, settings.capturePrompts ? capture : undefined, metrics);
    } finally {
      settled();
    }
  };

  async function chatCompletions(request: Request): Promise<Response> {
    active += 1;
    // Time-ordered ids (UUIDv7): the log's primary key then grows at its end. Random ids made every insert land at
    // a random page of the index: 27–31 µs a row against 5–7 µs at 100k rows (`bun run bench:log`), and worse as the
    // log grows.
    const context = newContext(`req_${Bun.randomUUIDv7().replaceAll("-", "")}`);
    try {
      const authenticated = timed(context, "authenticate", () =>
        authenticator.authenticate(request.headers.get("authorization")),
      );
      const key = authenticated instanceof Promise ? await authenticated : authenticated;
      context.key = key;
      // Before the body is read or a budget reserved: a refused request costs no more than a 401 does.
      if (key.rpmLimit !== null) {
        const start = performance.now();
        const admitted = rateLimiter.admit(key as KeyRecord & { rpmLimit: number });
        context.rate = admitted instanceof Promise ? await admitted : admitted;
        context.stages.authenticate = (context.stages.authenticate ?? 0) + (performance.now() - start);
      }
      const parseStart = performance.now();
      const text = await readBody(request, settings.bodyLimitBytes);
      const chat = parseChatRequest(text);
      const traits = traitsOf(chat);
      context.stages.parse = performance.now() - parseStart;
      context.request = chat;
      context.requestedModel = chat.model;
      context.needs = traits.needs;
      context.estimatedPromptTokens = traits.estimatedPromptTokens;
      context.agent = request.headers.get("x-spendex-agent") ?? chat.user ?? undefined;
      context.forwardHeaders = forwarded(request.headers, settings.forwardHeaders);
      // After the prompt is estimated, before a budget is reserved or a provider called (decision 0006, tokens).
      if (key.tpmLimit !== null) {
        const admitted = rateLimiter.admitTokens(key as TpmKey, traits.estimatedPromptTokens);
        context.tokenRate = admitted instanceof Promise ? await admitted : admitted;
      }

      const constraints = constraintsFor(key, request.headers, connected);
      if (deps.budgets) {
        const views = deps.budgets.applicable({ key: key.name, team: key.team, agent: context.agent });
        context.budgets = views instanceof Promise ? await views : views;
      }
      let chosen: CatalogModel[];
      if (chat.model === "auto") {
        if (!deps.auto) throw autoNotConfigured();
        context.pinned = false;
        const picked = await deps.auto.route(context, traits, constraints, request.headers);
        // A policy may pick a model that cannot carry this request (no vision, too small a window): drop it.
        chosen = picked.filter((model) => fits(model, traits.needs));
        if (chosen.length === 0) {
          const tier = context.tier ?? "medium";
          chosen = catalog.inTier(tier, constraints.providers, traits.needs).slice(0, 1);
          if (context.policy && picked.length > 0) {
            context.policy.error = `${picked.map((m) => m.id).join(", ")} cannot serve this request; used ${chosen[0]?.id ?? "none"}`;
          }
        }
      } else {
        chosen = timed(context, "decide", () => {
          const pinned = resolvePinned(catalog, chat.model, constraints, connected, settings.disconnected);
          requireCapabilities(pinned, traits.needs, chat);
          return [pinned];
        });
      }
      const first = chosen[0];
      if (!first) throw noCandidate();
      context.tier ??= first.tier;
      // Failover stays in the tier of the model actually chosen (a policy may have moved up or down a tier).
      context.candidates = failoverCandidates(catalog, chosen, first.tier, traits.needs, constraints);
      if (deps.budgets && context.budgets.length > 0) {
        const maxTokens = chat.max_completion_tokens ?? chat.max_tokens ?? undefined;
        const worst = worstCaseUsd(
          context.candidates.slice(0, settings.retry.maxCandidates),
          traits.estimatedPromptTokens,
          maxTokens,
          chat.n ?? 1,
        );
        const release = deps.budgets.reserve(context.budgets, worst);
        context.release = release instanceof Promise ? await release : release;
      }

      const options = (model: CatalogModel): CallOptions => ({
        request: chat,
        upstreamModel: model.upstreamName,
        signal: request.signal,
        timeouts: timeouts.for(model, chat.stream === true),
        defaultMaxTokens: model.maxOutputTokens,
        ...(context.forwardHeaders ? { passHeaders: context.forwardHeaders } : {}),
      });
      const dispatchStart = performance.now();
      if (chat.stream === true) {
        const { model, result } = await dispatch(context, dispatchDeps, request.signal, (adapter, m) =>
          openStream(adapter, options(m)),
        );
        context.stages.dispatch = performance.now() - dispatchStart;
        return streamResponse(context, model, result, chat.stream_options?.include_usage === true);
      }
      const { model, result } = await dispatch(context, dispatchDeps, request.signal, (adapter, m) =>
        adapter.complete(options(m)),
      );
      context.stages.dispatch = performance.now() - dispatchStart;
      price(context, model, result.tokens, baseline, () => completionChars(result.body));
      context.status = 200;
      const body = result.body as Record<string, unknown>;
      if (context.usageEstimated && context.tokens) body.usage = usageOf(context.tokens);
      body.spendex = spendexInfo(context, baselineId);
      const headers = responseHeaders(context, "application/json");
      passRateLimits(headers, result.upstreamHeaders, context);
      recordAndSettle(context, chat);
      return new Response(JSON.stringify(body), { status: 200, headers });
    } catch (error) {
      return failed(context, error);
    }
  }

  function streamResponse(
    context: RequestContext,
    model: CatalogModel,
    opened: OpenedStream & { result: StreamResult },
    includeUsage: boolean,
  ): Response {
    context.status = 200;
    context.routed = model;
    const streamStart = performance.now();
    const headers = responseHeaders(context, "text/event-stream; charset=utf-8");
    headers["cache-control"] = "no-cache";
    passRateLimits(headers, opened.result.upstreamHeaders, context);
    const body = sseBody(opened, {
      includeUsage,
      finish: (outputChars) => {
        price(context, model, opened.result.tokens(), baseline, () => outputChars);
        const spendex = spendexInfo(context, baselineId) as unknown as Record<string, unknown>;
        const estimated = context.usageEstimated && context.tokens ? usageOf(context.tokens) : undefined;
        return estimated ? { spendex, estimatedUsage: estimated } : { spendex };
      },
      end: (outcome, outputChars, error) => {
        context.outcome = outcome;
        context.stages.stream = performance.now() - streamStart;
        if (outcome !== "complete") {
          // A stream cut short (upstream failure, client gone) is billed on what was relayed, not as free.
          price(context, model, opened.result.tokens(), baseline, () => outputChars);
          if (error instanceof SpendexError) context.errorCode = error.code;
          else if (outcome === "client_aborted") context.errorCode = "client_closed_request";
          else context.errorCode = "stream_interrupted";
        }
        recordAndSettle(context, context.request);
      },
    });
    return new Response(body, { status: 200, headers });
  }

  function failed(context: RequestContext, error: unknown): Response {
    if (!(error instanceof SpendexError)) deps.onUnexpectedError?.(context.id, error);
    const rendered = toErrorBody(error);
    context.status = rendered.status;
    context.errorCode = rendered.body.error.code ?? undefined;
    context.outcome = error instanceof ClientAbortError ? "client_aborted" : "failed";
    const headers = { ...responseHeaders(context, "application/json"), ...rendered.headers };
    recordAndSettle(context, context.request);
    return new Response(JSON.stringify(rendered.body), { status: rendered.status, headers });
  }

  const embeddings = createEmbeddings({
    settings,
    catalog,
    connected,
    authenticator,
    rateLimiter,
    budgets: deps.budgets,
    dispatch: dispatchDeps,
    timeouts,
    begin: () => {
      active += 1;
    },
    finish: recordAndSettle,
    failed,
    forwarded: (headers) => forwarded(headers, settings.forwardHeaders),
  });

  return {
    chatCompletions,
    embeddings,
    authenticate: async (authorization) => void (await authenticator.authenticate(authorization)),
    connected,
    breakers,
    latency,
    inFlight: () => active,
    metrics: (options = {}) =>
      renderMetrics(
        metrics,
        { breakers, models: () => catalog.all(), connected, inFlight: () => active, log: store.log },
        options.budgets ? budgetGauges : undefined,
      ),
    drain: (timeoutMs) =>
      active === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, timeoutMs);
            drained.push(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
  };
}

function forwarded(headers: Headers, prefixes: readonly string[]): Record<string, string> | undefined {
  if (prefixes.length === 0) return undefined;
  let out: Record<string, string> | undefined;
  headers.forEach((value, name) => {
    if (prefixes.some((prefix) => name.startsWith(prefix))) {
      out ??= {};
      out[name] = value;
    }
  });
  return out;
}
