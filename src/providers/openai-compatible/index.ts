// The OpenAI-compatible base adapter: OpenAI itself, Mistral and any `/chat/completions` endpoint.

import { HttpAdapter, type ProviderWire } from "../core/adapter";
import type { StreamTranslator } from "../core/sse";
import type { AdapterFactory, CallOptions, ProviderAdapter, ProviderConnection } from "../types";
import { openAIError } from "./errors";
import { toOpenAIBody } from "./request";
import { fromOpenAIResponse } from "./response";
import { OpenAIStreamTranslator } from "./stream";

export { openAIError, openAIErrorDetail } from "./errors";
export { toOpenAIBody } from "./request";
export { fromOpenAIResponse, tokensFromUsage } from "./response";
export { OpenAIStreamTranslator } from "./stream";

/** How a dialect of the OpenAI format differs: today only the request body (Mistral). */
export interface OpenAIDialect {
  body?(options: CallOptions, stream: boolean): unknown;
}

class OpenAICompatibleWire implements ProviderWire {
  private readonly endpoint: string;

  constructor(
    private readonly connection: ProviderConnection,
    readonly body: (options: CallOptions, stream: boolean) => unknown,
  ) {
    this.endpoint = `${connection.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  url(): string {
    return this.endpoint;
  }

  response(json: unknown) {
    return fromOpenAIResponse(json, this.connection.name);
  }

  translator(): StreamTranslator {
    return new OpenAIStreamTranslator(this.connection.name, this.connection.apiKey);
  }

  error(status: number, headers: Headers, body: unknown) {
    return openAIError({
      provider: this.connection.name,
      apiKey: this.connection.apiKey,
      status,
      headers,
      body,
    });
  }
}

export function createOpenAICompatibleAdapter(
  connection: ProviderConnection,
  fetchImpl: typeof fetch,
  dialect: OpenAIDialect = {},
): ProviderAdapter {
  const headers = {
    "content-type": "application/json",
    ...connection.headers,
    authorization: `Bearer ${connection.apiKey}`,
  };
  const wire = new OpenAICompatibleWire(connection, dialect.body ?? toOpenAIBody);
  return new HttpAdapter(connection, fetchImpl, headers, wire);
}

export const openAICompatibleFactory: AdapterFactory = (connection, fetchImpl) =>
  createOpenAICompatibleAdapter(connection, fetchImpl);
