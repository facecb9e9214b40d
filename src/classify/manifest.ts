// The model's sidecar file: tokenizer settings, sampling, GloVe vocabulary and the chosen operating point.

import { readFileSync } from "node:fs";
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

export const MANIFEST_FORMAT = "spendex-tier-classifier/1";

const DecisionSchema = Type.Object({
  /** Added to log p(simple) before the argmax: negative means simple needs more evidence. */
  simpleBias: Type.Number(),
  /** Added to log p(complex) before the argmax. */
  complexBias: Type.Number(),
});

export const ManifestSchema = Type.Object({
  format: Type.Literal(MANIFEST_FORMAT),
  labels: Type.Tuple([Type.Literal("simple"), Type.Literal("medium"), Type.Literal("complex")]),
  tokenizer: Type.Object({
    buckets: Type.Integer({ minimum: 2 }),
    minN: Type.Integer({ minimum: 1 }),
    maxN: Type.Integer({ minimum: 1 }),
    maxWordChars: Type.Integer({ minimum: 1 }),
  }),
  sample: Type.Object({
    lastUserChars: Type.Integer({ minimum: 1 }),
    contextChars: Type.Integer({ minimum: 0 }),
    headShare: Type.Number({ minimum: 0, maximum: 1 }),
  }),
  decision: DecisionSchema,
  longContextTokens: Type.Integer({ minimum: 1 }),
  structNames: Type.Array(Type.String()),
  gloveWords: Type.Array(Type.String()),
});

export type Manifest = Static<typeof ManifestSchema>;
export type Decision = Static<typeof DecisionSchema>;

/** The sidecar path that goes with a model path: `x.onnx` -> `x.vocab.json`. */
export function manifestPathFor(modelPath: string): string {
  return `${modelPath.replace(/\.onnx$/, "")}.vocab.json`;
}

export function readManifest(path: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read classifier vocabulary ${path}: ${(error as Error).message}`);
  }
  if (!Value.Check(ManifestSchema, parsed)) {
    const first = Value.Errors(ManifestSchema, parsed).First();
    throw new Error(
      `classifier vocabulary ${path} is invalid at ${first?.path ?? "/"}: ${first?.message ?? "?"}`,
    );
  }
  return parsed;
}
