// Classifier latency: p50/p99 per request for 200 to 200,000-character prompts, tokenisation and inference apart.

import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { type ClassifyInput, loadClassifier } from "../src/classify/index";

const ROOT = resolve(import.meta.dir, "..");
const MODEL = process.argv[2] ?? join(ROOT, "models", "tier-classifier.onnx");
const SIZES = [200, 2000, 20000, 200000];

const WORDS =
  "the model should compare each proof step against the stated lemma and report where the argument fails while " +
  "keeping the summary short for a reader who knows calculus but not measure theory given that f(x) = x^2 + 3x";
const CODE =
  "\n```ts\nfunction total(items: number[]): number {\n  return items.reduce((a, b) => a + b, 0);\n}\n```\n";

/** A deterministic prompt of exactly `chars` characters: prose with a code block every ~1,500 characters. */
function prompt(chars: number): string {
  const words = WORDS.split(" ");
  let text = "";
  let i = 0;
  while (text.length < chars) {
    text += `${words[i % words.length]} `;
    if (i % 240 === 239) text += CODE;
    if (i % 37 === 36) text += "?\n- ";
    i++;
  }
  return text.slice(0, chars);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

const loadStarted = performance.now();
const classifier = await loadClassifier({ modelPath: MODEL });
const loadMilliseconds = performance.now() - loadStarted;

const rows = [];
for (const chars of SIZES) {
  const input: ClassifyInput = {
    messages: [{ role: "user", content: prompt(chars) }],
    tools: false,
    images: false,
    jsonMode: false,
  };
  const iterations = chars >= 200000 ? 300 : chars >= 20000 ? 1000 : 5000;
  const tokenize: number[] = [];
  const inference: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < iterations + 200; i++) {
    const t0 = performance.now();
    const encoded = classifier.encode(input);
    const t1 = performance.now();
    await classifier.classifyEncoded(encoded);
    const t2 = performance.now();
    await classifier.classify(input);
    const t3 = performance.now();
    if (i < 200) continue; // warm-up
    tokenize.push((t1 - t0) * 1000);
    inference.push((t2 - t1) * 1000);
    total.push((t3 - t2) * 1000);
  }
  for (const list of [tokenize, inference, total]) list.sort((a, b) => a - b);
  const row = {
    chars,
    iterations,
    tokenizeP50: percentile(tokenize, 0.5),
    tokenizeP99: percentile(tokenize, 0.99),
    inferenceP50: percentile(inference, 0.5),
    inferenceP99: percentile(inference, 0.99),
    totalP50: percentile(total, 0.5),
    totalP99: percentile(total, 0.99),
  };
  rows.push(row);
  process.stderr.write(`measured ${chars} chars (${iterations} requests)\n`);
}
await classifier.close();

const fmt = (value: number) => value.toFixed(1).padStart(10);
console.log(
  `model ${MODEL} (${(statSync(MODEL).size / 1e6).toFixed(1)} MB), load ${loadMilliseconds.toFixed(0)} ms`,
);
console.log("     chars | tokenise p50 |  p99 (µs) | infer p50 |  p99 (µs) | total p50 |  p99 (µs)");
for (const row of rows) {
  console.log(
    `${String(row.chars).padStart(10)} | ${fmt(row.tokenizeP50)}   |${fmt(row.tokenizeP99)} |${fmt(row.inferenceP50)} |` +
      `${fmt(row.inferenceP99)} |${fmt(row.totalP50)} |${fmt(row.totalP99)}`,
  );
}
const outDir = join(ROOT, "bench", "results");
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const file = join(outDir, `classify-${stamp}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      model: MODEL,
      loadMilliseconds,
      loadAverage: loadavg(),
      bun: Bun.version,
      rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${file}`);
