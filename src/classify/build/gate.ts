// Gated experts over the structural signals: a softmax gate picks a mix of linear experts, added to the logits.

/**
 * Word problems, MATH levels and MMLU items each want their own slope on counts such as numbers and sentences,
 * which one linear head cannot give them. A gate (softmax over `experts` logits, linear in the signals) mixes
 * `experts` linear heads over the same signals. Weights act on the signals followed by a constant 1 (the bias
 * column), which is also how the graph takes them. After `combineMembers`, `groups` gates sit side by side, each
 * with its own softmax, and the experts' outputs are already divided by the number of members.
 */
export interface GateParams {
  groups: number;
  experts: number;
  /** Structural signals read (the last `size` entries of the dense input). */
  size: number;
  /** `groups x experts` rows of `size + 1`. */
  gate: Float32Array;
  /** `groups x experts x 3` rows of `size + 1`. */
  expert: Float32Array;
}

const CLASSES = 3;

export function createGate(
  experts: number,
  size: number,
  random: () => number,
  groups = 1,
): GateParams | undefined {
  if (experts <= 0) return undefined;
  const width = size + 1;
  const gate = new Float32Array(groups * experts * width);
  const expert = new Float32Array(groups * experts * CLASSES * width);
  const range = Math.sqrt(6 / (width + experts));
  for (let i = 0; i < gate.length; i++) gate[i] = (random() * 2 - 1) * range;
  const small = 0.1 / Math.sqrt(width);
  for (let i = 0; i < expert.length; i++) expert[i] = (random() * 2 - 1) * small;
  return { groups, experts, size, gate, expert };
}

export function cloneGate(params: GateParams | undefined): GateParams | undefined {
  return params && { ...params, gate: params.gate.slice(), expert: params.expert.slice() };
}

/** What the forward pass leaves for the backward pass: gate probabilities and expert outputs. */
export interface GateTrace {
  probs: Float64Array;
  outputs: Float64Array;
}

export function createGateTrace(params: GateParams | undefined): GateTrace {
  const rows = params ? params.groups * params.experts : 0;
  return { probs: new Float64Array(rows), outputs: new Float64Array(rows * CLASSES) };
}

/** Dot product of one weight row of `width` (last entry: bias) with the signals `s[from..from+width-1)`. */
function rowDot(weights: ArrayLike<number>, row: number, width: number, s: ArrayLike<number>, from: number) {
  const base = row * width;
  let sum = weights[base + width - 1] as number;
  for (let i = 0; i < width - 1; i++) sum += (weights[base + i] as number) * (s[from + i] as number);
  return sum;
}

/** Adds the gated mixture to `logits`; `signals[from..from+size)` are the structural signals. */
export function gateForward(
  params: GateParams,
  signals: ArrayLike<number>,
  from: number,
  logits: { [index: number]: number },
  trace: GateTrace,
): void {
  const { groups, experts } = params;
  const width = params.size + 1;
  for (let k = 0; k < groups; k++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let g = 0; g < experts; g++) {
      const z = rowDot(params.gate, k * experts + g, width, signals, from);
      trace.probs[k * experts + g] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let g = 0; g < experts; g++) {
      const e = Math.exp((trace.probs[k * experts + g] as number) - max);
      trace.probs[k * experts + g] = e;
      sum += e;
    }
    for (let g = 0; g < experts; g++) {
      const j = k * experts + g;
      const p = (trace.probs[j] as number) / sum;
      trace.probs[j] = p;
      for (let c = 0; c < CLASSES; c++) {
        const out = rowDot(params.expert, j * CLASSES + c, width, signals, from);
        trace.outputs[j * CLASSES + c] = out;
        logits[c] = (logits[c] as number) + p * out;
      }
    }
  }
}

/** Accumulates the gradients of the gate and the experts, given the logits' gradient (one group: training). */
export function gateBackward(
  params: GateParams,
  signals: ArrayLike<number>,
  from: number,
  dLogits: ArrayLike<number>,
  trace: GateTrace,
  grads: { gate: Float32Array; expert: Float32Array },
): void {
  const { experts } = params;
  const width = params.size + 1;
  let mean = 0;
  const dProb = new Float64Array(experts);
  for (let g = 0; g < experts; g++) {
    let d = 0;
    for (let c = 0; c < CLASSES; c++)
      d += (dLogits[c] as number) * (trace.outputs[g * CLASSES + c] as number);
    dProb[g] = d;
    mean += (trace.probs[g] as number) * d;
  }
  for (let g = 0; g < experts; g++) {
    const p = trace.probs[g] as number;
    const dz = p * ((dProb[g] as number) - mean);
    addRow(grads.gate, g, width, signals, from, dz);
    for (let c = 0; c < CLASSES; c++)
      addRow(grads.expert, g * CLASSES + c, width, signals, from, p * (dLogits[c] as number));
  }
}

function addRow(
  target: Float32Array,
  row: number,
  width: number,
  s: ArrayLike<number>,
  from: number,
  scale: number,
): void {
  if (scale === 0) return;
  const base = row * width;
  for (let i = 0; i < width - 1; i++)
    target[base + i] = (target[base + i] as number) + scale * (s[from + i] as number);
  target[base + width - 1] = (target[base + width - 1] as number) + scale;
}

/** Members' gates side by side, each its own softmax group; experts divided by the number of members. */
export function combineGates(members: ReadonlyArray<GateParams | undefined>): GateParams | undefined {
  const first = members[0];
  if (!first) return undefined;
  const count = members.length;
  const parts = members as GateParams[];
  const gate = new Float32Array(parts.reduce((n, m) => n + m.gate.length, 0));
  const expert = new Float32Array(parts.reduce((n, m) => n + m.expert.length, 0));
  let at = 0;
  let atExpert = 0;
  for (const member of parts) {
    gate.set(member.gate, at);
    at += member.gate.length;
    for (let i = 0; i < member.expert.length; i++)
      expert[atExpert + i] = (member.expert[i] as number) / count;
    atExpert += member.expert.length;
  }
  const groups = parts.reduce((n, m) => n + m.groups, 0);
  return { groups, experts: first.experts, size: first.size, gate, expert };
}

/**
 * Folds the standardisation of the signals, x' = (x - mean) * inverse, into the weights (and, with `scale`, the
 * temperature into the experts), so the graph reads the raw signals followed by a 1.
 */
export function foldGate(
  params: GateParams,
  mean: ArrayLike<number>,
  inverse: ArrayLike<number>,
  scale = 1,
): GateParams {
  const width = params.size + 1;
  const fold = (weights: Float32Array, factor: number) => {
    const out = new Float32Array(weights.length);
    for (let row = 0; row < weights.length / width; row++) {
      const base = row * width;
      let bias = weights[base + width - 1] as number;
      for (let i = 0; i < width - 1; i++) {
        const w = (weights[base + i] as number) * (inverse[i] as number);
        out[base + i] = w * factor;
        bias -= w * (mean[i] as number);
      }
      out[base + width - 1] = bias * factor;
    }
    return out;
  };
  return { ...params, gate: fold(params.gate, 1), expert: fold(params.expert, scale) };
}
