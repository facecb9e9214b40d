// Evaluation on a small hand-labelled fixture gives hand-computed numbers.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Tier } from "../../src/catalog/types";
import { classifyFromProbs, decideIndex } from "../../src/classify/decide";
import { evaluateRequests, formatReport, readCorpus } from "../../src/classify/index";
import type { Classifier, Signals } from "../../src/classify/types";

const path = join(import.meta.dir, "../fixtures/classify/labelled.jsonl");

/** A stand-in classifier that answers the fixture's `predicted` column. */
async function stubClassifier(): Promise<Classifier> {
  const lines = (await Bun.file(path).text()).trim().split("\n");
  const answers = new Map<string, Tier>();
  for (const line of lines) {
    const row = JSON.parse(line) as { messages: Array<{ content: string }>; predicted: Tier };
    answers.set(row.messages.at(-1)?.content ?? "", row.predicted);
  }
  return {
    async classify(input) {
      const tier = answers.get(String(input.messages.at(-1)?.content)) ?? "medium";
      return {
        tier,
        confidence: 1,
        scores: { simple: 0, medium: 0, complex: 0, [tier]: 1 },
        signals: {} as Signals,
      };
    },
  };
}

describe("evaluate on the fixture", async () => {
  const { report } = await evaluateRequests(await stubClassifier(), readCorpus(path));

  test.each([
    ["count", report.count, 12],
    ["accuracy", report.accuracy, 0.6667],
    ["macro-F1", report.macroF1, 0.6627],
    ["complex predicted simple", report.complexAsSimple, 0.25],
    ["simple F1", report.perTier.simple.f1, 0.6667],
    ["medium F1", report.perTier.medium.f1, 0.5714],
    ["complex F1", report.perTier.complex.f1, 0.75],
  ])("%s", (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  test("confusion matrix and per-source accuracy", () => {
    expect(report.confusion).toEqual({
      simple: { simple: 3, medium: 1, complex: 0 },
      medium: { simple: 1, medium: 2, complex: 1 },
      complex: { simple: 1, medium: 0, complex: 3 },
    });
    expect(report.perSource).toEqual([
      { source: "a", count: 8, accuracy: 0.625 },
      { source: "b", count: 4, accuracy: 0.75 },
    ]);
    expect(formatReport(report)).toContain("| complex | 1 | 0 | 3 | 0.750 | 0.750 | 0.750 |");
  });
});

describe("decision", () => {
  test.each([
    [[0.5, 0.3, 0.2], 0, 0, 0],
    [[0.5, 0.3, 0.2], -1, 0, 1],
    [[0.4, 0.25, 0.35], 0, 0.25, 2],
    [[0.1, 0.1, 0.8], -2, 0, 2],
  ])("probs %p with simple bias %p and complex bias %p -> %i", (probs, simpleBias, complexBias, expected) => {
    expect(decideIndex(probs, { simpleBias, complexBias })).toBe(expected);
  });

  test("long_context raises any tier to complex and names the rule", () => {
    const signals = { estimatedTokens: 9000 } as Signals;
    const result = classifyFromProbs([0.9, 0.05, 0.05], signals, { simpleBias: 0, complexBias: 0 }, 7500);
    expect(result).toMatchObject({ tier: "complex", confidence: 1, signals: { rule: "long_context" } });
    expect(result.scores.simple).toBeCloseTo(0.9);
  });
});
