// `spendex model build|eval`: train and ship the tier classifier, or score it on a labelled JSONL file.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { BuildReport } from "../classify/build/build";
import type { LatencyRow } from "../classify/build/card";
import {
  type EvalReport,
  evaluateRequests,
  formatReport,
  type LabelledRequest,
  loadClassifier,
  type Manifest,
  readCorpus,
  readManifest,
} from "../classify/index";

const REPO_ROOT = resolve(import.meta.dir, "../..");
const DEFAULT_DATA = resolve(REPO_ROOT, "../shared/data/tier-corpus");
const DEFAULT_OUT = resolve(REPO_ROOT, "models");
const DEFAULT_MODEL = join(DEFAULT_OUT, "tier-classifier.onnx");
const GLOVE_WORDS = 40000;

export const USAGE = `usage:
  spendex model build [--data DIR] [--out DIR] [--seed N] [--ensemble N] [--dense-members N] [--experts N]
                      [--train key=value,...] [--cache DIR]
  spendex model eval --data FILE [--json] [--model PATH]
  spendex model card [--data DIR] [--out DIR]   (re-render MODEL_CARD.md, e.g. after bench:classify)`;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A wrong option value, found after node:util parseArgs accepted the options. */
class UsageError extends Error {}

/**
 * `--experts N`: gated experts over the structural signals per member (0 = none); absent, the build's
 * `DEFAULT_EXPERTS`. A non-negative integer, as the cross-validation runner's `--experts` takes.
 */
export function parseExpertsOption(value: string | undefined): number | undefined {
  return parseCountOption("--experts", value);
}

/** A non-negative integer option (`--experts N`, `--dense-members N`); absent, the build's default. */
export function parseCountOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) {
    throw new UsageError(`${name} must be a non-negative integer, got ${value}`);
  }
  return count;
}

/** node:util parseArgs's errors (unknown option, missing value...). */
function isArgumentError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

/** Latency rows (and load average) of the newest bench run, if one was made on this machine. */
function latestBench(): { rows?: LatencyRow[]; loadAverage?: number[] } {
  const dir = join(REPO_ROOT, "bench", "results");
  if (!existsSync(dir)) return {};
  const files = readdirSync(dir)
    .filter((name) => name.startsWith("classify-") && name.endsWith(".json"))
    .sort();
  const newest = files.at(-1);
  if (!newest) return {};
  return JSON.parse(readFileSync(join(dir, newest), "utf8")) as {
    rows?: LatencyRow[];
    loadAverage?: number[];
  };
}

/** Evaluates the written model on dev with onnxruntime and renders MODEL_CARD.md beside it. */
async function writeCard(
  outDir: string,
  dev: LabelledRequest[],
  build: BuildReport,
  manifest: Manifest,
): Promise<EvalReport> {
  const { renderCard } = await import("../classify/build/card");
  const bench = latestBench();
  const modelPath = join(outDir, "tier-classifier.onnx");
  const loadStarted = performance.now();
  const classifier = await loadClassifier({ modelPath });
  const loadMilliseconds = performance.now() - loadStarted;
  const { report } = await evaluateRequests(classifier, dev);
  await classifier.close();
  const card = renderCard({
    build,
    manifest,
    dev: report,
    modelBytes: statSync(modelPath).size,
    loadMilliseconds,
    latency: bench.rows,
    benchLoad: bench.loadAverage,
  });
  writeFileSync(join(outDir, "MODEL_CARD.md"), card);
  return report;
}

/** Re-renders the card of an existing build (e.g. after `bun run bench:classify`). */
async function card(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string", default: DEFAULT_DATA },
      out: { type: "string", default: DEFAULT_OUT },
    },
  });
  const outDir = resolve(values.out);
  const build = JSON.parse(readFileSync(join(outDir, "build-report.json"), "utf8")) as BuildReport;
  const manifest = readManifest(join(outDir, "tier-classifier.vocab.json"));
  const report = await writeCard(
    outDir,
    readCorpus(join(resolve(values.data), "dev.jsonl")),
    build,
    manifest,
  );
  log(`wrote ${join(outDir, "MODEL_CARD.md")}`);
  process.stdout.write(`${formatReport(report)}\n`);
  return 0;
}

async function build(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string", default: DEFAULT_DATA },
      out: { type: "string", default: DEFAULT_OUT },
      seed: { type: "string", default: "5" },
      ensemble: { type: "string" },
      experts: { type: "string" },
      "dense-members": { type: "string" },
      train: { type: "string", default: "" },
      cache: { type: "string", default: join(REPO_ROOT, ".cache") },
    },
  });
  const dataDir = resolve(values.data);
  const outDir = resolve(values.out);
  const seed = Number.parseInt(values.seed, 10);
  if (!Number.isFinite(seed)) throw new UsageError(`--seed must be an integer, got ${values.seed}`);
  const ensemble = values.ensemble === undefined ? undefined : Number.parseInt(values.ensemble, 10);
  if (ensemble !== undefined && !(Number.isInteger(ensemble) && ensemble >= 1)) {
    throw new UsageError(`--ensemble must be a positive integer, got ${values.ensemble}`);
  }
  const experts = parseExpertsOption(values.experts);
  const denseMembers = parseCountOption("--dense-members", values["dense-members"]);
  const train = readCorpus(join(dataDir, "train.jsonl"));
  const dev = readCorpus(join(dataDir, "dev.jsonl"));
  log(`read ${train.length} train and ${dev.length} dev requests from ${dataDir}`);
  mkdirSync(values.cache, { recursive: true });
  // The build code (and its dev-only dependency onnx-proto) loads only for this command.
  const { loadGlove } = await import("../classify/build/glove");
  const { buildModel } = await import("../classify/build/build");
  // Overrides of DEFAULT_TRAIN, as in the cross-validation runner (e.g. a scratch build of a CV candidate).
  const { parseTrainOverrides } = await import("../classify/build/cross-validate");
  const overrides = parseTrainOverrides(values.train);
  const glove = loadGlove(values.cache, GLOVE_WORDS, log);
  const result = buildModel({
    train,
    dev,
    glove,
    ensemble,
    denseMembers,
    experts,
    training: { ...overrides, seed },
    log,
  });

  mkdirSync(outDir, { recursive: true });
  const modelPath = join(outDir, "tier-classifier.onnx");
  writeFileSync(modelPath, result.onnx);
  writeFileSync(join(outDir, "tier-classifier.vocab.json"), `${JSON.stringify(result.manifest)}\n`);
  writeFileSync(join(outDir, "build-report.json"), `${JSON.stringify(result.report, null, 2)}\n`);

  const report = await writeCard(outDir, dev, result.report, result.manifest);
  log(
    `wrote ${modelPath} (${(statSync(modelPath).size / 1e6).toFixed(1)} MB), vocabulary, report and MODEL_CARD.md`,
  );
  process.stdout.write(`${formatReport(report)}\n`);
  return 0;
}

async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      json: { type: "boolean", default: false },
      model: { type: "string", default: DEFAULT_MODEL },
    },
  });
  if (!values.data) {
    log(`--data FILE is required\n${USAGE}`);
    return 2;
  }
  const rows = readCorpus(resolve(values.data));
  const classifier = await loadClassifier({ modelPath: resolve(values.model) });
  const { report } = await evaluateRequests(classifier, rows);
  await classifier.close();
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
  return 0;
}

/** Entry point for the CLI: `argv` is what follows `spendex model` (a leading "model" is accepted too). */
export async function runModelCommand(argv: string[]): Promise<number> {
  const args = argv[0] === "model" ? argv.slice(1) : argv;
  const [command, ...rest] = args;
  try {
    if (command === "build") return await build(rest);
    if (command === "eval") return await evalCommand(rest);
    if (command === "card") return await card(rest);
    log(USAGE);
    return command === undefined || command === "help" || command === "--help" ? 0 : 2;
  } catch (error) {
    // A wrong option is the user's to fix: named, with the usage, exit code 2 (as every command).
    if (error instanceof UsageError || isArgumentError(error)) {
      log(`spendex model ${command}: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    log(`spendex model ${command}: ${(error as Error).message}`);
    return 1;
  }
}
