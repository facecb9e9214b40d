// The call skeleton every adapter shares: build body -> POST with timeouts -> map errors -> parse or stream.

import { invalidRequest, type ProviderError } from "../../errors";
import type {
  CallOptions,
  CompletionResult,
  ProviderAdapter,
  ProviderConnection,
  ProviderKind,
  StreamResult,
} from "../types";
import { readErrorBody } from "./errors";
import { type StreamTranslator, sseStream } from "./sse";
import { UpstreamCall } from "./upstream";

/** What a provider folder supplies: its three pure conversions, its error mapping and where to send. */
export interface ProviderWire {
  /** The endpoint for this call. */
  url(options: CallOptions, stream: boolean): string;
  /** The upstream body (not yet serialised). May throw UnsupportedError. */
  body(options: CallOptions, stream: boolean): unknown;
  /** The parsed 2xx JSON body -> OpenAI response and token counts. */
  response(json: unknown, options: CallOptions): CompletionResult;
  /** A fresh translator for one stream. */
  translator(options: CallOptions): StreamTranslator;
  /** A non-2xx response -> ProviderError. */
  error(status: number, headers: Headers, body: unknown): ProviderError;
}

/** They choose which of the key's organizations or projects OpenAI bills, and the key is the operator's. */
const NEVER_FORWARDED = new Set(["openai-organization", "openai-project"]);

/**
 * Headers sent on every call of a connection (`base`, computed once) plus the client headers the gateway forwards
 * (`forwardHeaders` in the config). A forwarded header never replaces one of the adapter's own (key, content type,
 * API version). `openai-*` headers (OpenAI-Beta...) mean something only to OpenAI, so only the `openai` kind gets
 * them; OpenAI-Organization and OpenAI-Project go nowhere (decision 0004), nor does the client's Authorization.
 */
export function mergeHeaders(
  base: Record<string, string>,
  passHeaders: Record<string, string> | undefined,
  kind: ProviderKind,
): Record<string, string> {
  if (passHeaders === undefined) return base;
  let merged: Record<string, string> | undefined;
  for (const name in passHeaders) {
    const lower = name.toLowerCase();
    // The client's Authorization is its Spendex key: a secret no upstream may see, whatever the prefixes say.
    if (lower === "authorization") continue;
    if (lower.startsWith("openai-") && (kind !== "openai" || NEVER_FORWARDED.has(lower))) continue;
    if (hasHeader(base, lower)) continue;
    merged ??= { ...base };
    merged[lower] = passHeaders[name] as string;
  }
  return merged ?? base;
}

function hasHeader(headers: Record<string, string>, lower: string): boolean {
  for (const name in headers) if (name.toLowerCase() === lower) return true;
  return false;
}

export class HttpAdapter implements ProviderAdapter {
  constructor(
    readonly connection: ProviderConnection,
    private readonly fetchImpl: typeof fetch,
    private readonly headers: Record<string, string>,
    private readonly wire: ProviderWire,
  ) {}

  private async send(
    options: CallOptions,
    stream: boolean,
  ): Promise<{ call: UpstreamCall; response: Response }> {
    const body = serialise(this.wire.body(options, stream));
    const call = new UpstreamCall(this.connection.name, options.signal, options.timeouts);
    const response = await call.send({
      fetchImpl: this.fetchImpl,
      url: this.wire.url(options, stream),
      headers: mergeHeaders(this.headers, options.passHeaders, this.connection.kind),
      body,
    });
    if (!response.ok) {
      const errorBody = await readErrorBody(response);
      call.finish();
      throw this.wire.error(response.status, response.headers, errorBody);
    }
    return { call, response };
  }

  async complete(options: CallOptions): Promise<CompletionResult> {
    const { call, response } = await this.send(options, false);
    const json = await call.readJson(
      response,
      (text) => `the body is not JSON (${describeBody(response, text)})`,
    );
    const result = this.wire.response(json, options);
    result.upstreamHeaders = response.headers;
    return result;
  }

  async stream(options: CallOptions): Promise<StreamResult> {
    const { call, response } = await this.send(options, true);
    if (response.body === null) {
      call.finish();
      throw call.failureFrom(undefined, "interrupted");
    }
    const result = sseStream(response.body, call, this.wire.translator(options));
    result.upstreamHeaders = response.headers;
    return result;
  }
}

/**
 * JSON.parse takes nesting that JSON.stringify then overflows its stack on (tens of thousands of levels in an
 * unknown field). That is the client's body, not an upstream failure: a 400, not a retry.
 */
function serialise(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch {
    throw invalidRequest("The request body is nested too deeply.");
  }
}

/** For the error message: the content type and the first characters, never more (it may echo anything). */
function describeBody(response: Response, text: string): string {
  const type = response.headers.get("content-type") ?? "no content type";
  return text.length === 0 ? `${type}, empty` : `${type}, ${text.length} characters`;
}
