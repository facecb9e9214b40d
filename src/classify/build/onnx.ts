// Writes the exported model as an ONNX graph (opset 13) with onnx-proto: unique ids + bag weights in, Gather + pooling inside.

import { onnx } from "onnx-proto";
import type { ExportedModel } from "./export";

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Graph input and output names: the runtime's session runner uses the same ones. */
export const GRAPH_INPUTS = [
  "ngram_ids",
  "ngram_weights",
  "glove_ids",
  "glove_weights",
  "glove_last_mask",
  "struct",
] as const;
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

export function buildGraph(model: ExportedModel, metadata: Record<string, string>): onnx.IModelProto {
  if (model.glove.scales.some((scale) => scale !== model.glove.scales[0])) {
    throw new Error("the GloVe table must be quantised with one scale (quantizeTensor)");
  }
  const nodes: onnx.INodeProto[] = [];
  const head = foldedHead(model);
  const first = head.b1.length;
  const initializers: onnx.ITensorProto[] = [
    tensor("ngram_values", INT8, [model.ngram.rows, model.ngram.dim], model.ngram.values),
    tensor("ngram_scales", FLOAT, [model.ngram.rows], model.ngram.scales),
    tensor("glove_values", INT8, [model.glove.rows, model.glove.dim], model.glove.values),
    tensor("row_shape", INT64, [2], new BigInt64Array([1n, -1n])),
    tensor("w1", FLOAT, [first, head.inputs], head.w1),
    tensor("b1", FLOAT, [first], head.b1),
  ];

  // n-gram channel: (weights [2,u] * row scales) . int8 rows [u,D] -> word mean and char mean, one MatMul.
  nodes.push(node("Gather", ["ngram_values", "ngram_ids"], ["ngram_q"], [intAttr("axis", 0)]));
  nodes.push(node("Cast", ["ngram_q"], ["ngram_f"], [intAttr("to", FLOAT)]));
  nodes.push(node("Gather", ["ngram_scales", "ngram_ids"], ["ngram_s"], [intAttr("axis", 0)]));
  nodes.push(node("Mul", ["ngram_weights", "ngram_s"], ["ngram_scaled_weights"]));
  nodes.push(node("MatMul", ["ngram_scaled_weights", "ngram_f"], ["ngram_means"]));
  nodes.push(node("Reshape", ["ngram_means", "row_shape"], ["ngram_row"]));

  // GloVe channel (int8 units; the scale lives in w1): means by one MatMul, maxima over all rows and over the
  // last user turn's rows (the mask input is 0 there and very negative elsewhere).
  nodes.push(node("Gather", ["glove_values", "glove_ids"], ["glove_q"], [intAttr("axis", 0)]));
  nodes.push(node("Cast", ["glove_q"], ["glove_rows"], [intAttr("to", FLOAT)]));
  nodes.push(node("MatMul", ["glove_weights", "glove_rows"], ["glove_means"]));
  nodes.push(node("Reshape", ["glove_means", "row_shape"], ["glove_means_row"]));
  const reduce = [intsAttr("axes", [0]), intAttr("keepdims", 1)];
  nodes.push(node("ReduceMax", ["glove_rows"], ["glove_conversation_max"], reduce));
  nodes.push(node("Add", ["glove_rows", "glove_last_mask"], ["glove_last_rows"]));
  nodes.push(node("ReduceMax", ["glove_last_rows"], ["glove_last_max"], reduce));
  const parts = ["ngram_row", "glove_means_row", "glove_conversation_max", "glove_last_max", "struct"];
  nodes.push(node("Concat", parts, ["features"], [intAttr("axis", 1)]));

  const gemm = [intAttr("transB", 1)];
  if (model.hidden > 0) {
    initializers.push(tensor("w2", FLOAT, [3, model.hidden], head.w2), tensor("b2", FLOAT, [3], head.b2));
    nodes.push(node("Gemm", ["features", "w1", "b1"], ["hidden_pre"], gemm));
    nodes.push(node("Relu", ["hidden_pre"], ["hidden"]));
    nodes.push(node("Gemm", ["hidden", "w2", "b2"], ["logits"], gemm));
  } else {
    nodes.push(node("Gemm", ["features", "w1", "b1"], ["logits"], gemm));
  }
  nodes.push(node("Softmax", ["logits"], ["probs"], [intAttr("axis", 1)]));

  const graph = onnx.GraphProto.create({
    name: "spendex_tier_classifier",
    node: nodes,
    initializer: initializers,
    input: [
      valueInfo("ngram_ids", INT32, ["ngrams"]),
      valueInfo("ngram_weights", FLOAT, [2, "ngrams"]),
      valueInfo("glove_ids", INT32, ["words"]),
      valueInfo("glove_weights", FLOAT, [2, "words"]),
      valueInfo("glove_last_mask", FLOAT, ["words", 1]),
      valueInfo("struct", FLOAT, [1, model.structSize]),
    ],
    output: [valueInfo("probs", FLOAT, [1, 3]), valueInfo("logits", FLOAT, [1, 3])],
  });
  return onnx.ModelProto.create({
    irVersion: 7,
    producerName: "spendex",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: 13 }],
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}

export function encodeModel(model: ExportedModel, metadata: Record<string, string> = {}): Uint8Array {
  return onnx.ModelProto.encode(buildGraph(model, metadata)).finish();
}
