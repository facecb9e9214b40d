// Timing of policy decisions, shared by `spendex policy bench` and bench/policy.ts.

import type { PolicyInput } from "./contract";
import type { PolicyEngine } from "./engine";

export interface DecisionTimings {
  iterations: number;
  /** Wall time of `decide`, host and sandbox together. */
  p50Us: number;
  p99Us: number;
  meanUs: number;
  /** CPU time of this thread per decision: steadier than wall time on a shared, busy machine. */
  cpuUs: number;
  /** Decisions that fell back to the built-in policy. */
  fallbacks: number;
}

/** Runs `iterations` decisions cycling through `inputs`, after a warm-up that is not counted. */
export function measureDecisions(
  engine: PolicyEngine,
  policy: string,
  inputs: readonly PolicyInput[],
  iterations = 10_000,
): DecisionTimings {
  if (inputs.length === 0) throw new Error("measureDecisions needs at least one input");
  for (let i = 0; i < Math.min(1000, iterations); i++)
    engine.decide(policy, inputs[i % inputs.length] as PolicyInput);
  const times = new Float64Array(iterations);
  let fallbacks = 0;
  const cpuStart = process.threadCpuUsage();
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    const outcome = engine.decide(policy, inputs[i % inputs.length] as PolicyInput);
    times[i] = (performance.now() - start) * 1000;
    if (outcome.builtin) fallbacks++;
  }
  const cpu = process.threadCpuUsage(cpuStart);
  times.sort();
  const at = (q: number) => round(times[Math.min(iterations - 1, Math.floor(q * iterations))] ?? 0);
  const total = times.reduce((sum, value) => sum + value, 0);
  return {
    iterations,
    p50Us: at(0.5),
    p99Us: at(0.99),
    meanUs: round(total / iterations),
    cpuUs: round((cpu.user + cpu.system) / iterations),
    fallbacks,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
