// Google API errors ({ error: { code, status, message, details } }) -> ProviderError.

import type { ProviderError } from "../../errors";
import { errorFromStatus, type UpstreamErrorDetail } from "../core/errors";

const STATUS_OF: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

interface GoogleError {
  code?: number;
  status?: string;
  message?: string;
  details?: Array<{ "@type"?: string; reason?: string; retryDelay?: string }>;
}

function googleError(body: unknown): GoogleError | undefined {
  const root = Array.isArray(body) ? body[0] : body; // streamed errors sometimes come as a one-element array
  const error = (root as { error?: unknown } | null | undefined)?.error;
  return typeof error === "object" && error !== null ? (error as GoogleError) : undefined;
}

export function geminiErrorDetail(body: unknown): UpstreamErrorDetail {
  if (typeof body === "string") return { message: body };
  const error = googleError(body);
  if (error === undefined) return {};
  let retryAfterSeconds: number | undefined;
  for (const detail of error.details ?? []) {
    // RetryInfo.retryDelay is a protobuf Duration in JSON: "30s" or "1.5s".
    if (typeof detail.retryDelay === "string" && detail.retryDelay.endsWith("s")) {
      const seconds = Number(detail.retryDelay.slice(0, -1));
      if (Number.isFinite(seconds)) retryAfterSeconds = seconds;
    }
  }
  return { message: error.message, upstreamCode: error.status, retryAfterSeconds };
}

/** A bad key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID: the operator's fault, like a 401. */
function effectiveStatus(status: number, body: unknown): number {
  const error = googleError(body);
  if (error?.details?.some((detail) => detail.reason === "API_KEY_INVALID")) return 401;
  if (status === 0 || status === 200) {
    return error?.code ?? (error?.status !== undefined ? STATUS_OF[error.status] : undefined) ?? 500;
  }
  return status;
}

export function geminiError(options: {
  provider: string;
  apiKey: string;
  status: number;
  headers?: Headers;
  body: unknown;
}): ProviderError {
  return errorFromStatus({
    provider: options.provider,
    apiKey: options.apiKey,
    status: effectiveStatus(options.status, options.body),
    headers: options.headers,
    detail: geminiErrorDetail(options.body),
  });
}
