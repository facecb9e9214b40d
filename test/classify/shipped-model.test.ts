// The shipped model classifies a few obvious prompts sensibly.

import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Tier } from "../../src/catalog/types";
import { type ClassifyInput, loadClassifier } from "../../src/classify/index";

const classifier = await loadClassifier({
  modelPath: join(import.meta.dir, "../../models/tier-classifier.onnx"),
});
afterAll(() => classifier.close());

const user = (content: string): ClassifyInput => ({
  messages: [{ role: "user", content }],
  tools: false,
  images: false,
  jsonMode: false,
});

const article = (topic: string) =>
  `${topic} developed over several decades. `.repeat(80) +
  `Records from the period describe how the ${topic.toLowerCase()} changed the region's economy and politics. `.repeat(
    200,
  );

describe("shipped model", () => {
  test.each<[string, string, Tier]>([
    ["greeting", "hi there!", "simple"],
    ["factoid", "who won the world cup in 2010", "simple"],
    ["thanks", "thanks, that's all I needed", "simple"],
  ])("%s -> %s", async (_name, prompt, tier) => {
    expect((await classifier.classify(user(prompt))).tier).toBe(tier);
  });

  test("a 40k-character multi-document synthesis is complex by the long_context rule", async () => {
    const prompt =
      `Document 1:\n${article("The railway")}\n\nDocument 2:\n${article("The canal")}\n\n` +
      "Write a timeline that reconciles both documents, citing the document for every event, and flag contradictions.";
    expect(prompt.length).toBeGreaterThan(40000);
    const result = await classifier.classify(user(prompt));
    expect(result).toMatchObject({ tier: "complex", confidence: 1, signals: { rule: "long_context" } });
  });

  test("probabilities are calibrated scores that sum to one", async () => {
    const result = await classifier.classify(user("Explain how a hash map handles collisions."));
    const sum = result.scores.simple + result.scores.medium + result.scores.complex;
    expect(sum).toBeCloseTo(1, 5);
    expect(result.confidence).toBe(result.scores[result.tier]);
    expect(result.signals.rule).toBeUndefined();
  });

  test("an image is reported in the signals", async () => {
    const result = await classifier.classify({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
      ],
      tools: false,
      images: false,
      jsonMode: false,
    });
    expect(result.signals.images).toBe(true);
  });
});
