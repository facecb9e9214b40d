// Provider kind -> adapter factory. Adding a provider: one folder plus one line here.

import { anthropicFactory } from "./anthropic";
import { geminiFactory } from "./gemini";
import { mistralFactory } from "./mistral";
import { openAIFactory } from "./openai";
import { openAICompatibleFactory } from "./openai-compatible";
import type { AdapterFactory, ProviderAdapter, ProviderConnection, ProviderKind } from "./types";

export const ADAPTER_FACTORIES: Readonly<Record<ProviderKind, AdapterFactory>> = {
  openai: openAIFactory,
  "openai-compatible": openAICompatibleFactory,
  mistral: mistralFactory,
  anthropic: anthropicFactory,
  gemini: geminiFactory,
};

export const PROVIDER_KINDS = Object.keys(ADAPTER_FACTORIES) as ProviderKind[];

export function isProviderKind(value: string): value is ProviderKind {
  return Object.hasOwn(ADAPTER_FACTORIES, value);
}

/** Builds the adapter for a connection; `fetchImpl` is injected so tests and the gateway choose the transport. */
export function createAdapter(
  connection: ProviderConnection,
  fetchImpl: typeof fetch = fetch,
): ProviderAdapter {
  const factory = ADAPTER_FACTORIES[connection.kind];
  if (factory === undefined) throw new TypeError(`Unknown provider kind '${String(connection.kind)}'.`);
  return factory(connection, fetchImpl);
}
