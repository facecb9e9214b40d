// The build pipeline without I/O: featurise, train the candidates, pick by dev, calibrate, export.

import type { LabelledRequest } from "../corpus";
import { DEFAULT_SAMPLE, RequestEncoder, type SampleConfig } from "../encode";
import { LONG_CONTEXT_TOKENS, STRUCT_NAMES, STRUCT_SIZE } from "../features";
import { MANIFEST_FORMAT, type Manifest } from "../manifest";
import { DEFAULT_TOKENIZER, TextHasher, type TokenizerConfig, WordTable } from "../tokenize";
import {
  calibrationError,
  chooseOperatingPoint,
  fitTemperature,
  type Scored,
  type SweepPoint,
  sweep,
} from "./calibrate";
import { fitNormalisation, prepare, toExamples } from "./dataset";
import { combineMembers } from "./ensemble";
import { dequantize, type ExportedModel, exportModel, forwardExported, quantizeTensor } from "./export";
import type { GloveVectors } from "./glove";
import type { ModelParams, ModelShape } from "./model";
import { encodeModel } from "./onnx";
import { DEFAULT_TRAIN, type EpochReport, predictAll, scoreLogits, type TrainOptions, train } from "./train";

export const DEFAULT_ENSEMBLE = 5;

/** Width of each member's n-gram embedding: 128 over 64 by 5-fold cross-validation on train (free at run time). */
export const DEFAULT_DIM = 128;

/** Direct per-bucket weights beside the embedding: chosen by 5-fold cross-validation on train (see the card). */
export const DEFAULT_DIRECT = true;

/**
 * Gated linear experts over the structural signals per member (see `GateParams`). 8 won 5-fold cross-validation on
 * train (+0.005 over none, on every fold), but its graph path (a 4th input and 7 nodes) cost 8 to 12 µs per request
 * in onnxruntime, more than the classify stage's latency budget allows: off by default (decision 0005; `buildModel({ experts: 8 })` builds it).
 */
export const DEFAULT_EXPERTS = 0;

/** Dense-only members beside the n-gram members (`BuildOptions.denseMembers`). */
export const DEFAULT_DENSE_MEMBERS = 0;

/** The model file must stay under 16 MB (issue 5). */
export const MAX_MODEL_BYTES = 16_000_000;

/** Approximate ONNX file size: the projected float table, the int8 GloVe table and the small head tensors. */
export function projectedBytes(
  buckets: number,
  gloveRows: number,
  gloveDim: number,
  structSize: number,
  hidden: number,
): number {
  const first = hidden > 0 ? hidden : 3;
  const rows = 2 * buckets + 3 * gloveRows + structSize + 1;
  return rows * first * 4 + gloveRows * gloveDim + 2 * gloveDim * first * 4 + 4 * (first + 1) * 3;
}

export interface BuildOptions {
  train: readonly LabelledRequest[];
  dev: readonly LabelledRequest[];
  glove: GloveVectors;
  tokenizer?: TokenizerConfig;
  sample?: SampleConfig;
  /** Width of the learned n-gram embedding. */
  dim?: number;
  /**
   * Head sizes to try (0 = linear); the dev set picks one. Default: linear only, because the graph projects every
   * table row onto the first layer, so an MLP of h units makes the file h/3 times larger (h = 64 would be ~87 MB).
   */
  hiddenCandidates?: number[];
  /**
   * Independently seeded members averaged into the shipped model. Default 5: averaging is free at run time (the
   * members' tables and heads fold into the same projected table), so only the build pays (~40 s per member).
   */
  ensemble?: number;
  /**
   * Dense-only members (pooled GloVe and structural signals, no n-grams) averaged in beside the `ensemble` members:
   * they err differently from members that can fit the training items by their n-grams (decision 0005).
   */
  denseMembers?: number;
  training?: Partial<TrainOptions>;
  /** Train direct per-bucket logit weights beside the embedding (linear heads; see `ModelParams.direct`). */
  direct?: boolean;
  /** Gated experts over the structural signals per member (linear heads; 0 = none). */
  experts?: number;
  /** Largest complex->simple rate the operating point may have on dev. */
  maxComplexAsSimple?: number;
  log?: (line: string) => void;
}

export interface CandidateReport {
  hidden: number;
  /** Of the averaged members. */
  devAccuracy: number;
  devLoss: number;
  members: Array<{ bestEpoch: number; devAccuracy: number; devLoss: number; history: EpochReport[] }>;
}

export interface BuildReport {
  seed: number;
  /** Every training setting the members used (member k's seed is `seed + 1000 k`). */
  training?: TrainOptions;
  trainCount: number;
  devCount: number;
  /** n-gram dimensions per member; the shipped table has members x dim columns. */
  dim: number;
  ensemble: number;
  /** Dense-only members among them (after the n-gram members). */
  denseMembers?: number;
  /** Whether the members have direct per-bucket logit weights. */
  direct?: boolean;
  /** Gated experts over the structural signals per member (0 or absent: none). */
  experts?: number;
  candidates: CandidateReport[];
  chosenHidden: number;
  temperature: { value: number; nllBefore: number; nllAfter: number; eceBefore: number; eceAfter: number };
  sweep: SweepPoint[];
  operatingPoint: SweepPoint;
  seconds: number;
}

export interface BuildResult {
  model: ExportedModel;
  manifest: Manifest;
  onnx: Uint8Array;
  report: BuildReport;
}

export function buildModel(options: BuildOptions): BuildResult {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const tokenizer = options.tokenizer ?? DEFAULT_TOKENIZER;
  const sample = options.sample ?? DEFAULT_SAMPLE;
  const training = { ...DEFAULT_TRAIN, ...options.training };
  const dim = options.dim ?? DEFAULT_DIM;
  const { glove } = options;

  const gloveWithPad = new Float32Array((glove.words.length + 1) * glove.dim);
  gloveWithPad.set(glove.vectors, glove.dim);
  const gloveTable = quantizeTensor(gloveWithPad, glove.dim);
  const gloveFloats = dequantize(gloveTable);
  const hasher = new TextHasher(tokenizer, new WordTable(glove.words));
  const encoder = new RequestEncoder(hasher, sample);

  log(`featurising (${tokenizer.buckets} buckets, ${glove.words.length} GloVe words)`);
  const trainPrepared = prepare(options.train, encoder, gloveFloats, glove.dim, log, "train");
  const devPrepared = prepare(options.dev, encoder, gloveFloats, glove.dim, log, "dev");
  const normalisation = fitNormalisation(trainPrepared.raw);
  const trainSet = toExamples(trainPrepared, normalisation);
  const devSet = toExamples(devPrepared, normalisation);
  const dense = trainSet[0]?.dense.length ?? 4 * glove.dim + STRUCT_SIZE;

  const candidates: Array<CandidateReport & { params: ModelParams }> = [];
  const ngramMembers = options.ensemble ?? DEFAULT_ENSEMBLE;
  const denseMembers = options.denseMembers ?? DEFAULT_DENSE_MEMBERS;
  const members = ngramMembers + denseMembers;
  for (const hidden of options.hiddenCandidates ?? [0]) {
    const shape: ModelShape = {
      buckets: tokenizer.buckets,
      dim,
      dense,
      hidden,
      direct: options.direct ?? DEFAULT_DIRECT,
      experts: hidden === 0 ? (options.experts ?? DEFAULT_EXPERTS) : 0,
      structSize: STRUCT_SIZE,
    };
    const trained: ModelParams[] = [];
    const memberReports: CandidateReport["members"] = [];
    for (let k = 0; k < members; k++) {
      const head = hidden === 0 ? "linear head" : `MLP head (${hidden} hidden)`;
      const ngrams = k < ngramMembers ? 1 : 0;
      const kind = ngrams === 1 ? "" : " (dense only)";
      log(`training ${head}, member ${k + 1}/${members}${kind}, on ${trainSet.length} requests`);
      const seed = training.seed + 1000 * k;
      const result = train(shape, trainSet, devSet, { ...training, ngrams, seed }, log);
      const best = result.history.find((entry) => entry.epoch === result.bestEpoch);
      trained.push(result.params);
      memberReports.push({
        bestEpoch: result.bestEpoch,
        devAccuracy: best?.devAccuracy ?? 0,
        devLoss: best?.devLoss ?? 0,
        history: result.history,
      });
    }
    const params = combineMembers(trained);
    const dev = scoreLogits(predictAll(params, devSet), devSet);
    log(`  ensemble of ${members}: dev accuracy ${dev.accuracy.toFixed(4)}, dev loss ${dev.loss.toFixed(4)}`);
    candidates.push({ hidden, devAccuracy: dev.accuracy, devLoss: dev.loss, members: memberReports, params });
  }
  // The graph projects every table row onto the head's first layer (3 logits, or `hidden` units), so a wide MLP
  // head multiplies the file size: candidates whose file would pass the budget are not eligible.
  const fits = (hidden: number) =>
    projectedBytes(tokenizer.buckets, glove.words.length + 1, glove.dim, STRUCT_SIZE, hidden) <=
    MAX_MODEL_BYTES;
  for (const candidate of candidates) {
    if (!fits(candidate.hidden))
      log(`  hidden=${candidate.hidden} would exceed ${MAX_MODEL_BYTES} bytes: not eligible`);
  }
  const chosen = candidates
    .filter((candidate) => fits(candidate.hidden))
    .sort((a, b) => b.devAccuracy - a.devAccuracy || a.devLoss - b.devLoss)[0];
  if (!chosen) throw new Error("no head candidate fits the model size budget");
  log(`chose hidden=${chosen.hidden} (ensemble dev accuracy ${chosen.devAccuracy.toFixed(4)})`);

  // Calibrate on the quantised model, exactly as the ONNX graph will compute it.
  const uncalibrated = exportModel(
    chosen.params,
    gloveTable,
    STRUCT_SIZE,
    normalisation,
    1,
    hasher.wordGrams(glove.words),
  );
  const scored: Scored[] = devPrepared.encoded.map((encoded, index) => ({
    logits: forwardExported(uncalibrated, encoded.inputs).logits,
    label: devSet[index]?.label ?? 0,
    source: devPrepared.rows[index]?.source ?? "unknown",
    signals: encoded.signals,
  }));
  const fit = fitTemperature(scored);
  log(
    `temperature ${fit.temperature.toFixed(3)} (dev NLL ${fit.before.toFixed(4)} -> ${fit.after.toFixed(4)})`,
  );
  const points = sweep(scored, fit.temperature, LONG_CONTEXT_TOKENS);
  const operatingPoint = chooseOperatingPoint(points, options.maxComplexAsSimple ?? 0.015);
  log(
    `operating point simpleBias=${operatingPoint.simpleBias} complexBias=${operatingPoint.complexBias}: ` +
      `accuracy ${operatingPoint.accuracy.toFixed(4)}, complex->simple ${(operatingPoint.complexAsSimple * 100).toFixed(1)}%`,
  );

  const model: ExportedModel = { ...uncalibrated, temperature: fit.temperature };
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    labels: ["simple", "medium", "complex"],
    tokenizer,
    sample,
    decision: { simpleBias: operatingPoint.simpleBias, complexBias: operatingPoint.complexBias },
    longContextTokens: LONG_CONTEXT_TOKENS,
    structNames: [...STRUCT_NAMES],
    gloveWords: glove.words,
  };
  const onnx = encodeModel(model, {
    format: MANIFEST_FORMAT,
    buckets: String(tokenizer.buckets),
    gloveWords: String(glove.words.length),
    hidden: String(chosen.hidden),
    seed: String(training.seed),
  });
  const report: BuildReport = {
    seed: training.seed,
    training,
    trainCount: trainSet.length,
    devCount: devSet.length,
    dim,
    ensemble: members,
    denseMembers,
    direct: options.direct ?? DEFAULT_DIRECT,
    experts: chosen.params.gate ? chosen.params.gate.experts : 0,
    candidates: candidates.map(({ params: _params, ...rest }) => rest),
    chosenHidden: chosen.hidden,
    temperature: {
      value: fit.temperature,
      nllBefore: fit.before,
      nllAfter: fit.after,
      eceBefore: calibrationError(scored, 1),
      eceAfter: calibrationError(scored, fit.temperature),
    },
    sweep: points,
    operatingPoint,
    seconds: (performance.now() - started) / 1000,
  };
  return { model, manifest, onnx, report };
}
