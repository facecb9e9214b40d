// Folds normalisation into the head, quantises both tables to int8, and runs the exported model in TS.

import { expandKnownChars, layoutOffsets, type ModelInputs, type WordGrams } from "../bag";
import { createGateTrace, foldGate, type GateParams, gateForward } from "./gate";
import { CLASSES, type ModelParams, softmax } from "./model";

/** int8 rows with one scale per row: value = q * scale. */
export interface QuantizedTable {
  rows: number;
  dim: number;
  values: Int8Array;
  scales: Float32Array;
}

/** The model as it goes into the ONNX graph. Dense inputs are raw (normalisation is folded into w1). */
export interface ExportedModel {
  ngram: QuantizedTable;
  glove: QuantizedTable;
  structSize: number;
  hidden: number;
  /** `first x inputs`, first = hidden (MLP) or CLASSES (linear); inputs = 2 n-gram dim + 4 GloVe dim + struct. */
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  /** Linear head only: direct logit weights per n-gram bucket (`2 buckets x CLASSES`, word then char); may be empty. */
  direct: Float32Array;
  /** Character n-gram ids of each GloVe row's word: the graph's known-word rows are sums of these rows. */
  wordGrams: WordGrams;
  temperature: number;
  /** Gated experts over the raw structural signals (standardisation folded in); absent when the head has none. */
  gate?: GateParams;
}

/** Standardisation of the dense input learnt on train: x' = (x - mean) * inverse. */
export interface Normalisation {
  mean: Float32Array;
  inverse: Float32Array;
}

export function quantizeRows(table: Float32Array, dim: number): QuantizedTable {
  const rows = table.length / dim;
  const values = new Int8Array(table.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(table[r * dim + d] ?? 0));
    const scale = max > 0 ? max / 127 : 1;
    scales[r] = scale;
    for (let d = 0; d < dim; d++) values[r * dim + d] = Math.round((table[r * dim + d] ?? 0) / scale);
  }
  return { rows, dim, values, scales };
}

/** int8 with one scale for the whole table (so the graph can fold it into the next layer). */
export function quantizeTensor(table: Float32Array, dim: number): QuantizedTable {
  let max = 0;
  for (let i = 0; i < table.length; i++) max = Math.max(max, Math.abs(table[i] ?? 0));
  const scale = max > 0 ? max / 127 : 1;
  const values = new Int8Array(table.length);
  for (let i = 0; i < table.length; i++) values[i] = Math.round((table[i] ?? 0) / scale);
  const rows = table.length / dim;
  return { rows, dim, values, scales: new Float32Array(rows).fill(scale) };
}

export function dequantize(table: QuantizedTable): Float32Array {
  const out = new Float32Array(table.values.length);
  for (let r = 0; r < table.rows; r++) {
    const scale = table.scales[r] ?? 0;
    for (let d = 0; d < table.dim; d++)
      out[r * table.dim + d] = (table.values[r * table.dim + d] ?? 0) * scale;
  }
  return out;
}

/** GloVe pooling as the graph orders it: conversation mean, last-user mean, conversation max, last-user max. */
export function poolGlove(
  glove: Float32Array,
  dim: number,
  conversation: Int32Array,
  lastUser: Int32Array,
): Float32Array {
  const out = new Float32Array(4 * dim);
  [conversation, lastUser].forEach((ids, part) => {
    const meanOffset = part * dim;
    const maxOffset = (2 + part) * dim;
    out.fill(Number.NEGATIVE_INFINITY, maxOffset, maxOffset + dim);
    for (let i = 0; i < ids.length; i++) {
      const base = (ids[i] ?? 0) * dim;
      for (let d = 0; d < dim; d++) {
        const value = glove[base + d] ?? 0;
        out[meanOffset + d] = (out[meanOffset + d] ?? 0) + value;
        if (value > (out[maxOffset + d] ?? 0)) out[maxOffset + d] = value;
      }
    }
    for (let d = 0; d < dim; d++) out[meanOffset + d] = (out[meanOffset + d] ?? 0) / ids.length;
  });
  return out;
}

/** Folds (x - mean) * inverse of the dense part into the first layer, and quantises the n-gram table. */
export function exportModel(
  params: ModelParams,
  glove: QuantizedTable,
  structSize: number,
  normalisation: Normalisation,
  temperature: number,
  wordGrams: WordGrams,
): ExportedModel {
  const { dim, hidden, dense } = params.shape;
  const learned = 2 * dim;
  const inputs = learned + dense;
  const first = params.b1.length;
  const w1 = new Float32Array(params.w1.length);
  const b1 = new Float32Array(first);
  for (let o = 0; o < first; o++) {
    let bias = params.b1[o] ?? 0;
    for (let i = 0; i < inputs; i++) {
      const weight = params.w1[o * inputs + i] ?? 0;
      if (i < learned) {
        w1[o * inputs + i] = weight;
        continue;
      }
      const j = i - learned;
      const inverse = normalisation.inverse[j] ?? 0;
      w1[o * inputs + i] = weight * inverse;
      bias -= weight * inverse * (normalisation.mean[j] ?? 0);
    }
    b1[o] = bias;
  }
  return {
    ngram: quantizeRows(params.table, dim),
    glove,
    structSize,
    hidden,
    w1,
    b1,
    w2: params.w2.slice(),
    b2: params.b2.slice(),
    direct: params.direct.slice(),
    wordGrams,
    temperature,
    gate:
      params.gate &&
      foldGate(
        params.gate,
        normalisation.mean.subarray(dense - params.gate.size),
        normalisation.inverse.subarray(dense - params.gate.size),
      ),
  };
}

/** Caches dequantised tables so the reference forward pass is cheap to repeat. */
const dequantized = new WeakMap<QuantizedTable, Float32Array>();
function floats(table: QuantizedTable): Float32Array {
  let values = dequantized.get(table);
  if (!values) {
    values = dequantize(table);
    dequantized.set(table, values);
  }
  return values;
}

/** The TypeScript reference of the ONNX graph: calibrated logits (divided by the temperature) and probabilities. */
export function forwardExported(
  model: ExportedModel,
  inputs: ModelInputs,
): { logits: Float32Array; probs: Float32Array } {
  const ngramDim = model.ngram.dim;
  const gloveDim = model.glove.dim;
  const size = 2 * ngramDim + 4 * gloveDim + model.structSize;
  const offsets = layoutOffsets({
    buckets: model.ngram.rows,
    gloveRows: model.glove.rows,
    structSize: model.structSize,
  });
  const request = expandKnownChars(inputs, offsets, model.wordGrams);
  const x = new Float64Array(size);
  const ngram = floats(model.ngram);
  const glove = floats(model.glove);
  let biasWeight = 0;
  const direct = new Float64Array(CLASSES);
  // Undo the projected-table layout: each id names a block (bag) and a row of the original tables.
  request.ids.forEach((id, k) => {
    const weight = request.weights[k] ?? 0;
    let table = ngram;
    let dim = ngramDim;
    let row = id;
    let at = 0;
    if (id >= offsets.bias) {
      biasWeight += weight;
      return;
    } else if (id >= offsets.struct) {
      x[2 * ngramDim + 4 * gloveDim + id - offsets.struct] = weight;
      return;
    } else if (id >= offsets.lastMean) {
      [table, dim, row, at] = [glove, gloveDim, id - offsets.lastMean, 2 * ngramDim + gloveDim];
    } else if (id >= offsets.gloveMean) {
      [table, dim, row, at] = [glove, gloveDim, id - offsets.gloveMean, 2 * ngramDim];
    } else if (id >= offsets.char) {
      [row, at] = [id - offsets.char, ngramDim];
    }
    if (model.direct.length > 0 && id < offsets.gloveMean) {
      for (let c = 0; c < CLASSES; c++)
        direct[c] = (direct[c] ?? 0) + weight * (model.direct[id * CLASSES + c] ?? 0);
    }
    for (let d = 0; d < dim; d++) x[at + d] = (x[at + d] ?? 0) + weight * (table[row * dim + d] ?? 0);
  });
  // GloVe maxima over the conversation's rows and over the last user turn's rows (row 0, zeros, pads both).
  const maxOffset = 2 * ngramDim + 2 * gloveDim;
  for (let part = 0; part < 2; part++) {
    const at = maxOffset + part * gloveDim;
    x.fill(Number.NEGATIVE_INFINITY, at, at + gloveDim);
    for (let k = 0; k < request.maxWidth; k++) {
      const row = request.maxIds[part * request.maxWidth + k] ?? 0;
      for (let d = 0; d < gloveDim; d++) x[at + d] = Math.max(x[at + d] ?? 0, glove[row * gloveDim + d] ?? 0);
    }
  }
  const first = dense(model.w1, model.b1, x, size, biasWeight);
  if (model.hidden === 0) for (let c = 0; c < CLASSES; c++) first[c] = (first[c] ?? 0) + (direct[c] ?? 0);
  if (model.gate) gateForward(model.gate, inputs.struct, 0, first, createGateTrace(model.gate));
  let logits = first;
  if (model.hidden > 0) {
    for (let h = 0; h < first.length; h++) first[h] = Math.max(0, first[h] ?? 0);
    logits = dense(model.w2, model.b2, first, model.hidden, 1);
  }
  const out = Float32Array.from(logits.subarray(0, CLASSES), (value) => value / model.temperature);
  return { logits: out, probs: softmax(out) };
}

function dense(
  w: Float32Array,
  b: Float32Array,
  x: Float64Array,
  inputs: number,
  biasWeight: number,
): Float64Array {
  const out = new Float64Array(b.length);
  for (let o = 0; o < b.length; o++) {
    let sum = (b[o] ?? 0) * biasWeight;
    for (let i = 0; i < inputs; i++) sum += (w[o * inputs + i] ?? 0) * (x[i] ?? 0);
    out[o] = sum;
  }
  return out;
}
