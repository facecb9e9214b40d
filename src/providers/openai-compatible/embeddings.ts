// POST {baseUrl}/embeddings for OpenAI-format upstreams (OpenAI, Mistral, configured endpoints): body and answer as is.

import { mergeHeaders } from "../core/adapter";
import { badResponse, readErrorBody } from "../core/errors";
import { UpstreamCall } from "../core/upstream";
import type { EmbeddingResult, EmbedOptions, ProviderConnection } from "../types";
import { openAIError } from "./errors";

export interface EmbeddingsTransport {
  connection: ProviderConnection;
  fetchImpl: typeof fetch;
  /** The connection's own headers (key, content type), computed once. */
  headers: Record<string, string>;
}

export async function embed(transport: EmbeddingsTransport, options: EmbedOptions): Promise<EmbeddingResult> {
  const { connection } = transport;
  const call = new UpstreamCall(connection.name, options.signal, options.timeouts);
  const response = await call.send({
    fetchImpl: transport.fetchImpl,
    url: `${connection.baseUrl.replace(/\/+$/, "")}/embeddings`,
    headers: mergeHeaders(transport.headers, options.passHeaders, connection.kind),
    // The body was validated and depth-checked by the gateway: stringify cannot overflow here.
    body: JSON.stringify({ ...options.body, model: options.upstreamModel }),
  });
  if (!response.ok) {
    const errorBody = await readErrorBody(response);
    call.finish();
    throw openAIError({
      provider: connection.name,
      apiKey: connection.apiKey,
      status: response.status,
      headers: response.headers,
      body: errorBody,
    });
  }
  const json = await call.readJson(
    response,
    (text) => `the embeddings body is not JSON (${text.length} characters)`,
  );
  const body = json as EmbeddingResult["body"] | null;
  if (typeof body !== "object" || body === null || !Array.isArray(body.data)) {
    throw badResponse(connection.name, "an embeddings answer without a data list");
  }
  const usage = body.usage as { prompt_tokens?: unknown } | undefined;
  const prompt = usage?.prompt_tokens;
  return {
    body,
    promptTokens: typeof prompt === "number" && prompt > 0 ? prompt : undefined,
    upstreamHeaders: response.headers,
  };
}
