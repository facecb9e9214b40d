// Upstream HTTP failures -> ProviderError: the one status table shared by every adapter, and key redaction.

import { ProviderError } from "../../errors";

/** What a provider's error body said, once parsed by that provider's own errors.ts. */
export interface UpstreamErrorDetail {
  message?: string;
  /** The upstream's own error type or code, kept for the `code` when it is a client error. */
  upstreamCode?: string;
  param?: string | null;
  /** A retry delay found in the body (Gemini's RetryInfo), used when no retry-after header is present. */
  retryAfterSeconds?: number;
}

export interface StatusErrorOptions {
  provider: string;
  status: number;
  detail: UpstreamErrorDetail;
  /** The response's retry-after / retry-after-ms headers, if any. */
  headers?: Headers;
  apiKey: string;
}

const MAX_MESSAGE = 500;
const NO_RETRY = Object.freeze({ "x-should-retry": "false" }) as Record<string, string>;
// Key shapes of the providers we know (OpenAI sk-..., Anthropic sk-ant-..., Google AIza..., bearer tokens).
const KEY_PATTERN =
  /\b(sk-[A-Za-z0-9_*-]{6,}|AIza[0-9A-Za-z_-]{10,}|(?:Bearer|key[=:])\s*[A-Za-z0-9._~+/-]{12,})/g;

/**
 * An upstream's own code is kept only when it looks like one (`context_length_exceeded`, `INVALID_ARGUMENT`): the
 * code is stored in the request log, and a free-text "code" from an arbitrary endpoint could quote the prompt.
 * Messages go to the client only (it is their own prompt), never to the log.
 */
const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function upstreamCode(code: string | undefined): string | undefined {
  return code !== undefined && CODE_PATTERN.test(code) ? code : undefined;
}

/** Drops anything that looks like a credential (and the connection's own key) from an upstream message. */
export function redact(message: string, apiKey: string): string {
  let text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
  if (apiKey.length >= 4 && text.includes(apiKey)) text = text.split(apiKey).join("[redacted]");
  return text.replace(KEY_PATTERN, "[redacted]");
}

/** Seconds from `retry-after-ms` or `retry-after` (delta-seconds or HTTP date). */
export function parseRetryAfter(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value / 1000;
  }
  const raw = headers.get("retry-after");
  if (raw === null) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * The status table. Client mistakes (400/404/413/422) keep their meaning and are not retryable; a rejected
 * provider key (401/403) is the operator's fault, so the client sees a 502 without the upstream's words;
 * 408/409/429/5xx/529 are retryable so the gateway may back off or fail over.
 */
export function errorFromStatus(options: StatusErrorOptions): ProviderError {
  const { provider, status } = options;
  const detail = { ...options.detail, upstreamCode: upstreamCode(options.detail.upstreamCode) };
  const said = detail.message ? `: ${redact(detail.message, options.apiKey)}` : "";
  const base = { provider, upstreamStatus: status };
  if (status === 401 || status === 403) {
    return new ProviderError({
      ...base,
      type: "upstream_error",
      code: "upstream_auth_error",
      status: 502,
      // Retrying cannot fix the operator's key: the official SDKs honour this header before their status rules.
      headers: NO_RETRY,
      message:
        status === 401
          ? `The provider '${provider}' rejected the configured API key (HTTP 401). Check the provider key.`
          : `The provider '${provider}' refused the configured API key for this request (HTTP 403): the key or its project may lack access to this model. Check the provider key's permissions.`,
    });
  }
  if (status >= 300 && status < 400) {
    return new ProviderError({
      ...base,
      type: "upstream_error",
      code: "upstream_redirect",
      status: 502,
      headers: NO_RETRY,
      message: `The provider '${provider}' answered with a redirect (HTTP ${status}), which is not followed. Check its base URL.`,
    });
  }
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(options.headers) ?? detail.retryAfterSeconds;
    return new ProviderError({
      ...base,
      type: "rate_limit_error",
      code: "upstream_rate_limited",
      status: 429,
      retryable: true,
      retryAfterSeconds,
      headers: retryAfterSeconds === undefined ? {} : { "retry-after": String(Math.ceil(retryAfterSeconds)) },
      message: `The provider '${provider}' is rate limiting requests${said}`,
    });
  }
  if (status === 404) {
    return new ProviderError({
      ...base,
      type: "not_found_error",
      code: detail.upstreamCode ?? "upstream_not_found",
      param: detail.param ?? null,
      message: `The provider '${provider}' answered 404${said}`,
    });
  }
  if (status === 400 || status === 413 || status === 422) {
    return new ProviderError({
      ...base,
      type: "invalid_request_error",
      code: detail.upstreamCode ?? "upstream_invalid_request",
      status: status === 413 ? 413 : 400,
      param: detail.param ?? null,
      message: `The provider '${provider}' rejected the request${said}`,
    });
  }
  const retryable = status === 408 || status === 409 || status >= 500;
  const unavailable = status === 503 || status === 529;
  return new ProviderError({
    ...base,
    type: unavailable ? "service_unavailable" : "upstream_error",
    code: status === 529 ? "upstream_overloaded" : unavailable ? "upstream_unavailable" : "upstream_error",
    status: unavailable ? 503 : 502,
    retryable,
    retryAfterSeconds: retryable ? (parseRetryAfter(options.headers) ?? detail.retryAfterSeconds) : undefined,
    message: `The provider '${provider}' failed with HTTP ${status}${said}`,
  });
}

/** A 2xx answer that is not what the protocol promises (not JSON, no choices). Retryable: another try may do. */
export function badResponse(provider: string, what: string): ProviderError {
  return new ProviderError({
    provider,
    upstreamStatus: 200,
    type: "upstream_error",
    code: "upstream_bad_response",
    status: 502,
    retryable: true,
    message: `The provider '${provider}' sent an unexpected response: ${redact(what, "")}.`,
  });
}

export type TransportFailure = "first_byte" | "idle" | "total" | "unreachable" | "interrupted";

/** No usable response: a timeout, a refused connection or a stream cut mid-way. Always retryable. */
export function transportError(provider: string, failure: TransportFailure, cause?: unknown): ProviderError {
  const timeout = failure === "first_byte" || failure === "idle" || failure === "total";
  const what =
    failure === "first_byte"
      ? "sent no response headers in time"
      : failure === "idle"
        ? "went silent mid-response for too long"
        : failure === "total"
          ? "did not finish within the total time limit"
          : failure === "unreachable"
            ? "could not be reached"
            : "ended the stream before it was complete";
  return new ProviderError({
    provider,
    upstreamStatus: 0,
    type: "upstream_error",
    code: timeout
      ? "upstream_timeout"
      : failure === "unreachable"
        ? "upstream_unreachable"
        : "stream_interrupted",
    status: 502,
    retryable: true,
    cause,
    message: `The provider '${provider}' ${what}.`,
  });
}

/** Reads an error body without trusting it: bounded, never throws. */
export async function readErrorBody(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text.slice(0, MAX_MESSAGE);
    }
  } catch {
    return undefined;
  }
}
