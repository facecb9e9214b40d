// Evaluation metrics of tier predictions: accuracy, macro-F1, confusion matrix, complex->simple, per source.

import { TIERS, type Tier } from "../catalog/types";

export interface Prediction {
  source: string;
  truth: Tier;
  predicted: Tier;
}

export interface EvalReport {
  count: number;
  accuracy: number;
  macroF1: number;
  /** Per true tier: precision, recall, F1, support. */
  perTier: Record<Tier, { precision: number; recall: number; f1: number; support: number }>;
  /** confusion[truth][predicted] = count. */
  confusion: Record<Tier, Record<Tier, number>>;
  /** Share of truly complex requests predicted simple (the expensive mistake). */
  complexAsSimple: number;
  perSource: Array<{ source: string; count: number; accuracy: number }>;
}

const safe = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const round = (value: number) => Math.round(value * 10000) / 10000;

function zeroRow(): Record<Tier, number> {
  return { simple: 0, medium: 0, complex: 0 };
}

export function evaluate(predictions: readonly Prediction[]): EvalReport {
  const confusion = { simple: zeroRow(), medium: zeroRow(), complex: zeroRow() };
  const sources = new Map<string, { count: number; correct: number }>();
  let correct = 0;
  for (const { source, truth, predicted } of predictions) {
    confusion[truth][predicted]++;
    const entry = sources.get(source) ?? { count: 0, correct: 0 };
    entry.count++;
    if (truth === predicted) {
      correct++;
      entry.correct++;
    }
    sources.set(source, entry);
  }
  const perTier = {} as EvalReport["perTier"];
  for (const tier of TIERS) {
    const truePositive = confusion[tier][tier];
    const support = TIERS.reduce((sum, other) => sum + confusion[tier][other], 0);
    const predictedCount = TIERS.reduce((sum, other) => sum + confusion[other][tier], 0);
    const precision = safe(truePositive, predictedCount);
    const recall = safe(truePositive, support);
    perTier[tier] = {
      precision: round(precision),
      recall: round(recall),
      f1: round(safe(2 * precision * recall, precision + recall)),
      support,
    };
  }
  const complexSupport = perTier.complex.support;
  return {
    count: predictions.length,
    accuracy: round(safe(correct, predictions.length)),
    macroF1: round(TIERS.reduce((sum, tier) => sum + perTier[tier].f1, 0) / TIERS.length),
    perTier,
    confusion,
    complexAsSimple: round(safe(confusion.complex.simple, complexSupport)),
    perSource: [...sources.entries()]
      .map(([source, { count, correct: right }]) => ({ source, count, accuracy: round(safe(right, count)) }))
      .sort((a, b) => a.source.localeCompare(b.source)),
  };
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/** Markdown tables a person reads: summary, confusion matrix, per-source accuracy. */
export function formatReport(report: EvalReport): string {
  const lines = [
    "| metric | value |",
    "| --- | ---: |",
    `| requests | ${report.count} |`,
    `| accuracy | ${report.accuracy.toFixed(4)} |`,
    `| macro-F1 | ${report.macroF1.toFixed(4)} |`,
    `| complex predicted simple | ${pct(report.complexAsSimple)} (${report.confusion.complex.simple}/${report.perTier.complex.support}) |`,
    "",
    "| truth \\ predicted | simple | medium | complex | recall | precision | F1 |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...TIERS.map((tier) => {
      const row = report.confusion[tier];
      const stats = report.perTier[tier];
      return `| ${tier} | ${row.simple} | ${row.medium} | ${row.complex} | ${stats.recall.toFixed(3)} | ${stats.precision.toFixed(3)} | ${stats.f1.toFixed(3)} |`;
    }),
    "",
    "| source | requests | accuracy |",
    "| --- | ---: | ---: |",
    ...report.perSource.map((row) => `| ${row.source} | ${row.count} | ${row.accuracy.toFixed(3)} |`),
  ];
  return lines.join("\n");
}
