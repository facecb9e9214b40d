// Policy decision latency: µs per decide() for each shipped policy and a trivial one, on a realistic input.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  createPolicyEngine,
  type DecisionTimings,
  evictCaches,
  measureDecisions,
  type PolicyEngine,
  type PolicyInput,
  realisticInputs,
  sampleInput,
  sampleInputs,
} from "../src/policy";

const ROOT = resolve(import.meta.dir, "..");
const POLICIES = join(ROOT, "policies");
const ITERATIONS = 10_000;

/**
 * p50/p99 of the shipped default policy over 10,000 decisions on realistic inputs (every per-request value
 * changes, 11 candidates), with the CPU caches evicted between decisions as the rest of a request does in the
 * gateway; also the same inputs in a tight loop, and the one fixed sample repeated (the best case).
 */
export async function benchPolicy(): Promise<{
  p50Us: number;
  p99Us: number;
  warm: { p50Us: number; p99Us: number };
  fixedSample: { p50Us: number; p99Us: number };
}> {
  const engine = await createPolicyEngine({ dir: POLICIES, only: ["default"] });
  try {
    const realistic = realisticInputs(1000);
    const cold = measureDecisions(engine, "default", realistic, ITERATIONS, { coldCaches: true });
    const warm = measureDecisions(engine, "default", realistic, ITERATIONS);
    const fixed = measureDecisions(engine, "default", [sampleInput()], ITERATIONS);
    return {
      p50Us: cold.p50Us,
      p99Us: cold.p99Us,
      warm: { p50Us: warm.p50Us, p99Us: warm.p99Us },
      fixedSample: { p50Us: fixed.p50Us, p99Us: fixed.p99Us },
    };
  } finally {
    engine.close();
  }
}

/** Every shipped policy, plus a one-line policy that shows the engine's own share (input crossing, checks). */
async function benchAll(): Promise<Array<{ policy: string; input: string } & DecisionTimings>> {
  const scratch = mkdtempSync(join(tmpdir(), "spendex-bench-"));
  writeFileSync(join(scratch, "trivial.js"), `function route() { return { model: "openai/gpt-5-nano" }; }\n`);
  const trivial = await createPolicyEngine({ dir: scratch });
  const shipped = await createPolicyEngine({ dir: POLICIES });
  const rows = [];
  try {
    const one = [sampleInput()];
    const mixed = sampleInputs().map(({ input }) => input);
    const realistic = realisticInputs(1000);
    const cold = { coldCaches: true };
    const engines: Array<[string, PolicyEngine, string]> = [
      ["trivial (engine only)", trivial, "trivial"],
      ...shipped.policies().map((policy): [string, PolicyEngine, string] => [policy, shipped, policy]),
    ];
    for (const [label, engine, policy] of engines) {
      rows.push({ policy: label, input: "sample", ...measureDecisions(engine, policy, one, ITERATIONS) });
      rows.push({
        policy: label,
        input: "10 samples",
        ...measureDecisions(engine, policy, mixed, ITERATIONS),
      });
      rows.push({
        policy: label,
        input: "realistic",
        ...measureDecisions(engine, policy, realistic, ITERATIONS),
      });
      rows.push({
        policy: label,
        input: "real+cold",
        ...measureDecisions(engine, policy, realistic, ITERATIONS, cold),
      });
      process.stderr.write(`measured ${policy}\n`);
    }
  } finally {
    trivial.close();
    shipped.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

const TRIVIAL = `function route() { return { model: "openai/gpt-5-nano" }; }\n`;

/** Wall µs of `iterations` decisions (after a warm-up), for merging across interleaved rounds. */
function decisionTimes(
  engine: PolicyEngine,
  policy: string,
  inputs: readonly PolicyInput[],
  iterations: number,
  cold: boolean,
): number[] {
  for (let i = 0; i < 200; i++) engine.decide(policy, inputs[i % inputs.length] as PolicyInput);
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    if (cold) evictCaches();
    const input = inputs[i % inputs.length] as PolicyInput;
    const start = performance.now();
    engine.decide(policy, input);
    times.push((performance.now() - start) * 1000);
  }
  return times;
}

/** Every `every`-th input, one candidate's p50 changes (as the gateway's once-a-second medians do). */
function movingLatency(inputs: PolicyInput[], every: number): PolicyInput[] {
  let candidates = inputs[0]?.candidates ?? [];
  return inputs.map((input, index) => {
    if (index % every === 0) {
      const moved = (index / every) % candidates.length;
      candidates = candidates.map((candidate, position) =>
        position === moved ? { ...candidate, p50_ms: 200 + index } : candidate,
      );
    }
    return { ...input, candidates };
  });
}

function percentile(sorted: readonly number[], q: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
}

/**
 * `--baseline REV`: the engine and policies of git revision REV against the working tree, in the same process
 * and interleaved (rounds of 1,000 decisions each, alternating), so a shared machine's load hits both alike.
 */
async function compareWithBaseline(revision: string): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), "spendex-baseline-"));
  try {
    const archive = execFileSync("git", ["archive", revision, "src/policy", "policies"], { cwd: ROOT });
    execFileSync("tar", ["-x", "-C", scratch], { input: archive });
    symlinkSync(join(ROOT, "node_modules"), join(scratch, "node_modules"));
    writeFileSync(join(scratch, "policies", "trivial.js"), TRIVIAL);
    const trivialDir = join(scratch, "trivial");
    mkdirSync(trivialDir);
    writeFileSync(join(trivialDir, "trivial.js"), TRIVIAL);
    const old = (await import(join(scratch, "src", "policy", "index.ts"))) as typeof import("../src/policy");
    const before = await old.createPolicyEngine({ dir: join(scratch, "policies") });
    const after = await createPolicyEngine({ dir: POLICIES });
    const afterTrivial = await createPolicyEngine({ dir: trivialDir });
    const modes: Array<[string, PolicyInput[], boolean]> = [
      ["sample", [sampleInput()], false],
      ["realistic", realisticInputs(1000), false],
      ["realistic, cold caches", realisticInputs(1000), true],
      ["realistic, a p50 moves every 50th", movingLatency(realisticInputs(1000), 50), false],
    ];
    const only = process.argv[4]?.split(",");
    const rows: string[] = [];
    const policies = ["trivial", ...after.policies()].filter((name) => !only || only.includes(name));
    for (const policy of policies) {
      for (const [mode, inputs, cold] of modes) {
        const times: [number[], number[]] = [[], []];
        for (let round = 0; round < 10; round++) {
          times[0].push(...decisionTimes(before, policy, inputs, 1000, cold));
          times[1].push(
            ...decisionTimes(policy === "trivial" ? afterTrivial : after, policy, inputs, 1000, cold),
          );
        }
        const [b, a] = times.map((list) => list.sort((x, y) => x - y)) as [number[], number[]];
        const name = policy === "trivial" ? "one-line policy (engine only)" : `\`${policy}.js\``;
        rows.push(
          `| ${name} | ${mode} | ${percentile(b, 0.5)} | ${percentile(b, 0.99)} | ${percentile(a, 0.5)} | ${percentile(a, 0.99)} | ${(percentile(b, 0.5) / percentile(a, 0.5)).toFixed(2)}× |`,
        );
      }
      process.stderr.write(`compared ${policy}\n`);
    }
    before.close();
    after.close();
    afterTrivial.close();
    return [
      "10,000 decisions each, interleaved in rounds of 1,000 (µs, wall). Inputs: the fixed 11-candidate sample;",
      "1,000 realistic inputs (every per-request value changes); the same with the CPU caches evicted between",
      "decisions, as the classifier and the rest of a request do in the gateway; the same where one candidate's",
      "p50 changes every 50th decision.",
      "",
      `| policy | input | before p50 | before p99 | after p50 | after p99 | p50 speed-up |`,
      "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
    ].join("\n");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.main && process.argv[2] === "--baseline") {
  const revision = process.argv[3];
  if (revision === undefined)
    throw new Error("usage: bun bench/policy.ts --baseline GIT_REVISION [policy,policy...]");
  console.log(await compareWithBaseline(revision));
  process.exit(0);
}

if (import.meta.main) {
  const rows = await benchAll();
  const cell = (value: number) => value.toFixed(1).padStart(8);
  console.log(`policy decisions, ${ITERATIONS} each (µs; cpu = this thread's CPU per decision)\n`);
  console.log(
    `${"policy".padEnd(22)} ${"input".padEnd(10)} ${"p50".padStart(8)} ${"p99".padStart(8)} ${"mean".padStart(8)} ${"cpu".padStart(8)} fallbacks`,
  );
  for (const row of rows) {
    console.log(
      `${row.policy.padEnd(22)} ${row.input.padEnd(10)} ${cell(row.p50Us)} ${cell(row.p99Us)} ${cell(row.meanUs)} ${cell(row.cpuUs)} ${row.fallbacks}`,
    );
  }
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  const file = join(
    ROOT,
    "bench",
    "results",
    `policy-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  );
  writeFileSync(file, `${JSON.stringify({ iterations: ITERATIONS, rows }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}
