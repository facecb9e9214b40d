// Averages K independently trained members into one model of the same form (wider table, wider head).

import { combineGates } from "./gate";
import { CLASSES, type ModelParams } from "./model";

/**
 * The members share bucket ids, so their tables sit side by side in one table of K x dim columns, and the
 * mean of their logits is one head: member k's first layer reads its own table slice and the shared dense
 * input; the second layer (or the linear head) is divided by K. The graph is unchanged, only wider.
 */
export function combineMembers(members: readonly ModelParams[]): ModelParams {
  const first = members[0];
  if (!first) throw new Error("no ensemble members");
  const count = members.length;
  if (count === 1) return first;
  const { buckets, dim, dense, hidden } = first.shape;
  const wide = dim * count;
  const inputs = 2 * dim + dense;
  const wideInputs = 2 * wide + dense;
  const table = new Float32Array(buckets * wide);
  members.forEach((member, k) => {
    for (let b = 0; b < buckets; b++) {
      for (let d = 0; d < dim; d++) table[b * wide + k * dim + d] = member.table[b * dim + d]!;
    }
  });
  const rowsPerMember = hidden > 0 ? hidden : CLASSES;
  const outRows = hidden > 0 ? hidden * count : CLASSES;
  const w1 = new Float32Array(outRows * wideInputs);
  const b1 = new Float32Array(outRows);
  members.forEach((member, k) => {
    const share = hidden > 0 ? 1 : 1 / count;
    for (let r = 0; r < rowsPerMember; r++) {
      const row = hidden > 0 ? k * hidden + r : r;
      b1[row] = b1[row]! + member.b1[r]! * share;
      for (let i = 0; i < inputs; i++) {
        const weight = member.w1[r * inputs + i]! * share;
        let column: number;
        if (i < dim) column = k * dim + i;
        else if (i < 2 * dim) column = wide + k * dim + (i - dim);
        else column = 2 * wide + (i - 2 * dim);
        w1[row * wideInputs + column] = w1[row * wideInputs + column]! + weight;
      }
    }
  });
  const w2 = new Float32Array(hidden > 0 ? CLASSES * hidden * count : 0);
  const b2 = new Float32Array(CLASSES);
  members.forEach((member, k) => {
    for (let c = 0; c < CLASSES; c++) {
      b2[c] = b2[c]! + member.b2[c]! / count;
      for (let h = 0; h < hidden; h++)
        w2[c * hidden * count + k * hidden + h] = member.w2[c * hidden + h]! / count;
    }
  });
  const direct = new Float32Array(first.direct.length);
  for (const member of members) {
    for (let i = 0; i < direct.length; i++) direct[i] = direct[i]! + member.direct[i]! / count;
  }
  return {
    shape: { ...first.shape, dim: wide, hidden: hidden * count },
    table,
    w1,
    b1,
    w2,
    b2,
    direct,
    gate: first.gate ? combineGates(members.map((member) => member.gate)) : undefined,
  };
}
