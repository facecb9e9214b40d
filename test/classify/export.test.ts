// The exporter: a tiny model built on a small sample gives the same outputs in onnxruntime as in TypeScript.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildModel } from "../../src/classify/build/build";
import { forwardExported } from "../../src/classify/build/export";
import type { GloveVectors } from "../../src/classify/build/glove";
import { createRandom } from "../../src/classify/build/model";
import { DEFAULT_TRAIN } from "../../src/classify/build/train";
import { readCorpus } from "../../src/classify/corpus";
import { RequestEncoder } from "../../src/classify/encode";
import { readManifest } from "../../src/classify/manifest";
import { openSession } from "../../src/classify/session";
import { TextHasher, WordTable } from "../../src/classify/tokenize";

const rows = readCorpus(join(import.meta.dir, "../fixtures/classify/labelled.jsonl"));
const dir = mkdtempSync(join(tmpdir(), "spendex-classify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A few fake 8-d vectors instead of the GloVe download. */
function fakeGlove(): GloveVectors {
  const words = ["the", "a", "prove", "what", "write", "function", "is", "of", "and", "capital"];
  const random = createRandom(11);
  const vectors = Float32Array.from({ length: words.length * 8 }, () => random() * 2 - 1);
  return { words, dim: 8, vectors };
}

describe.each([
  [0, 1, 0, 0],
  [0, 1, 3, 0],
  [0, 2, 3, 0],
  [0, 2, 3, 1],
  [6, 1, 0, 0],
  [6, 2, 0, 0],
])(
  "tiny model with hidden=%i, %i n-gram members, %i gated experts and %i dense-only members",
  (hidden, ensemble, experts, denseMembers) => {
    const result = buildModel({
      train: rows,
      dev: rows,
      glove: fakeGlove(),
      tokenizer: { buckets: 256, minN: 3, maxN: 5, maxWordChars: 24 },
      dim: 4,
      hiddenCandidates: [hidden],
      ensemble,
      denseMembers,
      experts,
      training: { maxEpochs: 3, seed: 3, batchSize: 4 },
    });
    const name = `tiny-${hidden}-${ensemble}-${experts}-${denseMembers}`;
    const modelPath = join(dir, `${name}.onnx`);
    writeFileSync(modelPath, result.onnx);
    writeFileSync(join(dir, `${name}.vocab.json`), JSON.stringify(result.manifest));
    const encoder = new RequestEncoder(
      new TextHasher(result.manifest.tokenizer, new WordTable(result.manifest.gloveWords)),
      result.manifest.sample,
    );

    test("the gated experts are in the model exactly when asked for", () => {
      expect(result.model.gate?.groups ?? 0).toBe(experts > 0 ? ensemble + denseMembers : 0);
      expect([result.report.ensemble, result.report.denseMembers]).toEqual([
        ensemble + denseMembers,
        denseMembers,
      ]);
      expect(result.model.gate?.experts ?? 0).toBe(experts);
      expect(result.report.experts).toBe(experts);
      // The report records every training setting, the overrides over the defaults.
      expect(result.report.training).toEqual({ ...DEFAULT_TRAIN, maxEpochs: 3, seed: 3, batchSize: 4 });
      // Without its gate the model's logits move, so the parity tests below also hold the gate's graph path.
      const moved = rows.map((row) => {
        const { inputs } = encoder.encode(row.input);
        const withGate = forwardExported(result.model, inputs).logits;
        const without = forwardExported({ ...result.model, gate: undefined }, inputs).logits;
        return Math.max(...[0, 1, 2].map((c) => Math.abs((withGate[c] ?? 0) - (without[c] ?? 0))));
      });
      if (experts > 0) expect(Math.min(...moved)).toBeGreaterThan(1e-3);
      else expect(Math.max(...moved)).toBe(0);
    });

    test("the manifest round-trips through its schema", () => {
      expect(readManifest(join(dir, `${name}.vocab.json`)).gloveWords).toEqual(fakeGlove().words);
    });

    test("onnxruntime equals the TypeScript forward pass on every fixture request", async () => {
      const session = await openSession(modelPath);
      for (const row of rows) {
        const encoded = encoder.encode(row.input);
        const reference = forwardExported(result.model, encoded.inputs);
        const actual = await session.run(encoded.inputs);
        for (let c = 0; c < 3; c++) {
          expect(actual.logits[c]).toBeCloseTo(reference.logits[c] ?? Number.NaN, 4);
          expect(actual.probs[c]).toBeCloseTo(reference.probs[c] ?? Number.NaN, 5);
        }
      }
      await session.release();
    });

    test("the request path (known words as one row each) gives the build path's outputs in onnxruntime", async () => {
      const session = await openSession(modelPath);
      let knownRows = 0;
      for (const row of rows) {
        const reference = forwardExported(result.model, encoder.encode(row.input).inputs);
        const fast = encoder.encodeRequest(row.input).inputs;
        knownRows += fast.ids.filter((id) => id >= 2 * 256 + 2 * 11 && id < 2 * 256 + 3 * 11).length;
        const actual = await session.run(fast);
        for (let c = 0; c < 3; c++) expect(actual.probs[c]).toBeCloseTo(reference.probs[c] ?? Number.NaN, 5);
      }
      expect(knownRows).toBeGreaterThan(rows.length);
      await session.release();
    });

    test("the native binding (the request path) and the public API (its fallback) give the same outputs", async () => {
      const native = await openSession(modelPath);
      const fallback = await openSession(modelPath, { native: false });
      expect([native.via, fallback.via]).toEqual(["native", "public"]);
      for (const row of rows) {
        const { inputs } = encoder.encodeRequest(row.input);
        const a = await native.probs(inputs);
        const b = await fallback.probs(inputs);
        expect([...a]).toEqual([...b]);
      }
      await native.release();
      await fallback.release();
    });

    test("the build is deterministic for a seed", () => {
      const again = buildModel({
        train: rows,
        dev: rows,
        glove: fakeGlove(),
        tokenizer: { buckets: 256, minN: 3, maxN: 5, maxWordChars: 24 },
        dim: 4,
        hiddenCandidates: [hidden],
        ensemble,
        denseMembers,
        experts,
        training: { maxEpochs: 3, seed: 3, batchSize: 4 },
      });
      expect(again.onnx).toEqual(result.onnx);
      expect(again.report.operatingPoint).toEqual(result.report.operatingPoint);
    });
  },
);
