// The shipped model classifies a few obvious prompts sensibly.

import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

describe("a model built with other structural signals", () => {
  const models = join(import.meta.dir, "../../models");
  const dir = mkdtempSync(join(tmpdir(), "spendex-struct-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = JSON.parse(readFileSync(join(models, "tier-classifier.vocab.json"), "utf8"));
  copyFileSync(join(models, "tier-classifier.onnx"), join(dir, "tier-classifier.onnx"));

  test.each<[string, string[], RegExp]>([
    [
      "one signal more",
      [...manifest.structNames, "log_last_quantities"],
      /59 against 58; .* at 58: log_last_quantities against \(none\)/,
    ],
    [
      "one signal fewer",
      manifest.structNames.slice(0, -1),
      /57 against 58; .* at 57: \(none\) against last_tokens>=512/,
    ],
    [
      "two swapped",
      [manifest.structNames[1], manifest.structNames[0], ...manifest.structNames.slice(2)],
      /58 against 58; .* at 0: log_last_user_chars against log_estimated_tokens/,
    ],
  ])("%s: refused at load, naming the difference and the way out", async (_name, structNames, message) => {
    writeFileSync(join(dir, "tier-classifier.vocab.json"), JSON.stringify({ ...manifest, structNames }));
    const load = loadClassifier({ modelPath: join(dir, "tier-classifier.onnx") });
    await expect(load).rejects.toThrow(message);
    await expect(load).rejects.toThrow("rebuild it with `spendex model build`");
  });
});
