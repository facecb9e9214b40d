// The ONNX session runner: the only module that imports onnxruntime-node.

import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import type { ModelInputs } from "./bag";

export interface ModelOutputs {
  probs: Float32Array;
  logits: Float32Array;
}

export interface ModelSession {
  run(inputs: ModelInputs): Promise<ModelOutputs>;
  release(): Promise<void>;
}

/** Loads the graph once; single-threaded because one request is microseconds of work. */
export async function openSession(modelPath: string): Promise<ModelSession> {
  const bytes = readFileSync(modelPath);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  return {
    async run(inputs: ModelInputs) {
      const ngrams = inputs.ngramIds.length;
      const words = inputs.gloveIds.length;
      const feeds = {
        ngram_ids: new ort.Tensor("int32", inputs.ngramIds, [ngrams]),
        ngram_weights: new ort.Tensor("float32", inputs.ngramWeights, [2, ngrams]),
        glove_ids: new ort.Tensor("int32", inputs.gloveIds, [words]),
        glove_weights: new ort.Tensor("float32", inputs.gloveWeights, [2, words]),
        glove_last_mask: new ort.Tensor("float32", inputs.gloveLastMask, [words, 1]),
        struct: new ort.Tensor("float32", inputs.struct, [1, inputs.struct.length]),
      };
      const result = await session.run(feeds);
      const probs = result.probs?.data;
      const logits = result.logits?.data;
      if (!(probs instanceof Float32Array) || !(logits instanceof Float32Array)) {
        throw new Error("classifier graph returned no probs/logits");
      }
      return { probs, logits };
    },
    release: () => session.release(),
  };
}
