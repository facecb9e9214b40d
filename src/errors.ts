// One error family for everything thrown on the request path, and its single mapping to OpenAI error objects.

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "billing_error"
  | "rate_limit_error"
  | "api_error"
  | "upstream_error"
  | "service_unavailable";

/** The status table: one place that says which status each error type carries by default. */
const STATUS_OF: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  api_error: 500,
  upstream_error: 502,
  service_unavailable: 503,
};

export interface SpendexErrorOptions {
  type: ErrorType;
  code: string;
  message: string;
  status?: number;
  param?: string | null;
  retryable?: boolean;
  cause?: unknown;
  /** Extra response headers (retry-after, x-should-retry). */
  headers?: Record<string, string>;
}

export class SpendexError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly headers: Record<string, string>;

  constructor(options: SpendexErrorOptions) {
    super(options.message, { cause: options.cause });
    this.name = "SpendexError";
    this.type = options.type;
    this.code = options.code;
    this.status = options.status ?? STATUS_OF[options.type];
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? false;
    this.headers = options.headers ?? {};
  }
}

/** An error reported by (or while reaching) an upstream provider. */
export class ProviderError extends SpendexError {
  readonly provider: string;
  /** The upstream's HTTP status, or 0 when no response arrived (connect error, timeout). */
  readonly upstreamStatus: number;
  /** Seconds the upstream asked us to wait, when it said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    options: SpendexErrorOptions & { provider: string; upstreamStatus: number; retryAfterSeconds?: number },
  ) {
    super(options);
    this.name = "ProviderError";
    this.provider = options.provider;
    this.upstreamStatus = options.upstreamStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A feature the chosen upstream cannot carry: a 400 naming the parameter and the provider, never a silent drop. */
export class UnsupportedError extends SpendexError {
  constructor(provider: string, param: string, detail: string) {
    super({
      type: "invalid_request_error",
      code: "unsupported_parameter",
      param,
      message: `The provider '${provider}' does not support '${param}': ${detail}.`,
    });
    this.name = "UnsupportedError";
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The one renderer: any thrown value becomes an OpenAI error object and a status. Never leaks a stack. */
export function toErrorBody(error: unknown): {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
} {
  if (error instanceof SpendexError) {
    return {
      status: error.status,
      headers: error.headers,
      body: { error: { message: error.message, type: error.type, param: error.param, code: error.code } },
    };
  }
  return {
    status: 500,
    headers: {},
    body: {
      error: {
        message: "Internal error. Retry with exponential backoff.",
        type: "api_error",
        param: null,
        code: "internal_error",
      },
    },
  };
}

export const invalidRequest = (message: string, param: string | null = null, code = "invalid_request") =>
  new SpendexError({ type: "invalid_request_error", code, message, param });
