// Public surface of the classifier: load the model once, classify requests into cost tiers.

import type { LabelledRequest } from "./corpus";
import { classifyFromProbs } from "./decide";
import { type ModelRequest, RequestEncoder } from "./encode";
import { STRUCT_NAMES } from "./features";
import { type Manifest, manifestPathFor, readManifest } from "./manifest";
import { type EvalReport, evaluate, type Prediction } from "./metrics";
import { openSession } from "./session";
import { TextHasher, WordTable } from "./tokenize";
import type { Classification, Classifier, ClassifyInput } from "./types";

export { type LabelledRequest, parseCorpus, readCorpus } from "./corpus";
export type { EncodedRequest, ModelRequest } from "./encode";
export { LONG_CONTEXT_TOKENS } from "./features";
export { type Manifest, readManifest } from "./manifest";
export { type EvalReport, evaluate, formatReport, type Prediction } from "./metrics";
export type { Classification, Classifier, ClassifyInput, Signals } from "./types";

export interface LoadClassifierOptions {
  /** Path of the `.onnx` file. */
  modelPath: string;
  /** Path of the vocabulary/manifest JSON; defaults to the model path with `.vocab.json`. */
  vocabPath?: string;
}

/** A classifier that can also say what it is and be closed. */
export interface LoadedClassifier extends Classifier {
  readonly manifest: Manifest;
  /** Encodes a request without running the model (the benchmark times the two apart). */
  encode(input: ClassifyInput): ModelRequest;
  /** Runs the model and the decision on an encoded request. */
  classifyEncoded(encoded: ModelRequest): Promise<Classification>;
  close(): Promise<void>;
}

export async function loadClassifier(options: LoadClassifierOptions): Promise<LoadedClassifier> {
  const vocabPath = options.vocabPath ?? manifestPathFor(options.modelPath);
  const manifest = readManifest(vocabPath);
  checkStructNames(manifest, vocabPath);
  const session = await openSession(options.modelPath);
  const hasher = new TextHasher(manifest.tokenizer, new WordTable(manifest.gloveWords));
  const encoder = new RequestEncoder(hasher, manifest.sample);
  const classifyEncoded = async (encoded: ModelRequest): Promise<Classification> => {
    const probs = await session.probs(encoded.inputs);
    return classifyFromProbs(probs, encoded.signals, manifest.decision, manifest.longContextTokens);
  };
  return {
    manifest,
    encode: (input) => encoder.encodeRequest(input),
    classifyEncoded,
    classify: (input) => classifyEncoded(encoder.encodeRequest(input)),
    close: () => session.release(),
  };
}

/**
 * The graph takes the structural signals by position, so a model built by another version of the signals (more,
 * fewer or reordered) would read the wrong values, or ids past its table: refused at start, with the way out.
 */
function checkStructNames(manifest: Manifest, vocabPath: string): void {
  const expected = STRUCT_NAMES;
  const actual = manifest.structNames;
  const first = expected.findIndex((name, index) => actual[index] !== name);
  if (first < 0 && actual.length === expected.length) return;
  const at = first < 0 ? expected.length : first;
  throw new Error(
    `classifier ${vocabPath} was built with other structural signals than this version computes ` +
      `(${actual.length} against ${expected.length}; the first difference is at ${at}: ` +
      `${actual[at] ?? "(none)"} against ${expected[at] ?? "(none)"}); rebuild it with \`spendex model build\``,
  );
}

/** Classifies every labelled request and scores the predictions. */
export async function evaluateRequests(
  classifier: Classifier,
  rows: readonly LabelledRequest[],
): Promise<{ report: EvalReport; predictions: Prediction[] }> {
  const predictions: Prediction[] = [];
  for (const row of rows) {
    const result = await classifier.classify(row.input);
    predictions.push({ source: row.source, truth: row.tier, predicted: result.tier });
  }
  return { report: evaluate(predictions), predictions };
}
