// OpenAI embeddings request -> Gemini models/{m}:batchEmbedContents (in batches of at most 100 texts), and its
// answers -> OpenAI's list format.

import { UnsupportedError } from "../../errors";
import { mergeHeaders } from "../core/adapter";
import { badResponse, readErrorBody, transportError } from "../core/errors";
import { UpstreamCall } from "../core/upstream";
import type { EmbeddingResult, EmbedOptions, ProviderConnection } from "../types";
import { geminiError } from "./errors";
import { PROVIDER } from "./params";

/**
 * Google refuses a batchEmbedContents call with more texts (400 INVALID_ARGUMENT, "at most 100 requests can be in one
 * batch"); OpenAI takes up to 2048 inputs, and RAG clients send hundreds.
 */
export const MAX_BATCH = 100;
/** Batches of one client request in flight at once: bounded, so a 2048-text request is not 21 parallel calls. */
export const MAX_IN_FLIGHT = 4;

/** Fields the OpenAI request may carry that Gemini has no use for (a label; the gateway already read it). */
const DROPPED = new Set(["model", "input", "encoding_format", "dimensions", "user"]);

/** The model segment of Gemini's URL and body: Google's own names come as `models/...`. */
function bareModel(upstreamModel: string): string {
  return upstreamModel.startsWith("models/") ? upstreamModel.slice(7) : upstreamModel;
}

/**
 * The `batchEmbedContents` body for the whole input list: one request per text, each naming the model (Google
 * requires it to match the URL's); `embed()` sends a list of more than 100 as several bodies. Token ids cannot be
 * sent (Gemini embeds text only) and unknown fields are refused, as for chat (decision 0004): the body is rebuilt,
 * so nothing would carry them.
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
  options: {
    model: string;
    count: number;
    base64: boolean;
    provider: string;
    /** The input index of the answer's first text (a later batch of a long list); 0 by default. */
    first?: number;
  },
): Omit<EmbeddingResult, "upstreamHeaders"> {
  const first = options.first ?? 0;
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
      throw badResponse(options.provider, `embedding ${first + index} has no list of values`);
    }
    return {
      object: "embedding",
      index: first + index,
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

type EmbedRequest = ReturnType<typeof toGeminiEmbedBody>["requests"][number];

/** What every batch of one client request shares. */
interface BatchContext {
  transport: GeminiEmbeddingsTransport;
  url: string;
  headers: Record<string, string>;
  options: EmbedOptions;
}

export async function embed(
  transport: GeminiEmbeddingsTransport,
  options: EmbedOptions,
): Promise<EmbeddingResult> {
  const { connection } = transport;
  // Refusals come before the call: nothing is sent for a request Gemini cannot serve.
  const { requests } = toGeminiEmbedBody(options.body, options.upstreamModel);
  const base = `${connection.baseUrl.replace(/\/+$/, "")}/v1beta/models/`;
  const context: BatchContext = {
    transport,
    url: `${base}${bareModel(options.upstreamModel)}:batchEmbedContents`,
    headers: mergeHeaders(transport.headers, options.passHeaders, connection.kind),
    options,
  };
  // Up to 100 texts: one call, under the client's own signal.
  if (requests.length <= MAX_BATCH) return embedBatch(context, requests, 0, options.signal);
  return embedInBatches(context, requests);
}

/**
 * A longer list: batches of 100, at most 4 in flight, each its own UpstreamCall (own first-byte and idle deadlines)
 * under one shared signal, and one total deadline for the whole list. The first failure aborts the batches in flight, sends no more, and fails the whole
 * request with that batch's error, as a single call would fail: the gateway retries the whole request.
 */
async function embedInBatches(context: BatchContext, requests: EmbedRequest[]): Promise<EmbeddingResult> {
  const clientSignal = context.options.signal;
  if (clientSignal.aborted) throw clientSignal.reason;
  // The client's abort reaches every batch through the group; a failed batch aborts the group with its error.
  const group = new AbortController();
  const onClientAbort = () => group.abort(clientSignal.reason);
  clientSignal.addEventListener("abort", onClientAbort);
  // The whole list has the request's total time, as one call would: batches in later rounds do not each restart it.
  const { connection } = context.transport;
  const deadline = setTimeout(
    () => group.abort(transportError(connection.name, "total")),
    context.options.timeouts.totalMs,
  );
  const count = Math.ceil(requests.length / MAX_BATCH);
  const results: EmbeddingResult[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count && !group.signal.aborted) {
      const batch = next++;
      const first = batch * MAX_BATCH;
      try {
        results[batch] = await embedBatch(
          context,
          requests.slice(first, first + MAX_BATCH),
          first,
          group.signal,
        );
      } catch (error) {
        // The first failure aborts the batches in flight at once; their own rejections (with this same reason, or
        // the client's) come later and are absorbed by Promise.all, which rejects with this first one.
        group.abort(error);
        throw error;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, count) }, worker));
  } finally {
    clearTimeout(deadline);
    clientSignal.removeEventListener("abort", onClientAbort);
  }
  return joinBatches(results);
}

/** One batchEmbedContents call for `requests` (input indexes from `first`), answered in OpenAI's list format. */
async function embedBatch(
  context: BatchContext,
  requests: EmbedRequest[],
  first: number,
  signal: AbortSignal,
): Promise<EmbeddingResult> {
  const { transport, options } = context;
  const { connection } = transport;
  const call = new UpstreamCall(connection.name, signal, options.timeouts);
  const response = await call.send({
    fetchImpl: transport.fetchImpl,
    url: context.url,
    headers: context.headers,
    body: JSON.stringify({ requests }),
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
  const json = await call.readJson(
    response,
    (text) => `the batchEmbedContents body is not JSON (${text.length} characters)`,
  );
  const result = fromGeminiEmbeddings(json, {
    model: options.upstreamModel,
    count: requests.length,
    base64: options.body.encoding_format === "base64",
    provider: connection.name,
    first,
  });
  return { ...result, upstreamHeaders: response.headers };
}

/** The batches' answers as one list, in input order (each batch already carries its input indexes). */
function joinBatches(results: EmbeddingResult[]): EmbeddingResult {
  const data = results.flatMap((result) => result.body.data);
  // Usage only when every batch reported it; otherwise none, so the gateway estimates the whole request.
  const counts = results.map((result) => result.promptTokens);
  const promptTokens = counts.every((n): n is number => n !== undefined)
    ? counts.reduce((sum, n) => sum + n, 0)
    : undefined;
  const body: EmbeddingResult["body"] = { object: "list", data, model: results[0]?.body.model };
  if (promptTokens !== undefined) body.usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  // The upstream headers are the last batch's (in input order): one set is passed on, as for a single call.
  return { body, promptTokens, upstreamHeaders: results.at(-1)?.upstreamHeaders };
}
