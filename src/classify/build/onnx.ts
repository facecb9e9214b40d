// Writes the exported model as an ONNX graph (opset 13) with onnx-proto: ids in, Gather + pooling inside.

import { onnx } from "onnx-proto";
import type { ExportedModel } from "./export";

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Graph input and output names: the runtime's session runner uses the same ones. */
export const GRAPH_INPUTS = [
  "ngram_ids",
  "char_ids",
  "glove_conversation",
  "glove_last_user",
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

/** Nodes that dequantise the gathered int8 rows: Cast(Gather(values)) * Gather(scales). */
function gatherRows(prefix: string, table: string, ids: string, nodes: onnx.INodeProto[]): string {
  nodes.push(node("Gather", [`${table}_values`, ids], [`${prefix}_q`], [intAttr("axis", 0)]));
  nodes.push(node("Cast", [`${prefix}_q`], [`${prefix}_f`], [intAttr("to", FLOAT)]));
  nodes.push(node("Gather", [`${table}_scales`, ids], [`${prefix}_s`], [intAttr("axis", 0)]));
  return `${prefix}_s`;
}

export function buildGraph(model: ExportedModel, metadata: Record<string, string>): onnx.IModelProto {
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [
    tensor("ngram_values", INT8, [model.ngram.rows, model.ngram.dim], model.ngram.values),
    tensor("ngram_scales", FLOAT, [model.ngram.rows], model.ngram.scales),
    tensor("glove_values", INT8, [model.glove.rows, model.glove.dim], model.glove.values),
    tensor("glove_scales", FLOAT, [model.glove.rows, 1], model.glove.scales),
    tensor("axis0", INT64, [1], new BigInt64Array([0n])),
    tensor("temperature", FLOAT, [1], new Float32Array([model.temperature])),
  ];

  // n-gram channel (words, then characters): mean of dequantised rows = (scales / n) . rows, one MatMul.
  for (const part of ["ngram_ids", "char_ids"]) {
    const scales = gatherRows(part, "ngram", part, nodes);
    nodes.push(node("Shape", [part], [`${part}_count_i`]));
    nodes.push(node("Cast", [`${part}_count_i`], [`${part}_count`], [intAttr("to", FLOAT)]));
    nodes.push(node("Div", [scales, `${part}_count`], [`${part}_weights`]));
    nodes.push(node("Unsqueeze", [`${part}_weights`, "axis0"], [`${part}_weights_row`]));
    nodes.push(node("MatMul", [`${part}_weights_row`, `${part}_f`], [`${part}_mean`]));
  }

  // GloVe channel: mean and max over the conversation and over the last user turn.
  const pooled: string[] = [];
  for (const part of ["glove_conversation", "glove_last_user"]) {
    const rowScales = gatherRows(part, "glove", part, nodes);
    nodes.push(node("Mul", [`${part}_f`, rowScales], [`${part}_rows`]));
    nodes.push(
      node("ReduceMean", [`${part}_rows`], [`${part}_mean`], [intsAttr("axes", [0]), intAttr("keepdims", 1)]),
    );
    nodes.push(
      node("ReduceMax", [`${part}_rows`], [`${part}_max`], [intsAttr("axes", [0]), intAttr("keepdims", 1)]),
    );
    pooled.push(`${part}_mean`, `${part}_max`);
  }
  nodes.push(node("Unsqueeze", ["struct", "axis0"], ["struct_row"]));
  nodes.push(
    node(
      "Concat",
      ["ngram_ids_mean", "char_ids_mean", ...pooled, "struct_row"],
      ["features"],
      [intAttr("axis", 1)],
    ),
  );

  const inputs = 2 * model.ngram.dim + 4 * model.glove.dim + model.structSize;
  const first = model.b1.length;
  initializers.push(tensor("w1", FLOAT, [first, inputs], model.w1), tensor("b1", FLOAT, [first], model.b1));
  const gemm = [intAttr("transB", 1)];
  if (model.hidden > 0) {
    initializers.push(tensor("w2", FLOAT, [3, model.hidden], model.w2), tensor("b2", FLOAT, [3], model.b2));
    nodes.push(node("Gemm", ["features", "w1", "b1"], ["hidden_pre"], gemm));
    nodes.push(node("Relu", ["hidden_pre"], ["hidden"]));
    nodes.push(node("Gemm", ["hidden", "w2", "b2"], ["logits"], gemm));
  } else {
    nodes.push(node("Gemm", ["features", "w1", "b1"], ["logits"], gemm));
  }
  nodes.push(node("Div", ["logits", "temperature"], ["logits_scaled"]));
  nodes.push(node("Softmax", ["logits_scaled"], ["probs"], [intAttr("axis", 1)]));

  const graph = onnx.GraphProto.create({
    name: "spendex_tier_classifier",
    node: nodes,
    initializer: initializers,
    input: [
      valueInfo("ngram_ids", INT32, ["word_ngrams"]),
      valueInfo("char_ids", INT32, ["char_ngrams"]),
      valueInfo("glove_conversation", INT32, ["conversation_words"]),
      valueInfo("glove_last_user", INT32, ["last_user_words"]),
      valueInfo("struct", FLOAT, [model.structSize]),
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
