// Anthropic Messages API adapter: wiring of its request, response, stream and error conversions.

import { HttpAdapter, type ProviderWire } from "../core/adapter";
import type { AdapterFactory, CallOptions, ProviderConnection } from "../types";
import { anthropicError } from "./errors";
import { toAnthropicBody } from "./request";
import { fromAnthropicResponse } from "./response";
import { AnthropicStreamTranslator } from "./stream";

export { anthropicError, anthropicStreamError } from "./errors";
export { toAnthropicBody, toAnthropicMessages } from "./request";
export { fromAnthropicResponse, toFinishReason, toTokenCounts } from "./response";
export { AnthropicStreamTranslator } from "./stream";

export const ANTHROPIC_VERSION = "2023-06-01";

class AnthropicWire implements ProviderWire {
  private readonly endpoint: string;
  readonly body = toAnthropicBody;

  constructor(private readonly connection: ProviderConnection) {
    this.endpoint = `${connection.baseUrl.replace(/\/+$/, "")}/v1/messages`;
  }

  url(): string {
    return this.endpoint;
  }

  response(json: unknown) {
    return fromAnthropicResponse(json, this.connection.name);
  }

  translator(options: CallOptions) {
    return new AnthropicStreamTranslator(this.connection.name, this.connection.apiKey, options.upstreamModel);
  }

  error(status: number, headers: Headers, body: unknown) {
    return anthropicError({
      provider: this.connection.name,
      apiKey: this.connection.apiKey,
      status,
      headers,
      body,
    });
  }
}

export const anthropicFactory: AdapterFactory = (connection, fetchImpl) => {
  const headers = {
    "content-type": "application/json",
    "anthropic-version": ANTHROPIC_VERSION,
    ...connection.headers,
    "x-api-key": connection.apiKey,
  };
  return new HttpAdapter(connection, fetchImpl, headers, new AnthropicWire(connection));
};
