// OpenAI-style error bodies (OpenAI, Mistral, vLLM, Groq...) -> ProviderError.

import type { ProviderError } from "../../errors";
import { errorFromStatus, type UpstreamErrorDetail } from "../core/errors";

type Loose = Record<string, unknown>;
const asObject = (value: unknown): Loose | undefined =>
  typeof value === "object" && value !== null ? (value as Loose) : undefined;
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * Reads `{error:{message,type,code,param}}` (OpenAI), `{message,type,code}` (Mistral) and
 * `{detail:[{msg,loc}]}` (FastAPI validation errors, Mistral 422) alike.
 */
export function openAIErrorDetail(body: unknown): UpstreamErrorDetail {
  if (typeof body === "string") return { message: body };
  const root = asObject(body);
  if (root === undefined) return {};
  const error = asObject(root.error) ?? root;
  // Mistral wraps its validation errors: { object: "error", message: { detail: [...] }, type, code }.
  const wrapped = asObject(error.message);
  const details = wrapped?.detail ?? root.detail;
  const detail = Array.isArray(details) ? asObject(details[0]) : undefined;
  const message =
    asString(error.message) ?? asString(root.error) ?? asString(detail?.msg) ?? asString(root.detail);
  const code = asString(error.code);
  const param = asString(error.param) ?? (Array.isArray(detail?.loc) ? detail.loc.join(".") : undefined);
  return { message, upstreamCode: code, param };
}

export function openAIError(options: {
  provider: string;
  apiKey: string;
  status: number;
  headers?: Headers;
  body: unknown;
}): ProviderError {
  return errorFromStatus({
    provider: options.provider,
    apiKey: options.apiKey,
    status: options.status,
    headers: options.headers,
    detail: openAIErrorDetail(options.body),
  });
}
