// The Embeddings request: what the gateway relies on (model, input, encoding_format, dimensions, user); every other
// field passes through to the upstream untouched.

import { type Static, Type as T } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { invalidRequest, type SpendexError } from "../errors";

export const EmbeddingsRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1 }),
    // string | string[] | number[] (token ids) | number[][]; emptiness is checked below with a clearer message.
    input: T.Union([T.String(), T.Array(T.String()), T.Array(T.Integer()), T.Array(T.Array(T.Integer()))]),
    encoding_format: T.Optional(T.Union([T.Literal("float"), T.Literal("base64")])),
    dimensions: T.Optional(T.Integer({ minimum: 1 })),
    user: T.Optional(T.String()),
  },
  { additionalProperties: true },
);

export type EmbeddingsRequest = Static<typeof EmbeddingsRequestSchema> & Record<string, unknown>;

const checker = TypeCompiler.Compile(EmbeddingsRequestSchema);

const WHAT: Record<string, string> = {
  model: "must be a model name string",
  input: "must be a string, an array of strings, an array of token ids or an array of token-id arrays",
  encoding_format: "must be 'float' or 'base64'",
  dimensions: "must be a positive integer",
  user: "must be a string",
};

export function validateEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("The request body must be a JSON object.");
  }
  if (!checker.Check(body)) {
    const error = checker.Errors(body).First();
    const param = error?.path.split("/")[1] || "input";
    const got = error?.value === undefined ? "missing" : `got ${typeof error.value}`;
    throw invalidRequest(
      `Invalid '${param}': ${WHAT[param] ?? error?.message ?? "invalid"} (${got}).`,
      param,
    );
  }
  const request = body as EmbeddingsRequest;
  const empty = emptyInput(request.input);
  if (empty) throw empty;
  return request;
}

/** OpenAI refuses an empty string, an empty array and an empty token list inside a batch: so do we, before a call. */
function emptyInput(input: EmbeddingsRequest["input"]): SpendexError | undefined {
  if (input.length === 0) return invalidRequest("'input' must not be empty.", "input");
  if (typeof input === "string") return undefined;
  for (let i = 0; i < input.length; i++) {
    const item = input[i];
    if (item === "" || (Array.isArray(item) && item.length === 0)) {
      return invalidRequest(`'input[${i}]' must not be empty.`, `input[${i}]`);
    }
  }
  return undefined;
}
