// Training loop: mini-batch Adam for the head, sparse SGD for the n-gram table, early stopping on dev.

import {
  backward,
  CLASSES,
  cloneParams,
  createGradients,
  createParams,
  createRandom,
  createTrace,
  type Example,
  forward,
  type Gradients,
  type ModelParams,
  type ModelShape,
  softmax,
} from "./model";

export interface TrainOptions {
  seed: number;
  maxEpochs: number;
  patience: number;
  batchSize: number;
  headLearningRate: number;
  tableLearningRate: number;
  weightDecay: number;
  dropout: number;
  /** Dropout on the head's inputs (pooled n-grams, GloVe, structure). */
  inputDropout: number;
  /** Ordinal label smoothing: share of the target moved to the adjacent tier (see `ordinalTarget`). */
  ordinalSmoothing: number;
  /** From this epoch on, the weights are averaged over epochs (SWA) and the average is what dev judges; 0 = off. */
  averageFrom: number;
  /** Adam rate of the direct per-bucket logit weights (`ModelParams.direct`), updated lazily (touched rows only). */
  directLearningRate: number;
  /** L2 penalty of the direct weights, applied to the rows a batch touches. */
  directDecay: number;
  /**
   * 1: the member reads the hashed n-grams (table and direct weights). 0: a dense-only member (pooled GloVe and the
   * structural signals), whose table and direct weights stay zero, so it folds into the same graph (decision 0005).
   */
  ngrams: number;
}

export const DEFAULT_TRAIN: TrainOptions = {
  seed: 5,
  maxEpochs: 25,
  patience: 5,
  batchSize: 16,
  headLearningRate: 5e-4,
  tableLearningRate: 2,
  weightDecay: 1e-4,
  dropout: 0.3,
  inputDropout: 0,
  ordinalSmoothing: 0.15,
  averageFrom: 0,
  directLearningRate: 0.005,
  directDecay: 1e-6,
  ngrams: 1,
};

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  devLoss: number;
  devAccuracy: number;
  seconds: number;
}

export interface TrainResult {
  params: ModelParams;
  bestEpoch: number;
  history: EpochReport[];
}

class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private step = 0;
  constructor(
    private readonly values: Float32Array,
    private readonly rate: number,
    private readonly decay: number,
  ) {
    this.m = new Float32Array(values.length);
    this.v = new Float32Array(values.length);
  }
  apply(gradient: Float32Array, scale: number): void {
    this.step++;
    const correction1 = 1 - 0.9 ** this.step;
    const correction2 = 1 - 0.999 ** this.step;
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i] ?? 0;
      const g = (gradient[i] ?? 0) * scale + this.decay * value;
      const m = 0.9 * (this.m[i] ?? 0) + 0.1 * g;
      const v = 0.999 * (this.v[i] ?? 0) + 0.001 * g * g;
      this.m[i] = m;
      this.v[i] = v;
      this.values[i] = value - (this.rate * (m / correction1)) / (Math.sqrt(v / correction2) + 1e-8);
    }
    gradient.fill(0);
  }
}

/** Logits of every example with the model in evaluation mode. */
export function predictAll(params: ModelParams, examples: readonly Example[]): Float32Array[] {
  const trace = createTrace(params.shape, params.gate);
  return examples.map((example) => forward(params, example, trace).slice());
}

export function scoreLogits(logits: readonly Float32Array[], examples: readonly Example[]) {
  let loss = 0;
  let correct = 0;
  logits.forEach((row, index) => {
    const label = examples[index]?.label ?? 0;
    const probs = softmax(row);
    loss -= Math.log(Math.max(probs[label] ?? 0, 1e-12));
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if ((row[c] ?? 0) > (row[best] ?? 0)) best = c;
    if (best === label) correct++;
  });
  return { loss: loss / Math.max(1, logits.length), accuracy: correct / Math.max(1, logits.length) };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
}

function applyRows(params: ModelParams, grads: Gradients, rate: number): void {
  const { dim } = params.shape;
  const table = params.table;
  for (const { ids, gradient } of grads.rows) {
    const step = rate / ids.length;
    for (let i = 0; i < ids.length; i++) {
      const base = (ids[i] ?? 0) * dim;
      for (let d = 0; d < dim; d++) table[base + d] = (table[base + d] ?? 0) - step * (gradient[d] ?? 0);
    }
  }
  grads.rows.length = 0;
}

/** Adam over the direct weights that only visits the buckets a batch touched (the rest have zero gradient). */
class LazyAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly gradient: Float32Array;
  private readonly touched: Int32Array;
  private readonly marked: Uint8Array;
  private count = 0;
  private step = 0;
  constructor(
    private readonly values: Float32Array,
    private readonly rate: number,
    private readonly decay: number,
  ) {
    this.m = new Float32Array(values.length);
    this.v = new Float32Array(values.length);
    this.gradient = new Float32Array(values.length);
    this.touched = new Int32Array(values.length / CLASSES);
    this.marked = new Uint8Array(values.length / CLASSES);
  }
  accumulate(grads: Gradients): void {
    for (const { ids, offset, gradient } of grads.direct) {
      const inverse = 1 / Math.max(1, ids.length);
      for (let i = 0; i < ids.length; i++) {
        const row = (ids[i] as number) + offset;
        if (this.marked[row] === 0) {
          this.marked[row] = 1;
          this.touched[this.count++] = row;
        }
        for (let c = 0; c < CLASSES; c++)
          this.gradient[row * CLASSES + c] =
            (this.gradient[row * CLASSES + c] as number) + (gradient[c] as number) * inverse;
      }
    }
    grads.direct.length = 0;
  }
  apply(scale: number): void {
    this.step++;
    const correction1 = 1 - 0.9 ** this.step;
    const correction2 = 1 - 0.999 ** this.step;
    for (let t = 0; t < this.count; t++) {
      const row = this.touched[t] as number;
      this.marked[row] = 0;
      for (let c = 0; c < CLASSES; c++) {
        const i = row * CLASSES + c;
        const value = this.values[i] as number;
        const g = (this.gradient[i] as number) * scale + this.decay * value;
        this.gradient[i] = 0;
        const m = 0.9 * (this.m[i] as number) + 0.1 * g;
        const v = 0.999 * (this.v[i] as number) + 0.001 * g * g;
        this.m[i] = m;
        this.v[i] = v;
        this.values[i] = value - (this.rate * (m / correction1)) / (Math.sqrt(v / correction2) + 1e-8);
      }
    }
    this.count = 0;
  }
}

/** Running average: average += (params - average) * share, for every weight. */
function blend(average: ModelParams, params: ModelParams, share: number): ModelParams {
  const pairs: Array<[Float32Array, Float32Array]> = [
    [average.table, params.table],
    [average.w1, params.w1],
    [average.b1, params.b1],
    [average.w2, params.w2],
    [average.b2, params.b2],
    [average.direct, params.direct],
  ];
  if (average.gate && params.gate) {
    pairs.push([average.gate.gate, params.gate.gate], [average.gate.expert, params.gate.expert]);
  }
  for (const [target, source] of pairs) {
    for (let i = 0; i < target.length; i++) target[i] = target[i]! + (source[i]! - target[i]!) * share;
  }
  return average;
}

/** Trains until dev accuracy stops improving for `patience` epochs; returns the best epoch's weights. */
export function train(
  shape: ModelShape,
  trainSet: readonly Example[],
  devSet: readonly Example[],
  options: TrainOptions,
  log: (line: string) => void,
): TrainResult {
  const random = createRandom(options.seed);
  const params = createParams(shape, random);
  const denseOnly = options.ngrams === 0;
  if (denseOnly) {
    params.table.fill(0);
    params.direct.fill(0);
  }
  const grads = createGradients(params);
  const optimisers = [
    { adam: new Adam(params.w1, options.headLearningRate, options.weightDecay), grad: grads.w1 },
    { adam: new Adam(params.b1, options.headLearningRate, 0), grad: grads.b1 },
    { adam: new Adam(params.w2, options.headLearningRate, options.weightDecay), grad: grads.w2 },
    { adam: new Adam(params.b2, options.headLearningRate, 0), grad: grads.b2 },
  ];
  if (params.gate) {
    optimisers.push(
      { adam: new Adam(params.gate.gate, options.headLearningRate, options.weightDecay), grad: grads.gate },
      {
        adam: new Adam(params.gate.expert, options.headLearningRate, options.weightDecay),
        grad: grads.expert,
      },
    );
  }
  const direct =
    params.direct.length > 0 && !denseOnly
      ? new LazyAdam(params.direct, options.directLearningRate, options.directDecay)
      : undefined;
  const trace = createTrace(shape, params.gate);
  const order = [...trainSet];
  const history: EpochReport[] = [];
  let averaged: ModelParams | undefined;
  let best = { accuracy: -1, loss: Number.POSITIVE_INFINITY, epoch: 0, params: cloneParams(params) };
  for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
    const started = performance.now();
    shuffle(order, random);
    const progress = 1 - (epoch - 1) / options.maxEpochs;
    const tableRate = options.tableLearningRate * progress;
    let trainLoss = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      for (const example of batch) {
        forward(params, example, trace, options.dropout, random, options.inputDropout);
        trainLoss += backward(params, example, trace, grads, options.ordinalSmoothing);
      }
      const scale = 1 / batch.length;
      for (const { adam, grad } of optimisers) adam.apply(grad, scale);
      if (direct) {
        direct.accumulate(grads);
        direct.apply(scale);
      }
      if (denseOnly) {
        // The table and the direct weights stay zero: their gradients are dropped.
        grads.rows.length = 0;
        grads.direct.length = 0;
      } else applyRows(params, grads, tableRate);
    }
    let judged = params;
    if (options.averageFrom > 0 && epoch >= options.averageFrom) {
      averaged = averaged
        ? blend(averaged, params, 1 / (epoch - options.averageFrom + 1))
        : cloneParams(params);
      judged = averaged;
    }
    const dev = scoreLogits(predictAll(judged, devSet), devSet);
    const seconds = (performance.now() - started) / 1000;
    history.push({
      epoch,
      trainLoss: trainLoss / order.length,
      devLoss: dev.loss,
      devAccuracy: dev.accuracy,
      seconds,
    });
    const improved = dev.accuracy > best.accuracy || (dev.accuracy === best.accuracy && dev.loss < best.loss);
    log(
      `  epoch ${String(epoch).padStart(2)}/${options.maxEpochs}  train loss ${(trainLoss / order.length).toFixed(4)}` +
        `  dev loss ${dev.loss.toFixed(4)}  dev acc ${dev.accuracy.toFixed(4)}  ${seconds.toFixed(1)}s${improved ? "  *" : ""}`,
    );
    if (improved) best = { accuracy: dev.accuracy, loss: dev.loss, epoch, params: cloneParams(judged) };
    else if (epoch - best.epoch >= options.patience) break;
  }
  return { params: best.params, bestEpoch: best.epoch, history };
}
