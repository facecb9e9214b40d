// The ONNX session runner: the only module that imports onnxruntime-node.

import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import type { EncodedRequest } from "./encode";

export type ModelInputs = Pick<
  EncodedRequest,
  "ngramIds" | "charIds" | "gloveConversation" | "gloveLastUser" | "struct"
>;

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
    async run(inputs) {
      const feeds = {
        ngram_ids: new ort.Tensor("int32", inputs.ngramIds, [inputs.ngramIds.length]),
        char_ids: new ort.Tensor("int32", inputs.charIds, [inputs.charIds.length]),
        glove_conversation: new ort.Tensor("int32", inputs.gloveConversation, [
          inputs.gloveConversation.length,
        ]),
        glove_last_user: new ort.Tensor("int32", inputs.gloveLastUser, [inputs.gloveLastUser.length]),
        struct: new ort.Tensor("float32", inputs.struct, [inputs.struct.length]),
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
