// decide: which models to try, in order — the pinned model or the policy's pick, then equivalents.

import type { Catalog, CatalogModel, Needs, Tier } from "../catalog";
import { fits, TIERS } from "../catalog";
import { invalidRequest, SpendexError } from "../errors";
import type { ChatRequest } from "../openai/types";
import type { KeyRecord } from "../store";
import type { FailoverMode } from "./context";

const FAILOVER_MODES: readonly FailoverMode[] = ["off", "same-provider", "equivalent"];

export interface Constraints {
  /** Providers this request may use: connected ∩ key allow-list ∩ `x-spendex-providers`. */
  providers: Set<string>;
  failover: FailoverMode;
}

export function constraintsFor(
  key: KeyRecord,
  headers: Headers,
  connected: ReadonlySet<string>,
): Constraints {
  let providers = new Set(connected);
  if (key.allowedProviders) providers = intersect(providers, key.allowedProviders);
  const asked = headers.get("x-spendex-providers");
  if (asked) {
    const names = asked
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
    providers = intersect(providers, names);
  }
  const mode = (headers.get("x-spendex-failover") ?? key.failover ?? "equivalent").toLowerCase();
  if (!FAILOVER_MODES.includes(mode as FailoverMode)) {
    throw invalidRequest(
      `Invalid 'x-spendex-failover' header: use one of ${FAILOVER_MODES.join(", ")}.`,
      "x-spendex-failover",
    );
  }
  return { providers, failover: mode as FailoverMode };
}

function intersect(set: Set<string>, names: readonly string[]): Set<string> {
  const allowed = new Set(names);
  return new Set([...set].filter((name) => allowed.has(name)));
}

/** Resolves a pinned model name, with the errors the docs promise. */
export function resolvePinned(
  catalog: Catalog,
  reference: string,
  constraints: Constraints,
  connected: ReadonlySet<string>,
  disconnected: ReadonlyMap<string, string>,
): CatalogModel {
  const model = catalog.resolve(reference);
  if (!model) {
    const embedding = catalog.resolveEmbedding(reference);
    if (embedding) {
      throw new SpendexError({
        type: "invalid_request_error",
        code: "wrong_model_kind",
        param: "model",
        message: `The model '${embedding.id}' is an embedding model: call POST /v1/embeddings with it, or pick a chat model.`,
      });
    }
    throw new SpendexError({
      type: "not_found_error",
      code: "model_not_found",
      param: "model",
      message: `The model '${reference}' does not exist in the catalog. GET /v1/models lists the models you can use.`,
    });
  }
  requireReachable(model, constraints, connected, disconnected);
  return model;
}

/** A named model (chat or embedding) whose provider is not connected, or not allowed for this key or request: 400. */
export function requireReachable(
  model: { id: string; provider: string },
  constraints: Constraints,
  connected: ReadonlySet<string>,
  disconnected: ReadonlyMap<string, string>,
): void {
  if (!connected.has(model.provider)) {
    const variable = disconnected.get(model.provider) ?? `${model.provider.toUpperCase()}_API_KEY`;
    throw new SpendexError({
      type: "invalid_request_error",
      code: "provider_not_connected",
      param: "model",
      message: `The model '${model.id}' needs the provider '${model.provider}', which is not connected. Set ${variable} to connect it.`,
    });
  }
  if (!constraints.providers.has(model.provider)) {
    throw new SpendexError({
      type: "invalid_request_error",
      code: "provider_not_allowed",
      param: "model",
      message: `The model '${model.id}' is from '${model.provider}', which this key or request does not allow.`,
    });
  }
}

/**
 * A pinned model that lacks a capability the request needs (images, tools, a JSON schema) is a 400 naming what it
 * lacks, rather than a request the upstream would refuse or silently answer without. The context window is not
 * checked here: the prompt estimate is too rough to refuse a request on.
 */
export function requireCapabilities(model: CatalogModel, needs: Needs, request: ChatRequest): void {
  const { capabilities } = model;
  let param: string | undefined;
  let what = "";
  if (needs.vision && !capabilities.vision) {
    param = firstImagePart(request) ?? "messages";
    what = "image inputs";
  } else if (needs.tools && !capabilities.tools) {
    param = "tools";
    what = "tools";
  } else if (needs.jsonSchema && !capabilities.jsonSchema) {
    param = "response_format";
    what = "JSON schema responses";
  }
  if (param === undefined) return;
  throw new SpendexError({
    type: "invalid_request_error",
    code: "unsupported_parameter",
    param,
    message: `The model '${model.id}' (provider '${model.provider}') does not support ${what}. Pick a model that does, or model 'auto'.`,
  });
}

function firstImagePart(request: ChatRequest): string | undefined {
  for (let i = 0; i < request.messages.length; i++) {
    const content = request.messages[i]?.content;
    if (!Array.isArray(content)) continue;
    const j = content.findIndex((part) => part?.type === "image_url");
    if (j >= 0) return `messages[${i}].content[${j}]`;
  }
  return undefined;
}

/**
 * The failover candidates after the chosen models: same tier first (cheapest first), other providers before
 * the same provider for `equivalent`, and only ever models that have everything the request needs.
 */
export function failoverCandidates(
  catalog: Catalog,
  chosen: readonly CatalogModel[],
  tier: Tier,
  needs: Needs,
  constraints: Constraints,
): CatalogModel[] {
  const first = chosen[0];
  if (!first || constraints.failover === "off") return [...chosen];
  const seen = new Set(chosen.map((model) => model.id));
  const out = [...chosen];
  const providers =
    constraints.failover === "same-provider" ? new Set([first.provider]) : constraints.providers;
  const pool = catalog.inTier(tier, providers, needs).filter((model) => !seen.has(model.id));
  // Prefer another provider: when one provider is down, its sibling models usually are too.
  pool.sort((a, b) => Number(a.provider === first.provider) - Number(b.provider === first.provider));
  out.push(...pool);
  return out;
}

/** Whether a model can serve the request at all (used to drop policy picks that cannot). */
export function canServe(model: CatalogModel, needs: Needs): boolean {
  return fits(model, needs);
}

export function tierAbove(tier: Tier): Tier | undefined {
  return TIERS[TIERS.indexOf(tier) + 1];
}

export function noCandidate(): SpendexError {
  return new SpendexError({
    type: "service_unavailable",
    code: "provider_unavailable",
    message:
      "No connected model can serve this request under its constraints (providers, tools, vision, context).",
  });
}

export function autoNotConfigured(): SpendexError {
  return new SpendexError({
    type: "invalid_request_error",
    code: "auto_routing_not_configured",
    param: "model",
    message:
      "Automatic routing (model 'auto') is not configured on this server: no classifier model or policy is loaded. Pass a specific model name, or see the README's 'Automatic routing' section.",
  });
}
