// Policy decision latency: µs per decide() for each shipped policy and a trivial one, on a realistic input.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  createPolicyEngine,
  type DecisionTimings,
  measureDecisions,
  sampleInput,
  sampleInputs,
} from "../src/policy";

const ROOT = resolve(import.meta.dir, "..");
const POLICIES = join(ROOT, "policies");
const ITERATIONS = 10_000;

/** p50/p99 of the shipped default policy over 10,000 decisions on the 11-candidate sample input. */
export async function benchPolicy(): Promise<{ p50Us: number; p99Us: number }> {
  const engine = await createPolicyEngine({ dir: POLICIES, only: ["default"] });
  try {
    const { p50Us, p99Us } = measureDecisions(engine, "default", [sampleInput()], ITERATIONS);
    return { p50Us, p99Us };
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
    rows.push({
      policy: "trivial (engine only)",
      input: "sample",
      ...measureDecisions(trivial, "trivial", one, ITERATIONS),
    });
    for (const policy of shipped.policies()) {
      rows.push({ policy, input: "sample", ...measureDecisions(shipped, policy, one, ITERATIONS) });
      rows.push({ policy, input: "10 samples", ...measureDecisions(shipped, policy, mixed, ITERATIONS) });
      process.stderr.write(`measured ${policy}\n`);
    }
  } finally {
    trivial.close();
    shipped.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
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
