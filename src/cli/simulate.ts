// `spendex simulate`: runs the provider simulator in the foreground until SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { parseFault, startSimulator } from "../simulator";
import type { Fault, SimulatorHandle } from "../simulator/types";

export const USAGE = `Usage: spendex simulate [--port N] [--host H] [--latency-ms N] [--ttft-ms N] [--tps N]
                        [--fault MODEL=SPEC ...] [--require-key KEY]

SPEC: 500 | 503 | 529 | 429 | 429:SECONDS | hang | cut:K | stall:K | error:K[:STATUS], optionally *N
      to apply it to the first N requests only (e.g. gpt-5=503*2).`;

export interface SimulateIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the command should stop; defaults to SIGINT/SIGTERM. */
  stopped?: Promise<void>;
}

const processIo: SimulateIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

export async function runSimulateCommand(argv: string[], io: SimulateIo = processIo): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const faults: Record<string, Fault> = {};
  for (const entry of values.fault ?? []) {
    const separator = entry.lastIndexOf("=");
    const fault = separator > 0 ? parseFault(entry.slice(separator + 1)) : undefined;
    if (!fault) {
      io.err(`Invalid --fault ${entry}: expected MODEL=SPEC.\n${USAGE}`);
      return 2;
    }
    faults[entry.slice(0, separator)] = fault;
  }
  const numbers: Record<string, number> = {};
  for (const name of ["port", "latency-ms", "ttft-ms", "tps"] as const) {
    const text = values[name];
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) {
      io.err(`Invalid --${name} ${text}: expected a non-negative number.\n${USAGE}`);
      return 2;
    }
    numbers[name] = value;
  }
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({
      port: numbers.port ?? 0,
      hostname: values.host ?? "127.0.0.1",
      pace: {
        latencyMs: numbers["latency-ms"] ?? 0,
        ttftMs: numbers["ttft-ms"] ?? 0,
        tokensPerSecond: numbers.tps ?? 0,
      },
      faults,
      ...(values["require-key"] ? { requireKey: values["require-key"] } : {}),
    });
  } catch (error) {
    io.err(`Cannot start the simulator: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  io.out(`Provider simulator listening on ${sim.url}`);
  io.out(`  OPENAI_BASE_URL=${sim.url}/v1`);
  io.out(`  MISTRAL_BASE_URL=${sim.url}/v1`);
  io.out(`  ANTHROPIC_BASE_URL=${sim.url}`);
  io.out(`  GEMINI_BASE_URL=${sim.url}`);
  for (const [model, fault] of Object.entries(faults)) io.out(`  fault ${model}: ${JSON.stringify(fault)}`);
  io.out("Press Ctrl+C to stop.");
  await (io.stopped ?? untilSignal());
  await sim.stop();
  io.out(`Stopped after ${sim.records().length} recorded requests (${sim.abortedCount()} aborted).`);
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "latency-ms": { type: "string" },
      "ttft-ms": { type: "string" },
      tps: { type: "string" },
      fault: { type: "string", multiple: true },
      "require-key": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
