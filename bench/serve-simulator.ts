// Runs the provider simulator in its own process for benchmarks (no pacing: the upstream answers at once).
// FAULTS (JSON, model → fault) makes some models fail on every request, for the failover scenario.
import { startSimulator } from "../src/simulator";
import type { Fault } from "../src/simulator/types";

const faults = JSON.parse(process.env.FAULTS ?? "{}") as Record<string, Fault>;
const sim = await startSimulator({
  port: Number(process.env.PORT ?? 0),
  pace: { latencyMs: 0, ttftMs: 0, tokensPerSecond: 0 },
  faults,
});
console.log(`READY ${sim.port}`);
