// The OpenAI-compatible base adapter: OpenAI itself, Mistral and any `/chat/completions` endpoint.

import { HttpAdapter, type ProviderWire } from "../core/adapter";
import type { StreamTranslator } from "../core/sse";
import type {
  AdapterFactory,
  CallOptions,
  EmbeddingResult,
  EmbedOptions,
  ProviderAdapter,
  ProviderConnection,
} from "../types";
import { type EmbeddingsTransport, embed } from "./embeddings";
import { openAIError } from "./errors";
import { toOpenAIBody } from "./request";
import { type ContentRewrite, type FinishRewrite, fromOpenAIResponse } from "./response";
import { OpenAIStreamTranslator } from "./stream";

export { openAIError, openAIErrorDetail } from "./errors";
export { toOpenAIBody } from "./request";
export { type ContentRewrite, type FinishRewrite, fromOpenAIResponse, tokensFromUsage } from "./response";
export { OpenAIStreamTranslator } from "./stream";

/** How a dialect of the OpenAI format differs (Mistral): the request body, and content in answers and deltas. */
export interface OpenAIDialect {
  body?(options: CallOptions, stream: boolean): unknown;
  /** Rewrites an answer's message in place into OpenAI's shape. */
  message?: ContentRewrite;
  /** Rewrites a stream chunk's delta in place into OpenAI's shape. */
  delta?: ContentRewrite;
  /** Maps a finish reason OpenAI does not have, in answers and streams. */
  finish?: FinishRewrite;
}

class OpenAICompatibleWire implements ProviderWire {
  private readonly endpoint: string;

  constructor(
    private readonly connection: ProviderConnection,
    readonly body: (options: CallOptions, stream: boolean) => unknown,
    private readonly dialect: OpenAIDialect,
  ) {
    this.endpoint = `${connection.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  url(): string {
    return this.endpoint;
  }

  response(json: unknown) {
    return fromOpenAIResponse(json, this.connection.name, this.dialect.message, this.dialect.finish);
  }

  translator(): StreamTranslator {
    return new OpenAIStreamTranslator(
      this.connection.name,
      this.connection.apiKey,
      this.dialect.delta,
      this.dialect.finish,
    );
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

/** The shared HTTP adapter plus `/embeddings`, which every OpenAI-format upstream serves the same way. */
class OpenAICompatibleAdapter extends HttpAdapter {
  private readonly transport: EmbeddingsTransport;

  constructor(
    connection: ProviderConnection,
    fetchImpl: typeof fetch,
    headers: Record<string, string>,
    wire: ProviderWire,
  ) {
    super(connection, fetchImpl, headers, wire);
    this.transport = { connection, fetchImpl, headers };
  }

  embed(options: EmbedOptions): Promise<EmbeddingResult> {
    return embed(this.transport, options);
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
  const wire = new OpenAICompatibleWire(connection, dialect.body ?? toOpenAIBody, dialect);
  return new OpenAICompatibleAdapter(connection, fetchImpl, headers, wire);
}

export const openAICompatibleFactory: AdapterFactory = (connection, fetchImpl) =>
  createOpenAICompatibleAdapter(connection, fetchImpl);
