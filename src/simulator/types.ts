// The provider simulator's public contract: a loopback upstream that speaks each provider's real wire format.
//
// One server serves every format on the paths the real APIs use, so a base URL points at it as at the provider:
//   OpenAI / Mistral / OpenAI-compatible  POST {base}/v1/chat/completions         (OPENAI_BASE_URL = {base}/v1)
//   Anthropic Messages                    POST {base}/v1/messages                 (ANTHROPIC_BASE_URL = {base})
//   Gemini                                POST {base}/v1beta/models/{m}:generateContent
//                                         POST {base}/v1beta/models/{m}:streamGenerateContent?alt=sse
//                                                                                  (GEMINI_BASE_URL = {base})
// Faults are chosen per model (options) or per request (header `x-sim-fault`), the header winning.

/**
 * `cut:K` ends the stream abruptly after K content chunks (a truncated chunked body, no final chunk);
 * `stall:K` sends K content chunks then nothing until the client aborts; `hang` never answers until the
 * client aborts; `error:K[:STATUS]` sends K content chunks then the provider's in-stream error event and
 * closes (default status: OpenAI/Mistral 500, Anthropic 529 overloaded, Gemini 503; a non-streaming request
 * gets that status as its HTTP error instead). `times: n` applies the fault to the first n matching
 * requests, then clears it.
 */
export type Fault =
  | { kind: "status"; status: number; retryAfterSeconds?: number; times?: number }
  | { kind: "hang"; times?: number }
  | { kind: "cut"; afterChunks: number; times?: number }
  | { kind: "stall"; afterChunks: number; times?: number }
  | { kind: "error"; afterChunks: number; status?: number; times?: number };

export interface Pace {
  /** Delay before response headers (non-streaming: before the body). */
  latencyMs: number;
  /** Streaming: delay from headers to the first content chunk. */
  ttftMs: number;
  /** Streaming: content chunks per second after the first (0 = as fast as possible). */
  tokensPerSecond: number;
}

export interface SimulatorOptions {
  port?: number;
  hostname?: string;
  pace?: Partial<Pace>;
  /** Faults by upstream model name (as sent in the request), applied to every request for that model. */
  faults?: Record<string, Fault>;
  /**
   * When set, requests must carry this key in the provider's auth header, else 401 in the provider's format
   * (Gemini answers as Google does: 400 INVALID_ARGUMENT / API_KEY_INVALID for a wrong key, 403 for none).
   */
  requireKey?: string;
}

export interface SimulatorRecord {
  format: "openai" | "anthropic" | "gemini";
  path: string;
  model: string;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  aborted: boolean;
  stream: boolean;
}

export interface SimulatorHandle {
  /** `http://127.0.0.1:PORT` with no trailing slash. */
  url: string;
  port: number;
  /** Every request received, newest last (bounded). */
  records(): readonly SimulatorRecord[];
  /** How many requests the client aborted before the simulator finished answering. */
  abortedCount(): number;
  /** Replace the per-model faults at run time. */
  setFaults(faults: Record<string, Fault>): void;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * Per-request controls, as request headers (each optional):
 *   x-sim-fault: 500 | 503 | 529 | 429 | 429:SECONDS | hang | cut:K | stall:K | error:K[:STATUS]
 *   x-sim-latency-ms, x-sim-ttft-ms, x-sim-tps: override the pace
 *   x-sim-reply: the exact assistant text to answer with
 *   x-sim-tool-calls: N  (answer with N parallel tool calls when tools are offered)
 *   x-sim-cached-tokens: N  (report N of the prompt tokens as cache reads)
 *   x-sim-finish: stop | length | content_filter
 *   x-sim-usage: none  (OpenAI dialect: no `usage` in the body, no usage chunk in a stream)
 */
export const SIM_HEADER_PREFIX = "x-sim-";
