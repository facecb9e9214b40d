// Anthropic error bodies and stream `error` events -> ProviderError (529 overloaded_error is retryable).

import type { ProviderError } from "../../errors";
import { errorFromStatus, type UpstreamErrorDetail } from "../core/errors";

/** Anthropic's error types, for `error` events that arrive inside a 200 stream without a status of their own. */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** `{ type: "error", error: { type, message } }` */
export function anthropicErrorDetail(body: unknown): UpstreamErrorDetail & { type?: string } {
  if (typeof body === "string") return { message: body };
  const error = (body as { error?: { type?: unknown; message?: unknown } } | null)?.error;
  if (typeof error !== "object" || error === null) return {};
  const type = typeof error.type === "string" ? error.type : undefined;
  return { message: typeof error.message === "string" ? error.message : undefined, upstreamCode: type, type };
}

export function anthropicError(options: {
  provider: string;
  apiKey: string;
  status: number;
  headers?: Headers;
  body: unknown;
}): ProviderError {
  return errorFromStatus({ ...options, detail: anthropicErrorDetail(options.body) });
}

/** A mid-stream `error` event: its type stands in for the status (unknown types count as server errors). */
export function anthropicStreamError(options: {
  provider: string;
  apiKey: string;
  body: unknown;
}): ProviderError {
  const detail = anthropicErrorDetail(options.body);
  const status = (detail.type !== undefined ? STATUS_OF_TYPE[detail.type] : undefined) ?? 500;
  return errorFromStatus({ provider: options.provider, apiKey: options.apiKey, status, detail });
}
