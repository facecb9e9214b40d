// The shipped model's dev metrics: the numbers in models/MODEL_CARD.md, re-measured with onnxruntime.

import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BuildReport } from "../../src/classify/build/build";
import { evaluateRequests, loadClassifier, readCorpus } from "../../src/classify/index";

const models = join(import.meta.dir, "../../models");
const dev = join(import.meta.dir, "../../../shared/data/tier-corpus/dev.jsonl");

/** Pinned when the model is rebuilt (`bun run spendex model build`); the card shows the same numbers. */
const SHIPPED = {
  count: 780,
  accuracy: 0.8333,
  macroF1: 0.8332,
  // confusion[truth][predicted]
  confusion: {
    simple: { simple: 207, medium: 36, complex: 19 },
    medium: { simple: 26, medium: 210, complex: 34 },
    complex: { simple: 3, medium: 12, complex: 233 },
  },
};

const classifier = await loadClassifier({ modelPath: join(models, "tier-classifier.onnx") });
afterAll(() => classifier.close());

// The corpus is read by path and never copied into the repository: without it there is nothing to measure.
test.skipIf(!existsSync(dev))("dev metrics of the shipped file are the pinned ones", async () => {
  const { report } = await evaluateRequests(classifier, readCorpus(dev));
  expect(report.count).toBe(SHIPPED.count);
  expect(report.accuracy).toBeCloseTo(SHIPPED.accuracy, 4);
  expect(report.macroF1).toBeCloseTo(SHIPPED.macroF1, 4);
  expect(report.confusion).toEqual(SHIPPED.confusion);
  // The build's own evaluation (TypeScript forward pass over the build path's inputs) agrees with onnxruntime.
  const build = JSON.parse(readFileSync(join(models, "build-report.json"), "utf8")) as BuildReport;
  expect(report.accuracy).toBeCloseTo(build.operatingPoint.accuracy, 4);
  expect(report.complexAsSimple).toBeLessThanOrEqual(0.015);
});
