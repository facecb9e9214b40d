// dispatch: tries the candidates in order with retries, backoff, breakers and failover; returns the first success.

import type { CatalogModel } from "../catalog";
import { ProviderError, SpendexError, UnsupportedError } from "../errors";
import type { ProviderAdapter } from "../providers/types";
import type { Breakers } from "./breaker";
import type { Attempt, RequestContext } from "./context";
import type { LatencyTracker } from "./latency";

export interface RetrySettings {
  attemptsPerModel: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxCandidates: number;
}

export interface DispatchDeps {
  adapters: ReadonlyMap<string, ProviderAdapter>;
  breakers: Breakers;
  retry: RetrySettings;
  latency: LatencyTracker;
  random?: () => number;
  /** Told when an adapter throws something other than a provider error (a bug, logged with its stack). */
  onUnexpectedError?: (requestId: string, error: unknown) => void;
  /** Told when a provider refuses its configured key or redirects (the operator must fix it; requests fail over). */
  onProviderMisconfigured?: (provider: string, message: string) => void;
}

/** The client went away; nothing more is sent and the log says so. */
export class ClientAbortError extends SpendexError {
  constructor() {
    super({
      type: "invalid_request_error",
      code: "client_closed_request",
      status: 499,
      message: "Client closed the request.",
    });
  }
}

/** What dispatch needs of a model: chat models and embedding models alike. */
export interface Candidate {
  id: string;
  provider: string;
}

/** Tries the request's chat candidates (`context.candidates`). */
export function dispatch<T>(
  context: RequestContext,
  deps: DispatchDeps,
  signal: AbortSignal,
  call: (adapter: ProviderAdapter, model: CatalogModel) => Promise<T>,
): Promise<{ model: CatalogModel; result: T }> {
  return dispatchTo(context, deps, signal, context.candidates, call);
}

/** Tries the given candidates in order (embeddings pass their one model: no failover between models). */
export async function dispatchTo<T, M extends Candidate>(
  context: RequestContext,
  deps: DispatchDeps,
  signal: AbortSignal,
  candidates: readonly M[],
  call: (adapter: ProviderAdapter, model: M) => Promise<T>,
): Promise<{ model: M; result: T }> {
  const failures: ProviderError[] = [];
  /** Providers that refused their configured key (or redirected) during this request: their other models would too. */
  let misconfigured: Set<string> | undefined;
  let tried = 0;
  for (const model of candidates) {
    if (tried >= deps.retry.maxCandidates) break;
    const adapter = deps.adapters.get(model.provider);
    if (!adapter || misconfigured?.has(model.provider)) continue;
    if (!deps.breakers.allow(model.id) || !deps.breakers.allow(model.provider)) {
      context.attempts.push({
        model: model.id,
        status: null,
        ms: 0,
        error: "circuit_open",
        skipped: "circuit_open",
      });
      continue;
    }
    tried += 1;
    for (let attempt = 1; attempt <= deps.retry.attemptsPerModel; attempt++) {
      if (signal.aborted) throw new ClientAbortError();
      const start = performance.now();
      try {
        const result = await call(adapter, model);
        const ms = performance.now() - start;
        context.attempts.push({ model: model.id, status: 200, ms: round(ms) });
        deps.breakers.success(model.id);
        deps.breakers.success(model.provider);
        deps.latency.observe(model.id, ms);
        return { model, result };
      } catch (error) {
        if (signal.aborted) throw new ClientAbortError();
        const ms = round(performance.now() - start);
        if (error instanceof UnsupportedError) {
          // Refused before any call: the candidate was skipped, not answered with a 400.
          const skipped: Attempt = {
            model: model.id,
            status: null,
            ms,
            error: error.code,
            skipped: "unsupported",
          };
          if (error.param) skipped.param = error.param;
          context.attempts.push(skipped);
          // A pinned request asked for this exact model: say what it cannot do. `auto` routes around it, and so
          // does failover: a 400 about a model the client never asked for would only mislead.
          if (context.pinned && model === candidates[0]) throw error;
          // Nothing was sent: the skip does not use up one of the maxCandidates tries.
          tried -= 1;
          break;
        }
        const failure = asProviderError(error, model);
        context.attempts.push({ model: model.id, status: failure.upstreamStatus, ms, error: failure.code });
        if (!(error instanceof SpendexError)) {
          // Not a provider's answer but a bug in an adapter: say so, and fail over. Retrying would hit the same
          // bug, and the provider is not at fault, so its circuit is left alone (requests that trigger the bug
          // must not open it for everyone).
          deps.onUnexpectedError?.(context.id, error);
          failures.push(failure);
          break;
        }
        if (!failure.retryable) {
          if (!MISCONFIGURED.has(failure.code ?? "")) throw failure;
          // The provider refused the operator's key, or redirected (a wrong base URL): nothing about the request.
          // No retry; the next candidate answers. A 401 or a redirect holds for every model of the provider: its
          // other models are left out and its circuit counts it, so later requests skip it until a probe gets
          // through. A 403 may forbid only this model to the account (OpenAI answers so for a model a project
          // cannot use): only the model's circuit counts it, and the provider's other models stay candidates.
          failures.push(failure);
          deps.onProviderMisconfigured?.(model.provider, failure.message);
          if (failure.upstreamStatus === 403) {
            deps.breakers.failure(model.id);
            break;
          }
          deps.breakers.failure(model.provider);
          misconfigured ??= new Set();
          misconfigured.add(model.provider);
          break;
        }
        failures.push(failure);
        deps.breakers.failure(model.id);
        if (failure.upstreamStatus === 0) deps.breakers.failure(model.provider);
        if (attempt === deps.retry.attemptsPerModel || !deps.breakers.allow(model.id)) break;
        const delay = backoff(deps, attempt, failure.retryAfterSeconds);
        if (delay === undefined) break;
        await sleep(delay, signal);
      }
    }
  }
  throw exhausted(context.attempts, failures);
}

function asProviderError(error: unknown, model: Candidate): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof SpendexError) {
    return new ProviderError({
      type: error.type,
      code: error.code,
      message: error.message,
      status: error.status,
      param: error.param,
      retryable: error.retryable,
      provider: model.provider,
      upstreamStatus: error.status,
      cause: error,
    });
  }
  // An unexpected failure inside an adapter (a bug): reported as such; dispatch moves on to the next candidate.
  return new ProviderError({
    type: "upstream_error",
    code: "adapter_error",
    message: `The '${model.provider}' adapter failed unexpectedly.`,
    retryable: true,
    provider: model.provider,
    upstreamStatus: 0,
    cause: error,
  });
}

/** Exponential backoff with jitter; honours retry-after, or gives up on this model when it is too long. */
function backoff(
  deps: DispatchDeps,
  attempt: number,
  retryAfterSeconds: number | undefined,
): number | undefined {
  const { baseDelayMs, maxDelayMs } = deps.retry;
  if (retryAfterSeconds !== undefined) {
    const wait = retryAfterSeconds * 1000;
    return wait <= maxDelayMs ? wait : undefined;
  }
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return ceiling * (0.5 + 0.5 * (deps.random ?? Math.random)());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Failures of the provider's configuration rather than of the request or the provider's service. */
const MISCONFIGURED = new Set(["upstream_auth_error", "upstream_redirect"]);

/**
 * Every candidate failed: the upstream's own 429 when that was the cause throughout, the provider's refusal of its key
 * (or its redirect) when that was, else 503.
 */
function exhausted(attempts: readonly Attempt[], failures: readonly ProviderError[]): SpendexError {
  const first = failures[0];
  if (first && failures.every((f) => MISCONFIGURED.has(f.code ?? ""))) {
    if (failures.length === 1) return first;
    // Each provider's own message names it and its status, never a key: the operator reads them all.
    return new SpendexError({
      type: first.type,
      code: first.code ?? "upstream_auth_error",
      status: first.status,
      headers: first.headers,
      message: failures.map((f) => f.message).join(" "),
    });
  }
  const tried = attempts.map((a) => `${a.model} (${outcomeOf(a)})`).join(", ");
  if (failures.length > 0 && failures.every((f) => f.upstreamStatus === 429)) {
    const retryAfter = Math.max(...failures.map((f) => f.retryAfterSeconds ?? 1));
    return new SpendexError({
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      message: `Every candidate model is rate limited. Tried: ${tried}.`,
      headers: { "retry-after": String(retryAfter) },
    });
  }
  return new SpendexError({
    type: "service_unavailable",
    code: "provider_unavailable",
    retryable: true,
    message: tried
      ? `No provider could serve this request. Tried: ${tried}.`
      : "No connected provider can serve this request under its constraints.",
  });
}

function outcomeOf(attempt: Attempt): string | number {
  if (attempt.skipped === "circuit_open") return "skipped: circuit open";
  if (attempt.skipped === "unsupported")
    return `skipped: does not support '${attempt.param ?? "a parameter"}'`;
  const status = attempt.status ?? 0;
  return status >= 300 ? status : (attempt.error ?? "no response");
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
