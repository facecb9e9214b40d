// POST /v1/embeddings in OpenAI's and Mistral's wire formats: deterministic unit vectors from each input, usage from
// its length, base64 (little-endian float32) when asked, and `dimensions` / `output_dimension` where the real API
// honours them. Faults (`x-sim-fault`) apply as for chat.

import type { Exchange } from "./exchange";
import { isMistral, mistralDialect } from "./mistral";
import { openaiDialect, readJson } from "./openai";
import { nextId } from "./reply";

/** The default vector length of each known model; others get 1536. */
const DIMENSIONS: Record<string, number> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
  "mistral-embed": 1024,
  "codestral-embed": 1536,
};

type Input = string | number[];

export async function handleEmbeddings(
  exchange: Exchange,
  requireKey: string | undefined,
): Promise<Response> {
  const headers = exchange.request.headers;
  const body = (await readJson(exchange.request)) as Record<string, unknown> | undefined;
  exchange.record.body = body;
  const mistral = isMistral(body?.model, headers.get("x-sim-dialect"));
  const dialect = mistral ? mistralDialect : openaiDialect;
  if (requireKey !== undefined && headers.get("authorization") !== `Bearer ${requireKey}`) {
    return exchange.error(dialect, 401);
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return exchange.error(dialect, 400, "We could not parse the JSON body of your request.");
  }
  const model = body.model;
  if (typeof model !== "string" || model === "") {
    return exchange.error(dialect, 400, "you must provide a model parameter");
  }
  const inputs = inputsOf(body.input, mistral);
  if (typeof inputs === "string") return exchange.error(dialect, 400, inputs);
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    return exchange.error(dialect, 400, "'encoding_format' must be 'float' or 'base64'.");
  }
  const size = dimensionsOf(model, body, mistral);
  if (typeof size === "string") return exchange.error(dialect, 400, size);
  exchange.record.model = model;
  const fault = exchange.takeFault(model);
  const pending = exchange.preempt(dialect, fault);
  const early = pending instanceof Promise ? await pending : pending;
  if (early) return early;

  let tokens = 0;
  const data = inputs.map((input, index) => {
    tokens += typeof input === "string" ? Math.max(1, Math.ceil(input.length / 4)) : input.length;
    const vector = vectorOf(input, size);
    return { object: "embedding", embedding: format === "base64" ? base64Of(vector) : [...vector], index };
  });
  const answer: Record<string, unknown> = mistral
    ? {
        id: nextId(),
        object: "list",
        data,
        model,
        usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens },
      }
    : { object: "list", data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  if (headers.get("x-sim-usage") === "none") delete answer.usage;
  return exchange.json(dialect, JSON.stringify(answer), fault);
}

/** OpenAI takes a string, strings, token ids or arrays of token ids; Mistral only text. A string means an error. */
function inputsOf(input: unknown, mistral: boolean): Input[] | string {
  const empty = "'input' cannot be an empty string or array.";
  if (typeof input === "string") return input === "" ? empty : [input];
  if (!Array.isArray(input) || input.length === 0) return empty;
  if (input.every((item) => typeof item === "string" && item !== "")) return input as string[];
  if (mistral) return "'input' must be a string or an array of strings.";
  if (input.every((item) => Number.isInteger(item))) return [input as number[]];
  if (input.every((item) => Array.isArray(item) && item.length > 0 && item.every(Number.isInteger))) {
    return input as number[][];
  }
  return "'input' must be a string, an array of strings, an array of tokens or an array of token arrays.";
}

/** OpenAI honours `dimensions` on text-embedding-3-* only; Mistral `output_dimension` on codestral-embed only. */
function dimensionsOf(model: string, body: Record<string, unknown>, mistral: boolean): number | string {
  const full = DIMENSIONS[model] ?? 1536;
  const asked = mistral ? body.output_dimension : body.dimensions;
  if (asked === undefined || asked === null) return full;
  if (!Number.isInteger(asked) || (asked as number) < 1 || (asked as number) > full) {
    return `Invalid dimensions ${String(asked)}: must be between 1 and ${full}.`;
  }
  const honoured = mistral ? model.startsWith("codestral-embed") : model.startsWith("text-embedding-3");
  if (!honoured) return mistral ? full : "This model does not support specifying dimensions.";
  return asked as number;
}

/** A unit vector seeded by the input (FNV-1a, then xorshift32), each value a float32 so base64 decodes to it exactly. */
export function vectorOf(input: Input, size: number): Float32Array {
  const text = typeof input === "string" ? input : input.join(",");
  let seed = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 0x01000193) >>> 0;
  const raw = new Float64Array(size);
  let norm = 0;
  for (let i = 0; i < size; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    const value = seed / 0xffffffff - 0.5;
    raw[i] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return Float32Array.from(raw, (value) => value * scale);
}

function base64Of(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
}
