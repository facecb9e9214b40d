// Featurises labelled requests for training: n-gram ids, pooled GloVe + structural vector, standardised.

import { TIERS } from "../../catalog/types";
import type { LabelledRequest } from "../corpus";
import type { EncodedRequest, RequestEncoder } from "../encode";
import { type Normalisation, poolGlove } from "./export";
import type { Example } from "./model";

export interface Prepared {
  rows: LabelledRequest[];
  encoded: EncodedRequest[];
  /** Pooled GloVe (4 x dim) followed by the structural vector, before standardisation. */
  raw: Float32Array[];
}

export function prepare(
  rows: readonly LabelledRequest[],
  encoder: RequestEncoder,
  glove: Float32Array,
  gloveDim: number,
  log: (line: string) => void,
  name: string,
): Prepared {
  const encoded: EncodedRequest[] = [];
  const raw: Float32Array[] = [];
  const started = performance.now();
  rows.forEach((row, index) => {
    const item = encoder.encode(row.input);
    encoded.push(item);
    const pooled = poolGlove(glove, gloveDim, item.gloveConversation, item.gloveLastUser);
    const dense = new Float32Array(pooled.length + item.struct.length);
    dense.set(pooled);
    dense.set(item.struct, pooled.length);
    raw.push(dense);
    if ((index + 1) % 1000 === 0) log(`  featurised ${index + 1}/${rows.length} ${name} requests`);
  });
  log(
    `  featurised ${rows.length} ${name} requests in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  return { rows: [...rows], encoded, raw };
}

export function fitNormalisation(raw: readonly Float32Array[]): Normalisation {
  const size = raw[0]?.length ?? 0;
  const mean = new Float64Array(size);
  const square = new Float64Array(size);
  for (const row of raw) {
    for (let i = 0; i < size; i++) {
      const value = row[i] ?? 0;
      mean[i] = (mean[i] ?? 0) + value;
      square[i] = (square[i] ?? 0) + value * value;
    }
  }
  const count = Math.max(1, raw.length);
  const outMean = new Float32Array(size);
  const inverse = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const m = (mean[i] ?? 0) / count;
    const variance = Math.max(0, (square[i] ?? 0) / count - m * m);
    outMean[i] = m;
    inverse[i] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 0;
  }
  return { mean: outMean, inverse };
}

export function toExamples(prepared: Prepared, normalisation: Normalisation): Example[] {
  return prepared.rows.map((row, index) => {
    const raw = prepared.raw[index] ?? new Float32Array(0);
    const dense = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      dense[i] = ((raw[i] ?? 0) - (normalisation.mean[i] ?? 0)) * (normalisation.inverse[i] ?? 0);
    }
    return {
      ngramIds: prepared.encoded[index]?.ngramIds ?? new Int32Array(1),
      charIds: prepared.encoded[index]?.charIds ?? new Int32Array(1),
      dense,
      label: TIERS.indexOf(row.tier),
    };
  });
}
