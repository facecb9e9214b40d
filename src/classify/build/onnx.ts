// Writes the exported model as an ONNX graph (opset 13) with onnx-proto: unique ids + bag weights in, Gather + pooling inside.

import { onnx } from "onnx-proto";
import { layoutOffsets } from "../bag";
import type { ExportedModel } from "./export";

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Graph input and output names: the runtime's session runner uses the same ones. */
export const GRAPH_INPUTS = ["ids", "weights", "max_ids", "struct"] as const;
/** Graphs without gated experts keep the first three inputs only (the session feeds what the graph declares). */
export const GRAPH_OUTPUTS = ["probs", "logits"] as const;

function bytes(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): onnx.ITensorProto {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: bytes(data) });
}

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: onnx.IAttributeProto[] = [],
): onnx.INodeProto {
  return onnx.NodeProto.create({
    opType,
    input: inputs,
    output: outputs,
    name: outputs[0],
    attribute: attributes,
  });
}

const intAttr = (name: string, i: number) =>
  onnx.AttributeProto.create({ name, i, type: onnx.AttributeProto.AttributeType.INT });
const intsAttr = (name: string, ints: number[]) =>
  onnx.AttributeProto.create({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });

function valueInfo(name: string, elemType: number, dims: Array<number | string>): onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

/**
 * First-layer weights with the GloVe table's single scale and (for a linear head) the temperature folded in,
 * and second-layer weights with the temperature folded in: fewer nodes per request.
 */
function foldedHead(model: ExportedModel) {
  const gloveScale = model.glove.scales[0] ?? 1;
  const inputs = 2 * model.ngram.dim + 4 * model.glove.dim + model.structSize;
  const gloveStart = 2 * model.ngram.dim;
  const gloveEnd = gloveStart + 4 * model.glove.dim;
  const linear = model.hidden === 0;
  const first = linear ? 1 / model.temperature : 1;
  const w1 = model.w1.map((weight, index) => {
    const column = index % inputs;
    return weight * first * (column >= gloveStart && column < gloveEnd ? gloveScale : 1);
  });
  const b1 = model.b1.map((bias) => bias * first);
  const w2 = model.w2.map((weight) => weight / model.temperature);
  const b2 = model.b2.map((bias) => bias / model.temperature);
  return { inputs, w1, b1, w2, b2 };
}

/**
 * The head's first layer applied to every row ahead of time: one float table whose rows are word-bag n-grams,
 * character-bag n-grams, GloVe rows for the conversation mean and for the last-user mean, one row per structural
 * feature and the bias (see `layoutOffsets`). A request's linear part is then one weighted sum of rows.
 */
export function projectedTable(model: ExportedModel, w1: Float32Array, b1: Float32Array): Float32Array {
  const first = b1.length;
  const ngramDim = model.ngram.dim;
  const gloveDim = model.glove.dim;
  const inputs = 2 * ngramDim + 4 * gloveDim + model.structSize;
  const offsets = layoutOffsets({
    buckets: model.ngram.rows,
    gloveRows: model.glove.rows,
    structSize: model.structSize,
  });
  const table = new Float32Array(offsets.rows * first);
  const block = (
    start: number,
    rows: number,
    dim: number,
    column: number,
    value: (row: number, d: number) => number,
  ) => {
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < first; o++) {
        let sum = 0;
        for (let d = 0; d < dim; d++) sum += value(r, d) * (w1[o * inputs + column + d] ?? 0);
        table[(start + r) * first + o] = sum;
      }
    }
  };
  const ngram = (r: number, d: number) =>
    (model.ngram.values[r * ngramDim + d] ?? 0) * (model.ngram.scales[r] ?? 0);
  const glove = (r: number, d: number) => model.glove.values[r * gloveDim + d] ?? 0; // scale folded into w1
  block(offsets.word, model.ngram.rows, ngramDim, 0, ngram);
  block(offsets.char, model.ngram.rows, ngramDim, ngramDim, ngram);
  if (model.direct.length > 0 && first === 3) {
    // Direct logit weights (word rows, then char rows: the same order as the table's first two blocks).
    const scale = 1 / model.temperature;
    for (let i = 0; i < model.direct.length; i++) table[i] = (table[i] ?? 0) + (model.direct[i] ?? 0) * scale;
  }
  block(offsets.gloveMean, model.glove.rows, gloveDim, 2 * ngramDim, glove);
  block(offsets.lastMean, model.glove.rows, gloveDim, 2 * ngramDim + gloveDim, glove);
  // Known words: the sum of each word's character n-gram rows (direct weights included).
  const { starts, ids } = model.wordGrams;
  for (let r = 0; r < model.glove.rows; r++) {
    const end = starts[r + 1] ?? 0;
    for (let g = starts[r] ?? 0; g < end; g++) {
      const from = (offsets.char + (ids[g] ?? 0)) * first;
      for (let o = 0; o < first; o++)
        table[(offsets.knownChars + r) * first + o] =
          (table[(offsets.knownChars + r) * first + o] ?? 0) + (table[from + o] ?? 0);
    }
  }
  for (let j = 0; j < model.structSize; j++) {
    for (let o = 0; o < first; o++)
      table[(offsets.struct + j) * first + o] = w1[o * inputs + 2 * ngramDim + 4 * gloveDim + j] ?? 0;
  }
  for (let o = 0; o < first; o++) table[offsets.bias * first + o] = b1[o] ?? 0;
  return table;
}

/** The first layer's columns for the two GloVe maxima, transposed to `2 gloveDim x first` for a MatMul. */
function maxWeights(model: ExportedModel, w1: Float32Array, first: number): Float32Array {
  const inputs = 2 * model.ngram.dim + 4 * model.glove.dim + model.structSize;
  const start = 2 * model.ngram.dim + 2 * model.glove.dim;
  const columns = 2 * model.glove.dim;
  const out = new Float32Array(columns * first);
  for (let c = 0; c < columns; c++) {
    for (let o = 0; o < first; o++) out[c * first + o] = w1[o * inputs + start + c] ?? 0;
  }
  return out;
}

/**
 * Gated experts on the raw signals `s` ([1, size + 1], the last entry 1): gate = softmax(s · gate_w) per group,
 * experts = s · expert_w reshaped to [groups x experts, 3] (temperature folded in), logits = gate · experts +
 * linear_logits (one Gemm). Every product is 2-D (onnxruntime runs a batched MatMul as one GEMM per batch, about a
 * microsecond each), so the gate costs five tiny nodes (seven with more than one group).
 */
function gateTensors(model: ExportedModel) {
  const gate = model.gate;
  if (!gate) return { initializers: [], nodes: [] };
  const { groups, experts } = gate;
  const width = gate.size + 1;
  const rows = groups * experts;
  const gateW = new Float32Array(width * rows);
  const expertW = new Float32Array(width * rows * 3);
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < rows; j++) {
      gateW[i * rows + j] = gate.gate[j * width + i] ?? 0;
      for (let c = 0; c < 3; c++)
        expertW[(i * rows + j) * 3 + c] = (gate.expert[(j * 3 + c) * width + i] ?? 0) / model.temperature;
    }
  }
  const initializers = [
    tensor("gate_w", FLOAT, [width, rows], gateW),
    tensor("expert_w", FLOAT, [width, rows * 3], expertW),
    tensor("expert_shape", INT64, [2], new BigInt64Array([BigInt(rows), 3n])),
  ];
  const nodes = [node("MatMul", ["struct", "gate_w"], ["gate_logits"])];
  if (groups > 1) {
    initializers.push(
      tensor("gate_groups", INT64, [2], new BigInt64Array([BigInt(groups), BigInt(experts)])),
      tensor("gate_row", INT64, [2], new BigInt64Array([1n, BigInt(rows)])),
    );
    nodes.push(
      node("Reshape", ["gate_logits", "gate_groups"], ["gate_grouped"]),
      node("Softmax", ["gate_grouped"], ["gate_softmax"], [intAttr("axis", -1)]),
      node("Reshape", ["gate_softmax", "gate_row"], ["gate_probs"]),
    );
  } else nodes.push(node("Softmax", ["gate_logits"], ["gate_probs"], [intAttr("axis", -1)]));
  nodes.push(
    node("MatMul", ["struct", "expert_w"], ["expert_flat"]),
    node("Reshape", ["expert_flat", "expert_shape"], ["expert_out"]),
    node("Gemm", ["gate_probs", "expert_out", "linear_logits"], ["logits"]),
  );
  return { initializers, nodes };
}

export function buildGraph(model: ExportedModel, metadata: Record<string, string>): onnx.IModelProto {
  if (model.glove.scales.some((scale) => scale !== model.glove.scales[0])) {
    throw new Error("the GloVe table must be quantised with one scale (quantizeTensor)");
  }
  const nodes: onnx.INodeProto[] = [];
  const head = foldedHead(model);
  const first = head.b1.length;
  const table = projectedTable(model, head.w1, head.b1);
  const initializers: onnx.ITensorProto[] = [
    tensor("table", FLOAT, [table.length / first, first], table),
    tensor("glove_values", INT8, [model.glove.rows, model.glove.dim], model.glove.values),
    tensor("max_shape", INT64, [2], new BigInt64Array([1n, -1n])),
    tensor("max_w", FLOAT, [2 * model.glove.dim, first], maxWeights(model, head.w1, first)),
  ];

  // Every linear part (both n-gram bags, both GloVe means, the structural signals, the bias): one Gather of
  // projected rows and one weighted sum.
  nodes.push(node("Gather", ["table", "ids"], ["rows"], [intAttr("axis", 0)]));
  nodes.push(node("MatMul", ["weights", "rows"], ["linear"]));
  // GloVe maxima over the conversation's rows and the last user turn's rows ([2, m] ids), in int8 units
  // (cast before the reduction: onnxruntime's float ReduceMax is faster than its int8 one).
  nodes.push(node("Gather", ["glove_values", "max_ids"], ["max_rows_q"], [intAttr("axis", 0)]));
  nodes.push(node("Cast", ["max_rows_q"], ["max_rows"], [intAttr("to", FLOAT)]));
  nodes.push(node("ReduceMax", ["max_rows"], ["maxima_2"], [intsAttr("axes", [1]), intAttr("keepdims", 0)]));
  nodes.push(node("Reshape", ["maxima_2", "max_shape"], ["maxima"]));
  const firstOut = model.hidden > 0 ? "hidden_pre" : model.gate ? "linear_logits" : "logits";
  nodes.push(node("Gemm", ["maxima", "max_w", "linear"], [firstOut]));
  if (model.hidden > 0) {
    const gemm = [intAttr("transB", 1)];
    initializers.push(tensor("w2", FLOAT, [3, model.hidden], head.w2), tensor("b2", FLOAT, [3], head.b2));
    nodes.push(node("Relu", ["hidden_pre"], ["hidden"]));
    nodes.push(node("Gemm", ["hidden", "w2", "b2"], ["logits"], gemm));
  }
  if (model.gate) {
    const gate = gateTensors(model);
    initializers.push(...gate.initializers);
    nodes.push(...gate.nodes);
  }
  nodes.push(node("Softmax", ["logits"], ["probs"], [intAttr("axis", 1)]));

  const graph = onnx.GraphProto.create({
    name: "spendex_tier_classifier",
    node: nodes,
    initializer: initializers,
    input: [
      valueInfo("ids", INT32, ["n"]),
      valueInfo("weights", FLOAT, [1, "n"]),
      valueInfo("max_ids", INT32, [2, "m"]),
      ...(model.gate ? [valueInfo("struct", FLOAT, [1, model.structSize + 1])] : []),
    ],
    output: [valueInfo("probs", FLOAT, [1, 3]), valueInfo("logits", FLOAT, [1, 3])],
  });
  return onnx.ModelProto.create({
    irVersion: 7,
    producerName: "spendex",
    producerVersion: "2",
    opsetImport: [{ domain: "", version: 13 }],
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}

export function encodeModel(model: ExportedModel, metadata: Record<string, string> = {}): Uint8Array {
  return onnx.ModelProto.encode(buildGraph(model, metadata)).finish();
}
