// The trainable model in plain Float32Array loops: hashed n-gram table + frozen dense inputs -> MLP head.

import {
  cloneGate,
  createGate,
  createGateTrace,
  type GateParams,
  type GateTrace,
  gateBackward,
  gateForward,
} from "./gate";

export const CLASSES = 3;

export interface ModelShape {
  buckets: number;
  /** Width of the learned n-gram embedding. */
  dim: number;
  /** Width of the frozen dense input (pooled GloVe + structural signals, standardised). */
  dense: number;
  /** Hidden units of the head; 0 means a linear head. */
  hidden: number;
  /** Adds direct per-bucket logit weights (linear head only; see `ModelParams.direct`). */
  direct?: boolean;
  /** Gated experts over the structural signals (linear head only; see `GateParams`); 0 or absent = none. */
  experts?: number;
  /** How many structural signals end the dense input (what the gate reads). */
  structSize?: number;
}

export interface ModelParams {
  shape: ModelShape;
  /** `buckets x dim`. */
  table: Float32Array;
  /** Linear head: `CLASSES x inputs`; MLP: `hidden x inputs`. */
  w1: Float32Array;
  b1: Float32Array;
  /** MLP only: `CLASSES x hidden`. */
  w2: Float32Array;
  b2: Float32Array;
  /**
   * Linear head only: direct logit weights of every n-gram bucket, `2 buckets x CLASSES` (word bag, then
   * character bag), trained jointly with the table: a sparse logistic regression beside the low-rank fastText
   * path, folded into the same projected table at export. Empty when off.
   */
  direct: Float32Array;
  /** Gated experts over the structural signals, when the shape asks for them. */
  gate?: GateParams;
}

/** Seeded generator (mulberry32): the build is deterministic for a given seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two pooled n-gram means (words, characters) followed by the dense input. */
export function inputSize(shape: ModelShape): number {
  return 2 * shape.dim + shape.dense;
}

export function createParams(shape: ModelShape, random: () => number): ModelParams {
  const inputs = inputSize(shape);
  const first = shape.hidden > 0 ? shape.hidden : CLASSES;
  const table = new Float32Array(shape.buckets * shape.dim);
  const tableRange = 1 / shape.dim;
  for (let i = 0; i < table.length; i++) table[i] = (random() * 2 - 1) * tableRange;
  const w1 = new Float32Array(first * inputs);
  const range1 = Math.sqrt(6 / (inputs + first));
  for (let i = 0; i < w1.length; i++) w1[i] = (random() * 2 - 1) * range1;
  const w2 = new Float32Array(shape.hidden > 0 ? CLASSES * shape.hidden : 0);
  const range2 = Math.sqrt(6 / (shape.hidden + CLASSES));
  for (let i = 0; i < w2.length; i++) w2[i] = (random() * 2 - 1) * range2;
  const direct = new Float32Array(shape.direct && shape.hidden === 0 ? 2 * shape.buckets * CLASSES : 0);
  const gate = shape.hidden === 0 ? createGate(shape.experts ?? 0, shape.structSize ?? 0, random) : undefined;
  return { shape, table, w1, b1: new Float32Array(first), w2, b2: new Float32Array(CLASSES), direct, gate };
}

export function cloneParams(params: ModelParams): ModelParams {
  return {
    shape: params.shape,
    table: params.table.slice(),
    w1: params.w1.slice(),
    b1: params.b1.slice(),
    w2: params.w2.slice(),
    b2: params.b2.slice(),
    direct: params.direct.slice(),
    gate: cloneGate(params.gate),
  };
}

/** One training or evaluation example after featurisation. */
export interface Example {
  ngramIds: Int32Array;
  charIds: Int32Array;
  dense: Float32Array;
  label: number;
}

/** Everything a forward pass leaves behind for the backward pass. */
export interface Trace {
  x: Float32Array;
  hidden: Float32Array;
  mask: Float32Array;
  /** Input dropout gates (1 when no dropout is applied). */
  inputMask: Float32Array;
  logits: Float32Array;
  gate: GateTrace;
}

export function createTrace(shape: ModelShape, gate?: GateParams): Trace {
  return {
    x: new Float32Array(inputSize(shape)),
    hidden: new Float32Array(shape.hidden),
    mask: new Float32Array(shape.hidden),
    inputMask: new Float32Array(inputSize(shape)).fill(1),
    logits: new Float32Array(CLASSES),
    gate: createGateTrace(gate),
  };
}

/** Mean of the rows of `table` named by `ids`, written into `out[offset..offset+dim)`. */
export function meanRows(
  table: Float32Array,
  dim: number,
  ids: Int32Array,
  out: Float32Array,
  offset = 0,
): void {
  out.fill(0, offset, offset + dim);
  for (let i = 0; i < ids.length; i++) {
    const base = (ids[i] ?? 0) * dim;
    for (let d = 0; d < dim; d++) out[offset + d] = (out[offset + d] ?? 0) + (table[base + d] ?? 0);
  }
  const inverse = 1 / Math.max(1, ids.length);
  for (let d = 0; d < dim; d++) out[offset + d] = (out[offset + d] ?? 0) * inverse;
}

/** Forward pass; with a random source, inputs and hidden units are dropped (inverted dropout). */
export function forward(
  params: ModelParams,
  example: Example,
  trace: Trace,
  dropout = 0,
  random?: () => number,
  inputDropout = 0,
): Float32Array {
  const { dim, hidden } = params.shape;
  const x = trace.x;
  meanRows(params.table, dim, example.ngramIds, x, 0);
  meanRows(params.table, dim, example.charIds, x, dim);
  x.set(example.dense, 2 * dim);
  const inputs = x.length;
  if (random && inputDropout > 0) {
    const scale = 1 / (1 - inputDropout);
    for (let i = 0; i < inputs; i++) {
      const gate = random() < inputDropout ? 0 : scale;
      trace.inputMask[i] = gate;
      x[i] = (x[i] ?? 0) * gate;
    }
  } else trace.inputMask.fill(1);
  if (hidden === 0) {
    affine(params.w1, params.b1, x, inputs, trace.logits);
    if (params.direct.length > 0) {
      addDirect(params.direct, example.ngramIds, 0, trace.logits);
      addDirect(params.direct, example.charIds, params.shape.buckets, trace.logits);
    }
    if (params.gate) {
      const from = example.dense.length - params.gate.size;
      gateForward(params.gate, example.dense, from, trace.logits, trace.gate);
    }
    return trace.logits;
  }
  affine(params.w1, params.b1, x, inputs, trace.hidden);
  const keep = 1 - dropout;
  for (let h = 0; h < hidden; h++) {
    const dropped = random !== undefined && dropout > 0 && random() < dropout;
    const gate = (trace.hidden[h] ?? 0) > 0 && !dropped ? (random && dropout > 0 ? 1 / keep : 1) : 0;
    trace.mask[h] = gate;
    trace.hidden[h] = (trace.hidden[h] ?? 0) * gate;
  }
  affine(params.w2, params.b2, trace.hidden, hidden, trace.logits);
  return trace.logits;
}

/** Adds the mean of the direct rows of `ids` (shifted by `offset` buckets) to the logits. */
function addDirect(direct: Float32Array, ids: Int32Array, offset: number, logits: Float32Array): void {
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < ids.length; i++) {
    const base = ((ids[i] as number) + offset) * CLASSES;
    a += direct[base] as number;
    b += direct[base + 1] as number;
    c += direct[base + 2] as number;
  }
  const inverse = 1 / Math.max(1, ids.length);
  logits[0] = (logits[0] as number) + a * inverse;
  logits[1] = (logits[1] as number) + b * inverse;
  logits[2] = (logits[2] as number) + c * inverse;
}

function affine(w: Float32Array, b: Float32Array, x: Float32Array, inputs: number, out: Float32Array): void {
  for (let o = 0; o < out.length; o++) {
    let sum = b[o] ?? 0;
    const base = o * inputs;
    for (let i = 0; i < inputs; i++) sum += (w[base + i] ?? 0) * (x[i] ?? 0);
    out[o] = sum;
  }
}

export function softmax(logits: ArrayLike<number>, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] ?? 0) / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const value = Math.exp((logits[i] ?? 0) / temperature - max);
    out[i] = value;
    sum += value;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / sum;
  return out;
}

/** Gradients of a mini-batch: dense for the head, per-example for the n-gram rows. */
export interface Gradients {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  /** The n-gram mean's gradient per example, applied sparsely to the table. */
  rows: Array<{ ids: Int32Array; gradient: Float32Array }>;
  /** The logits' gradient per example and bag, applied sparsely to the direct weights (bucket offset per bag). */
  direct: Array<{ ids: Int32Array; offset: number; gradient: Float32Array }>;
  gate: Float32Array;
  expert: Float32Array;
}

export function createGradients(params: ModelParams): Gradients {
  return {
    w1: new Float32Array(params.w1.length),
    b1: new Float32Array(params.b1.length),
    w2: new Float32Array(params.w2.length),
    b2: new Float32Array(params.b2.length),
    rows: [],
    direct: [],
    gate: new Float32Array(params.gate?.gate.length ?? 0),
    expert: new Float32Array(params.gate?.expert.length ?? 0),
  };
}

/**
 * The training target with ordinal label smoothing: `smoothing` of the mass goes to the adjacent tier
 * (medium for simple and complex; half to each side for medium), so the loss pushes complex away from simple,
 * the expensive mistake, without pushing it away from medium.
 */
export function ordinalTarget(label: number, smoothing: number): number[] {
  const target = [0, 0, 0];
  target[label] = 1 - smoothing;
  if (label === 1) {
    target[0] = smoothing / 2;
    target[2] = smoothing / 2;
  } else target[1] = smoothing;
  return target;
}

/** Cross-entropy backward for one example after `forward`; returns the example's loss (against the hard label). */
export function backward(
  params: ModelParams,
  example: Example,
  trace: Trace,
  grads: Gradients,
  smoothing = 0,
): number {
  const { dim, hidden } = params.shape;
  const probs = softmax(trace.logits);
  const loss = -Math.log(Math.max(probs[example.label] ?? 0, 1e-12));
  const dLogits = probs;
  const target = ordinalTarget(example.label, smoothing);
  for (let c = 0; c < CLASSES; c++) dLogits[c] = (dLogits[c] ?? 0) - (target[c] ?? 0);
  const inputs = trace.x.length;
  if (params.gate) {
    const from = example.dense.length - params.gate.size;
    gateBackward(params.gate, example.dense, from, dLogits, trace.gate, grads);
  }
  if (params.direct.length > 0) {
    grads.direct.push({ ids: example.ngramIds, offset: 0, gradient: dLogits.slice() });
    grads.direct.push({ ids: example.charIds, offset: params.shape.buckets, gradient: dLogits.slice() });
  }
  const dX = new Float32Array(inputs);
  let dFirst: Float32Array = dLogits;
  if (hidden > 0) {
    const dHidden = new Float32Array(hidden);
    for (let c = 0; c < CLASSES; c++) {
      const g = dLogits[c] ?? 0;
      grads.b2[c] = (grads.b2[c] ?? 0) + g;
      for (let h = 0; h < hidden; h++) {
        grads.w2[c * hidden + h] = (grads.w2[c * hidden + h] ?? 0) + g * (trace.hidden[h] ?? 0);
        dHidden[h] = (dHidden[h] ?? 0) + g * (params.w2[c * hidden + h] ?? 0);
      }
    }
    for (let h = 0; h < hidden; h++) dHidden[h] = (dHidden[h] ?? 0) * (trace.mask[h] ?? 0);
    dFirst = dHidden;
  }
  for (let o = 0; o < dFirst.length; o++) {
    const g = dFirst[o] ?? 0;
    if (g === 0) continue;
    grads.b1[o] = (grads.b1[o] ?? 0) + g;
    const base = o * inputs;
    for (let i = 0; i < inputs; i++) {
      grads.w1[base + i] = (grads.w1[base + i] ?? 0) + g * (trace.x[i] ?? 0);
      dX[i] = (dX[i] ?? 0) + g * (params.w1[base + i] ?? 0);
    }
  }
  for (let i = 0; i < 2 * dim; i++) dX[i] = (dX[i] ?? 0) * (trace.inputMask[i] ?? 0);
  grads.rows.push({ ids: example.ngramIds, gradient: dX.slice(0, dim) });
  grads.rows.push({ ids: example.charIds, gradient: dX.slice(dim, 2 * dim) });
  return loss;
}
