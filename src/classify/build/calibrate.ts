// Temperature scaling and the decision-threshold sweep, both on dev logits.

import { TIERS } from "../../catalog/types";
import { classifyFromProbs } from "../decide";
import type { Decision } from "../manifest";
import { evaluate } from "../metrics";
import type { Signals } from "../types";
import { softmax } from "./model";

export interface Scored {
  logits: Float32Array;
  label: number;
  source: string;
  signals: Signals;
}

function negativeLogLikelihood(items: readonly Scored[], temperature: number): number {
  let total = 0;
  for (const item of items)
    total -= Math.log(Math.max(softmax(item.logits, temperature)[item.label] ?? 0, 1e-12));
  return total / Math.max(1, items.length);
}

/** The temperature minimising dev NLL, on a log-spaced grid from 0.25 to 8. */
export function fitTemperature(items: readonly Scored[]): {
  temperature: number;
  before: number;
  after: number;
} {
  let best = { temperature: 1, nll: negativeLogLikelihood(items, 1) };
  const before = best.nll;
  for (let step = 0; step <= 300; step++) {
    const temperature = 0.25 * 32 ** (step / 300);
    const nll = negativeLogLikelihood(items, temperature);
    if (nll < best.nll) best = { temperature, nll };
  }
  return { temperature: best.temperature, before, after: best.nll };
}

/** Expected calibration error over 10 confidence bins. */
export function calibrationError(items: readonly Scored[], temperature: number): number {
  const bins = Array.from({ length: 10 }, () => ({ count: 0, confidence: 0, correct: 0 }));
  for (const item of items) {
    const probs = softmax(item.logits, temperature);
    let best = 0;
    for (let c = 1; c < probs.length; c++) if ((probs[c] ?? 0) > (probs[best] ?? 0)) best = c;
    const confidence = probs[best] ?? 0;
    const bin = bins[Math.min(9, Math.floor(confidence * 10))];
    if (!bin) continue;
    bin.count++;
    bin.confidence += confidence;
    if (best === item.label) bin.correct++;
  }
  return bins.reduce(
    (sum, bin) => sum + Math.abs(bin.confidence - bin.correct) / Math.max(1, items.length),
    0,
  );
}

export interface SweepPoint extends Decision {
  accuracy: number;
  macroF1: number;
  complexAsSimple: number;
  simpleRecall: number;
}

export const SIMPLE_BIASES = [0, -0.125, -0.25, -0.375, -0.5, -0.625, -0.75, -1, -1.5, -2];
export const COMPLEX_BIASES = [0, 0.25, 0.5, 1];

export function sweep(
  items: readonly Scored[],
  temperature: number,
  longContextTokens: number,
): SweepPoint[] {
  const points: SweepPoint[] = [];
  for (const complexBias of COMPLEX_BIASES) {
    for (const simpleBias of SIMPLE_BIASES) {
      const decision = { simpleBias, complexBias };
      const report = evaluate(
        items.map((item) => ({
          source: item.source,
          truth: TIERS[item.label] ?? "medium",
          predicted: classifyFromProbs(
            softmax(item.logits, temperature),
            { ...item.signals },
            decision,
            longContextTokens,
          ).tier,
        })),
      );
      points.push({
        simpleBias,
        complexBias,
        accuracy: report.accuracy,
        macroF1: report.macroF1,
        complexAsSimple: report.complexAsSimple,
        simpleRecall: report.perTier.simple.recall,
      });
    }
  }
  return points;
}

/** Highest accuracy with complex->simple within the budget; ties go to the smaller bias. */
export function chooseOperatingPoint(points: readonly SweepPoint[], maxComplexAsSimple: number): SweepPoint {
  const eligible = points.filter((point) => point.complexAsSimple <= maxComplexAsSimple);
  const pool =
    eligible.length > 0 ? eligible : [...points].sort((a, b) => a.complexAsSimple - b.complexAsSimple);
  const size = (point: SweepPoint) => Math.abs(point.simpleBias) + Math.abs(point.complexBias);
  const sorted = [...pool].sort(
    (a, b) => b.accuracy - a.accuracy || b.macroF1 - a.macroF1 || size(a) - size(b),
  );
  const chosen = sorted[0];
  if (!chosen) throw new Error("empty threshold sweep");
  return chosen;
}
