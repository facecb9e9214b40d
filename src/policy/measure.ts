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

export interface MeasureOptions {
  /**
   * Untimed work between decisions that evicts the CPU caches, as the classifier and the rest of a request do
   * in the gateway: there a decision cost about twice what the same decision costs in a tight loop.
   */
  coldCaches?: boolean;
}

/** Runs `iterations` decisions cycling through `inputs`, after a warm-up that is not counted. */
export function measureDecisions(
  engine: PolicyEngine,
  policy: string,
  inputs: readonly PolicyInput[],
  iterations = 10_000,
  options: MeasureOptions = {},
): DecisionTimings {
  if (inputs.length === 0) throw new Error("measureDecisions needs at least one input");
  for (let i = 0; i < Math.min(1000, iterations); i++)
    engine.decide(policy, inputs[i % inputs.length] as PolicyInput);
  const times = new Float64Array(iterations);
  let fallbacks = 0;
  let cpuUs = 0;
  for (let i = 0; i < iterations; i++) {
    if (options.coldCaches) evictCaches();
    const cpuStart = process.threadCpuUsage();
    const start = performance.now();
    const outcome = engine.decide(policy, inputs[i % inputs.length] as PolicyInput);
    times[i] = (performance.now() - start) * 1000;
    const cpu = process.threadCpuUsage(cpuStart);
    cpuUs += cpu.user + cpu.system;
    if (outcome.builtin) fallbacks++;
  }
  times.sort();
  const at = (q: number) => round(times[Math.min(iterations - 1, Math.floor(q * iterations))] ?? 0);
  const total = times.reduce((sum, value) => sum + value, 0);
  return {
    iterations,
    p50Us: at(0.5),
    p99Us: at(0.99),
    meanUs: round(total / iterations),
    cpuUs: round(cpuUs / iterations),
    fallbacks,
  };
}

/** Bigger than this machine kind's 4 MiB of L2 per core pair: a pass writes every line of it. */
const EVICTION_BYTES = 8 * 1024 * 1024;
let evictionBuffer: Uint8Array | undefined;

/** Touches one byte per cache line of a buffer larger than the L2 cache, pushing the sandbox's code and data out. */
export function evictCaches(): void {
  evictionBuffer ??= new Uint8Array(EVICTION_BYTES);
  const buffer = evictionBuffer;
  for (let index = 0; index < buffer.length; index += 64) buffer[index] = (buffer[index] as number) + 1;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
