// Gemini API adapter (generateContent / streamGenerateContent?alt=sse / batchEmbedContents): wiring of its conversions.

import { HttpAdapter, type ProviderWire } from "../core/adapter";
import type {
  AdapterFactory,
  CallOptions,
  EmbeddingResult,
  EmbedOptions,
  ProviderConnection,
} from "../types";
import { embed, type GeminiEmbeddingsTransport } from "./embeddings";
import { geminiError } from "./errors";
import { toGeminiBody } from "./request";
import { fromGeminiResponse } from "./response";
import { GeminiStreamTranslator } from "./stream";

export { fromGeminiEmbeddings, toBase64, toGeminiEmbedBody } from "./embeddings";
export { geminiError, geminiErrorDetail } from "./errors";
export { toGeminiBody, toGeminiContents } from "./request";
export { fromGeminiResponse, toFinishReason, toTokenCounts } from "./response";
export { toGeminiSchema } from "./schema";
export { GeminiStreamTranslator } from "./stream";

class GeminiWire implements ProviderWire {
  private readonly base: string;

  constructor(private readonly connection: ProviderConnection) {
    this.base = `${connection.baseUrl.replace(/\/+$/, "")}/v1beta/models/`;
  }

  url(options: CallOptions, stream: boolean): string {
    // Google's own model names come as `models/gemini-...`; the path already has that segment.
    const model = options.upstreamModel.startsWith("models/")
      ? options.upstreamModel.slice(7)
      : options.upstreamModel;
    return stream
      ? `${this.base}${model}:streamGenerateContent?alt=sse`
      : `${this.base}${model}:generateContent`;
  }

  body(options: CallOptions): unknown {
    return toGeminiBody(options);
  }

  response(json: unknown, options: CallOptions) {
    return fromGeminiResponse(json, options.upstreamModel, this.connection.name);
  }

  translator(options: CallOptions) {
    return new GeminiStreamTranslator(this.connection.name, this.connection.apiKey, options.upstreamModel);
  }

  error(status: number, headers: Headers, body: unknown) {
    return geminiError({
      provider: this.connection.name,
      apiKey: this.connection.apiKey,
      status,
      headers,
      body,
    });
  }
}

/** The shared HTTP adapter plus `batchEmbedContents`, which has its own request and answer shapes. */
class GeminiAdapter extends HttpAdapter {
  private readonly transport: GeminiEmbeddingsTransport;

  constructor(connection: ProviderConnection, fetchImpl: typeof fetch, headers: Record<string, string>) {
    super(connection, fetchImpl, headers, new GeminiWire(connection));
    this.transport = { connection, fetchImpl, headers };
  }

  embed(options: EmbedOptions): Promise<EmbeddingResult> {
    return embed(this.transport, options);
  }
}

export const geminiFactory: AdapterFactory = (connection, fetchImpl) => {
  const headers = {
    "content-type": "application/json",
    ...connection.headers,
    "x-goog-api-key": connection.apiKey,
  };
  return new GeminiAdapter(connection, fetchImpl, headers);
};
