// The ONNX session runner: the only module that imports onnxruntime-node.

import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import type { ModelInputs } from "./bag";

export interface ModelOutputs {
  probs: Float32Array;
  logits: Float32Array;
}

export interface ModelSession {
  /** Which onnxruntime-node entry point runs the graph: its native binding, or the public API as the fallback. */
  readonly via: "native" | "public";
  run(inputs: ModelInputs): Promise<ModelOutputs>;
  /** Calibrated probabilities only (synchronous with the native binding): the request path. */
  probs(inputs: ModelInputs): Float32Array | Promise<Float32Array>;
  release(): Promise<void>;
}

type Feeds = Record<string, ort.Tensor>;
type Fetches = Record<string, null>;
type Results = Record<string, { data: unknown } | undefined>;

/** onnxruntime-node's native session: `run` is synchronous there (the public API defers it by a setImmediate). */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void;
  run(feeds: Feeds, fetches: Fetches, options: object): Results;
  dispose(): void;
  readonly inputMetadata: ReadonlyArray<{ name: string }>;
}

interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

const OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
} as const;

/**
 * The native session of onnxruntime-node 1.x (`dist/binding`), which skips the public API's event-loop turn per
 * run (about 15 µs here). Undefined when the package layout differs: then the public API is used.
 */
async function nativeSession(bytes: Uint8Array): Promise<NativeSession | undefined> {
  try {
    const module = (await import("onnxruntime-node/dist/binding" as string)) as Partial<NativeBinding>;
    if (!module.binding?.InferenceSession || typeof module.initOrt !== "function") return undefined;
    module.initOrt();
    const native = new module.binding.InferenceSession();
    native.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, OPTIONS);
    return native;
  } catch {
    return undefined;
  }
}

/**
 * Feeds of one request. Only graphs with gated experts declare `struct`: the signals followed by a 1, written into
 * `signals` (reused by the synchronous native path); graphs without it pay nothing for it.
 */
function feedsOf(inputs: ModelInputs, signals?: Float32Array): Feeds {
  const n = inputs.ids.length;
  const feeds: Feeds = {
    ids: new ort.Tensor("int32", inputs.ids, [n]),
    weights: new ort.Tensor("float32", inputs.weights, [1, n]),
    max_ids: new ort.Tensor("int32", inputs.maxIds, [2, inputs.maxWidth]),
  };
  if (signals) {
    signals.set(inputs.struct);
    signals[inputs.struct.length] = 1;
    feeds.struct = new ort.Tensor("float32", signals, [1, signals.length]);
  }
  return feeds;
}

/** A `struct` buffer for this request's signals, reusing `previous` when it has the right size. */
function signalsFor(inputs: ModelInputs, previous?: Float32Array): Float32Array {
  return previous?.length === inputs.struct.length + 1
    ? previous
    : new Float32Array(inputs.struct.length + 1);
}

function floats(value: { data: unknown } | undefined, name: string): Float32Array {
  const data = value?.data;
  if (!(data instanceof Float32Array)) throw new Error(`classifier graph returned no ${name}`);
  return data;
}

const BOTH: Fetches = { probs: null, logits: null };
const PROBS: Fetches = { probs: null };

/** Loads the graph once; single-threaded because one request is microseconds of work. */
export async function openSession(
  modelPath: string,
  /** `native: false` skips the native binding (tests compare the two paths). */
  options: { native?: boolean } = {},
): Promise<ModelSession> {
  const bytes = readFileSync(modelPath);
  const native = options.native === false ? undefined : await nativeSession(bytes);
  if (native) {
    const withStruct = native.inputMetadata.some((input) => input.name === "struct");
    let buffer: Float32Array | undefined;
    const feeds = (inputs: ModelInputs) => {
      if (withStruct) buffer = signalsFor(inputs, buffer);
      return feedsOf(inputs, withStruct ? buffer : undefined);
    };
    return {
      via: "native",
      run: async (inputs) => {
        const result = native.run(feeds(inputs), BOTH, {});
        return { probs: floats(result.probs, "probs"), logits: floats(result.logits, "logits") };
      },
      probs: (inputs) => floats(native.run(feeds(inputs), PROBS, {}).probs, "probs"),
      release: async () => native.dispose(),
    };
  }
  const session = await ort.InferenceSession.create(bytes, OPTIONS);
  const withStruct = session.inputNames.includes("struct");
  const feeds = (inputs: ModelInputs) => feedsOf(inputs, withStruct ? signalsFor(inputs) : undefined);
  return {
    via: "public",
    run: async (inputs) => {
      const result = await session.run(feeds(inputs));
      return { probs: floats(result.probs, "probs"), logits: floats(result.logits, "logits") };
    },
    probs: async (inputs) => floats((await session.run(feeds(inputs), ["probs"])).probs, "probs"),
    release: () => session.release(),
  };
}
