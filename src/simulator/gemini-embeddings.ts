// Gemini's models/{m}:batchEmbedContents: `{ embeddings: [{ values }] }` with deterministic vectors from each text,
// `outputDimensionality` honoured (the full vector cut to its first N values, not renormalised, as Google's
// Matryoshka truncation does), Google's error shape for bad requests, and no token counts (the real API sends
// none). Faults (`x-sim-fault`) apply as for generateContent.

import { vectorOf } from "./embeddings";
import type { Exchange } from "./exchange";
import { geminiDialect, geminiKeyError } from "./gemini";
import { readJson } from "./openai";

/** Each model's full vector length; a name without `embedding` is not an embedding model (404, as Google). */
const DIMENSIONS: Record<string, number> = { "gemini-embedding-001": 3072, "text-embedding-004": 768 };
/** Google refuses a larger batch; callers split their lists. */
const MAX_BATCH = 100;

interface EmbedRequest {
  model?: unknown;
  content?: { parts?: Array<{ text?: unknown }> };
  outputDimensionality?: unknown;
}

export async function handleGeminiEmbeddings(
  exchange: Exchange,
  model: string,
  requireKey: string | undefined,
): Promise<Response> {
  const url = new URL(exchange.request.url);
  const key = exchange.request.headers.get("x-goog-api-key") ?? url.searchParams.get("key");
  if (requireKey !== undefined && key !== requireKey) return geminiKeyError(exchange, key);
  const body = await readJson(exchange.request);
  exchange.record.body = body;
  exchange.record.model = model;
  if (!model.includes("embedding")) {
    return exchange.error(
      geminiDialect,
      404,
      `models/${model} is not found for API version v1beta, or is not supported for batchEmbedContents. Call ListModels to see the list of available models and their supported methods.`,
    );
  }
  const full = DIMENSIONS[model] ?? 3072;
  const checked = validate(body, model, full);
  if (typeof checked === "string") return exchange.error(geminiDialect, 400, checked);
  const fault = exchange.takeFault(model);
  const pending = exchange.preempt(geminiDialect, fault);
  const early = pending instanceof Promise ? await pending : pending;
  if (early) return early;
  const embeddings = checked.map(({ text, size }) => ({
    values: Array.from(vectorOf(text, full).subarray(0, size)),
  }));
  return exchange.json(geminiDialect, JSON.stringify({ embeddings }), fault);
}

/** Each request's text and vector length, or Google's message for the first thing wrong. */
function validate(
  body: unknown,
  model: string,
  full: number,
): Array<{ text: string; size: number }> | string {
  if (!body || typeof body !== "object" || Array.isArray(body)) return "Invalid JSON payload received.";
  const requests = (body as { requests?: unknown }).requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return "* BatchEmbedContentsRequest.requests: requests is not specified";
  }
  if (requests.length > MAX_BATCH) {
    return `* BatchEmbedContentsRequest.requests: at most ${MAX_BATCH} requests can be in one batch`;
  }
  const out: Array<{ text: string; size: number }> = [];
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i] as EmbedRequest;
    const where = `* BatchEmbedContentsRequest.requests[${i}]`;
    if (request.model !== `models/${model}`) {
      return `${where}.model: the model must match the model in the URL ('models/${model}'), got '${String(request.model)}'.`;
    }
    const parts = request.content?.parts;
    if (!Array.isArray(parts) || parts.length === 0) return `${where}.content: contents is not specified`;
    const text = parts.map((part) => (typeof part.text === "string" ? part.text : "")).join("");
    if (text === "") return `${where}.content.parts: text is empty`;
    const asked = request.outputDimensionality;
    if (
      asked !== undefined &&
      (!Number.isInteger(asked) || (asked as number) < 1 || (asked as number) > full)
    ) {
      return `${where}.output_dimensionality: must be between 1 and ${full}, got ${String(asked)}.`;
    }
    out.push({ text, size: (asked as number | undefined) ?? full });
  }
  return out;
}
