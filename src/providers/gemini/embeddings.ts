// OpenAI embeddings request -> Gemini models/{m}:batchEmbedContents, and its answer -> OpenAI's list format.

import { UnsupportedError } from "../../errors";
import { mergeHeaders } from "../core/adapter";
import { badResponse, readErrorBody } from "../core/errors";
import { UpstreamCall } from "../core/upstream";
import type { EmbeddingResult, EmbedOptions, ProviderConnection } from "../types";
import { geminiError } from "./errors";
import { PROVIDER } from "./params";

/** Fields the OpenAI request may carry that Gemini has no use for (a label; the gateway already read it). */
const DROPPED = new Set(["model", "input", "encoding_format", "dimensions", "user"]);

/** The model segment of Gemini's URL and body: Google's own names come as `models/...`. */
function bareModel(upstreamModel: string): string {
  return upstreamModel.startsWith("models/") ? upstreamModel.slice(7) : upstreamModel;
}

/**
 * One `batchEmbedContents` body for the whole input list: one request per text, each naming the model (Google
 * requires it to match the URL's). Token ids cannot be sent (Gemini embeds text only) and unknown fields are
 * refused, as for chat (decision 0004): the body is rebuilt, so nothing would carry them.
 */
export function toGeminiEmbedBody(body: Readonly<Record<string, unknown>>, upstreamModel: string) {
  for (const key in body) {
    if (!DROPPED.has(key) && body[key] != null) {
      throw new UnsupportedError(PROVIDER, key, "the Gemini embeddings API has no equivalent");
    }
  }
  const input = body.input;
  const texts = typeof input === "string" ? [input] : Array.isArray(input) ? input : [];
  if (!texts.every((item): item is string => typeof item === "string")) {
    throw new UnsupportedError(PROVIDER, "input", "Gemini embeds text only, not token ids; send strings");
  }
  const model = `models/${bareModel(upstreamModel)}`;
  const dimensions = typeof body.dimensions === "number" ? body.dimensions : undefined;
  return {
    requests: texts.map((text) => ({
      model,
      content: { parts: [{ text }] },
      ...(dimensions === undefined ? {} : { outputDimensionality: dimensions }),
    })),
  };
}

/**
 * Gemini's `{ embeddings: [{ values }] }` -> OpenAI's list. Values are float32 on Google's side (proto `float`);
 * rounding keeps `float` and `base64` answers the same vector bit for bit. `promptTokens` is read from
 * `usageMetadata` when Google sends it; batchEmbedContents does not today, so the gateway estimates and marks it.
 */
export function fromGeminiEmbeddings(
  json: unknown,
  options: { model: string; count: number; base64: boolean; provider: string },
): Omit<EmbeddingResult, "upstreamHeaders"> {
  const embeddings = (json as { embeddings?: unknown } | null)?.embeddings;
  if (!Array.isArray(embeddings) || embeddings.length !== options.count) {
    throw badResponse(
      options.provider,
      `expected ${options.count} embeddings in the batchEmbedContents answer`,
    );
  }
  const data = embeddings.map((embedding, index) => {
    const values = (embedding as { values?: unknown } | null)?.values;
    if (!Array.isArray(values) || !values.every((value) => typeof value === "number")) {
      throw badResponse(options.provider, `embedding ${index} has no list of values`);
    }
    return {
      object: "embedding",
      index,
      embedding: options.base64 ? toBase64(values) : values.map(Math.fround),
    };
  });
  const usage = (json as { usageMetadata?: { promptTokenCount?: unknown } }).usageMetadata;
  const prompt = usage?.promptTokenCount;
  const promptTokens = typeof prompt === "number" && prompt > 0 ? prompt : undefined;
  const body: EmbeddingResult["body"] = { object: "list", data, model: bareModel(options.model) };
  if (promptTokens !== undefined) body.usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  return { body, promptTokens };
}

/** OpenAI's base64 encoding: the vector's float32 values, little-endian, what the `openai` SDKs decode. */
export function toBase64(values: readonly number[]): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return Buffer.from(bytes.buffer).toString("base64");
}

export interface GeminiEmbeddingsTransport {
  connection: ProviderConnection;
  fetchImpl: typeof fetch;
  /** The connection's own headers (x-goog-api-key, content type), computed once. */
  headers: Record<string, string>;
}

export async function embed(
  transport: GeminiEmbeddingsTransport,
  options: EmbedOptions,
): Promise<EmbeddingResult> {
  const { connection } = transport;
  // Refusals come before the call: nothing is sent for a request Gemini cannot serve.
  const request = toGeminiEmbedBody(options.body, options.upstreamModel);
  const call = new UpstreamCall(connection.name, options.signal, options.timeouts);
  const base = `${connection.baseUrl.replace(/\/+$/, "")}/v1beta/models/`;
  const response = await call.send({
    fetchImpl: transport.fetchImpl,
    url: `${base}${bareModel(options.upstreamModel)}:batchEmbedContents`,
    headers: mergeHeaders(transport.headers, options.passHeaders, connection.kind),
    body: JSON.stringify(request),
  });
  if (!response.ok) {
    const errorBody = await readErrorBody(response);
    call.finish();
    throw geminiError({
      provider: connection.name,
      apiKey: connection.apiKey,
      status: response.status,
      headers: response.headers,
      body: errorBody,
    });
  }
  const text = await call.readText(response);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badResponse(connection.name, `the batchEmbedContents body is not JSON (${text.length} characters)`);
  }
  const result = fromGeminiEmbeddings(json, {
    model: options.upstreamModel,
    count: request.requests.length,
    base64: options.body.encoding_format === "base64",
    provider: connection.name,
  });
  return { ...result, upstreamHeaders: response.headers };
}
