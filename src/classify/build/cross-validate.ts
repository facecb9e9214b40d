// Grouped k-fold cross-validation on train: how hyperparameters are chosen without looking at dev.
// bun src/classify/build/cross-validate.ts [--data DIR] [--folds 5] [--experts 0,4] [--members 1] [--sizes 1,5]
//   [--dense-members K] [--train key=value,...] [--extra work|quant] [--stop held|inner] [--only 0,1] [--cache DIR]
// With --members N, each fold trains N members (the build's seeds) and reports the held-out accuracy of the mean of
// the first k members' logits for each k in --sizes (the ensemble the build would ship). --dense-members K trains K
// dense-only members after them (no n-grams; seeds continue), counted in the sizes like the others.

import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type LabelledRequest, readCorpus } from "../corpus";
import { RequestEncoder } from "../encode";
import { STRUCT_SIZE } from "../features";
import { DEFAULT_TOKENIZER, TextHasher, WordTable } from "../tokenize";
import type { ClassifyInput } from "../types";
import { DEFAULT_DIM, DEFAULT_DIRECT } from "./build";
import { fitNormalisation, type Prepared, prepare, toExamples } from "./dataset";
import { dequantize, quantizeTensor } from "./export";
import { loadGlove } from "./glove";
import { CLASSES, type Example } from "./model";
import { DEFAULT_TRAIN, predictAll, scoreLogits, type TrainOptions, train } from "./train";
import { QUANT_COLUMNS, quantColumns, WORK_COLUMNS, workColumns } from "./work-signals";

/** An item and its multi-turn variant (`-mt`), and MT-Bench turns 1 and 2 (`-t1`, `-t2`), share a group. */
export function itemGroup(id: string): string {
  return id.replace(/-mt$/, "").replace(/-t[12]$/, "");
}

/** Fold of each row: groups sorted by a hash of their name, dealt round-robin (deterministic, balanced). */
export function groupFolds(rows: readonly LabelledRequest[], folds: number): number[] {
  const hash = (text: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  };
  const groups = [...new Set(rows.map((row) => itemGroup(row.id)))];
  groups.sort((a, b) => hash(a) - hash(b) || (a < b ? -1 : 1));
  const foldOf = new Map(groups.map((group, index) => [group, index % folds]));
  return rows.map((row) => foldOf.get(itemGroup(row.id)) ?? 0);
}

function subset(prepared: Prepared, keep: (index: number) => boolean): Prepared {
  const indices = prepared.rows.map((_, index) => index).filter(keep);
  return {
    rows: indices.map((index) => prepared.rows[index] as LabelledRequest),
    encoded: indices.map((index) => prepared.encoded[index] as Prepared["encoded"][number]),
    raw: indices.map((index) => prepared.raw[index] as Float32Array),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string", default: "../shared/data/tier-corpus" },
      folds: { type: "string", default: "5" },
      experts: { type: "string", default: "0,4" },
      members: { type: "string", default: "1" },
      "dense-members": { type: "string", default: "0" },
      stop: { type: "string", default: "held" },
      sizes: { type: "string" },
      train: { type: "string", default: "" },
      extra: { type: "string", default: "" },
      only: { type: "string" },
      seed: { type: "string", default: "5" },
      cache: { type: "string", default: join(import.meta.dir, "../../../.cache") },
    },
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const folds = Number.parseInt(values.folds, 10);
  const rows = readCorpus(join(resolve(values.data), "train.jsonl"));
  const glove = loadGlove(values.cache, 40000, log);
  const gloveWithPad = new Float32Array((glove.words.length + 1) * glove.dim);
  gloveWithPad.set(glove.vectors, glove.dim);
  const gloveFloats = dequantize(quantizeTensor(gloveWithPad, glove.dim));
  const encoder = new RequestEncoder(new TextHasher(DEFAULT_TOKENIZER, new WordTable(glove.words)));
  const prepared = withExtraColumns(
    prepare(rows, encoder, gloveFloats, glove.dim, log, "train"),
    values.extra,
  );
  const foldOf = groupFolds(rows, folds);
  const only = values.only?.split(",").map(Number) ?? Array.from({ length: folds }, (_, k) => k);
  const ngramMembers = Number.parseInt(values.members, 10);
  const members = ngramMembers + Number.parseInt(values["dense-members"], 10);
  const sizes = values.sizes?.split(",").map(Number) ?? [members];
  const seed = Number.parseInt(values.seed, 10);
  const overrides = parseTrainOverrides(values.train);
  if (values.stop !== "held" && values.stop !== "inner") throw new Error(`--stop: expected held or inner`);
  for (const experts of values.experts.split(",").map(Number)) {
    const scores = sizes.map(() => [] as number[]);
    const bySource = new Map<string, { right: number; total: number }>();
    for (const fold of only) {
      const inner = subset(prepared, (index) => foldOf[index] !== fold);
      const held = subset(prepared, (index) => foldOf[index] === fold);
      const normalisation = fitNormalisation(inner.raw);
      const trainSet = toExamples(inner, normalisation);
      const heldSet = toExamples(held, normalisation);
      const shape = {
        buckets: DEFAULT_TOKENIZER.buckets,
        dim: DEFAULT_DIM,
        dense: trainSet[0]?.dense.length ?? 0,
        hidden: 0,
        direct: DEFAULT_DIRECT,
        experts,
        structSize: STRUCT_SIZE + extraWidth(values.extra),
      };
      const { fit, stop } = stoppingSplit(values.stop, inner.rows, trainSet, heldSet, folds);
      const sums = heldSet.map(() => new Float64Array(CLASSES));
      const memberScores: string[] = [];
      for (let k = 0; k < members; k++) {
        const ngrams = k < ngramMembers ? 1 : 0;
        const options = { ...DEFAULT_TRAIN, ...overrides, ngrams, seed: seed + 1000 * k };
        const result = train(shape, fit, stop, options, () => {});
        const heldLogits = predictAll(result.params, heldSet);
        // Held-out accuracy at the epoch the stopping split chose (with --stop held, the held-out fold itself).
        const accuracy = scoreLogits(heldLogits, heldSet).accuracy;
        memberScores.push(`${accuracy.toFixed(4)}@${result.bestEpoch}${ngrams === 1 ? "" : " (dense)"}`);
        heldLogits.forEach((logits, index) => {
          for (let c = 0; c < CLASSES; c++) sums[index]![c]! += logits[c]!;
        });
        sizes.forEach((size, s) => {
          if (size === k + 1) scores[s]!.push(summedAccuracy(sums, heldSet));
        });
      }
      tallyBySource(bySource, held.rows, sums, heldSet);
      log(
        `experts=${experts} fold ${fold + 1}/${folds}: members ${memberScores.join(" ")}; ensembles ` +
          sizes.map((size, s) => `${size}: ${scores[s]!.at(-1)?.toFixed(4)}`).join(", "),
      );
    }
    log(
      `experts=${experts}, ${members}-member ensembles, held-out accuracy by source: ` +
        [...bySource]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([source, { right, total }]) => `${source} ${right}/${total}`)
          .join(", "),
    );
    sizes.forEach((size, s) => {
      const fold = scores[s]!;
      const mean = fold.reduce((a, b) => a + b, 0) / Math.max(1, fold.length);
      const line = {
        experts,
        members: size,
        train: overrides,
        ...(values.extra ? { extra: values.extra } : {}),
        folds,
        only,
        scores: fold.map((v) => Number(v.toFixed(4))),
      };
      process.stdout.write(`${JSON.stringify({ ...line, mean: Number(mean.toFixed(4)) })}\n`);
    });
  }
}

const EXTRA_PROBES: Record<string, { width: number; columns: (input: ClassifyInput) => Float32Array }> = {
  work: { width: WORK_COLUMNS.length, columns: workColumns },
  quant: { width: QUANT_COLUMNS.length, columns: quantColumns },
};

/** Structural columns the gate reads: the request path's signals plus a probe's (they end the dense input). */
export function extraWidth(extra: string): number {
  return extra === "" ? 0 : (EXTRA_PROBES[extra]?.width ?? 0);
}

/** `--extra work|quant`: appends a probe's columns to every row's dense vector before standardisation (CV only). */
export function withExtraColumns(prepared: Prepared, extra: string): Prepared {
  if (extra === "") return prepared;
  const probe = EXTRA_PROBES[extra];
  if (!probe) throw new Error(`--extra: expected ${Object.keys(EXTRA_PROBES).join(" or ")}, got ${extra}`);
  const raw = prepared.raw.map((dense, index) => {
    const columns = probe.columns(prepared.rows[index]!.input);
    const out = new Float32Array(dense.length + columns.length);
    out.set(dense);
    out.set(columns, dense.length);
    return out;
  });
  return { ...prepared, raw };
}

/** `--train averageFrom=5,dropout=0.5`: numeric overrides of the shipped training settings (`DEFAULT_TRAIN`). */
export function parseTrainOverrides(text: string): Partial<TrainOptions> {
  const overrides: Record<string, number> = {};
  for (const pair of text.split(",").filter(Boolean)) {
    const [key = "", value = ""] = pair.split("=");
    const number = Number(value);
    if (!(key in DEFAULT_TRAIN) || key === "seed" || value === "" || !Number.isFinite(number)) {
      throw new Error(
        `--train: expected key=number with a key of DEFAULT_TRAIN other than seed, got ${pair}`,
      );
    }
    overrides[key] = number;
  }
  return overrides as Partial<TrainOptions>;
}

/** Argmax accuracy of summed member logits (the mean's argmax, so the shipped ensemble's decision at no bias). */
/**
 * What a member trains on and what stops it. `held` (the runner's protocol so far): all inner rows, stopped on the
 * held-out fold itself, which picks each member's best held-out epoch (optimistic, and more so for a member whose
 * held-out accuracy swings from epoch to epoch). `inner`: one of `folds - 1` group folds of the inner rows stops it
 * and the rest train it, so the held-out fold is scored only once, at an epoch chosen without it.
 */
export function stoppingSplit(
  mode: string,
  innerRows: readonly LabelledRequest[],
  trainSet: Example[],
  heldSet: Example[],
  folds: number,
): { fit: Example[]; stop: Example[] } {
  if (mode === "held") return { fit: trainSet, stop: heldSet };
  const innerFold = groupFolds(innerRows, folds - 1);
  return {
    fit: trainSet.filter((_, index) => innerFold[index] !== 0),
    stop: trainSet.filter((_, index) => innerFold[index] === 0),
  };
}

/** Adds the ensemble's right answers per corpus source (a diagnostic: which sources a candidate moves). */
function tallyBySource(
  tally: Map<string, { right: number; total: number }>,
  rows: readonly LabelledRequest[],
  sums: readonly Float64Array[],
  examples: readonly { label: number }[],
): void {
  sums.forEach((row, index) => {
    const source = rows[index]?.source ?? "";
    const entry = tally.get(source) ?? { right: 0, total: 0 };
    entry.total++;
    if (summedAccuracy([row], [examples[index]!]) === 1) entry.right++;
    tally.set(source, entry);
  });
}

export function summedAccuracy(
  sums: readonly Float64Array[],
  examples: readonly { label: number }[],
): number {
  let correct = 0;
  sums.forEach((row, index) => {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (row[c]! > row[best]!) best = c;
    if (best === examples[index]?.label) correct++;
  });
  return correct / Math.max(1, sums.length);
}

if (import.meta.main) await main();
