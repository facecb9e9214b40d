// `bun run bench:cpu`: where the CPU goes at concurrency 64, per process and per thread, for the floor (bare
// pass-through), a proxy that reads and rewrites the body (bench/reading-proxy.ts), the gateway pinned and the
// gateway on `auto`. On this 2-core machine the client, the simulator and the proxy share the cores, so requests/s
// follow total CPU per request; this shows which part of it is ours. Linux only (reads /proc).

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatTable } from "../src/cli/table";
import { type Child, progress, spawnServer, startGateway, throughput } from "./lib";

const QUICK = process.argv.includes("--quick");
const WARMUP = QUICK ? 3_000 : 20_000;
const PER_ROUND = QUICK ? 4_000 : 15_000;
const ROUNDS = 3;
const CONCURRENCY = 64;
/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

if (!existsSync("/proc/self/task")) {
  console.log("bench:cpu reads per-thread CPU time from /proc; this system has none.");
  process.exit(0);
}

/** CPU seconds per thread of a process, keyed by thread name (threads of one name are summed). */
function threadSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
    out.set(name, (out.get(name) ?? 0) + seconds);
  }
  return out;
}

/** Thread names as Bun sets them, grouped the way the report reads. */
function group(name: string): "event loop" | "fetch thread" | "log writer" | "other threads" {
  if (name === "bun") return "event loop";
  if (name === "HTTP Client") return "fetch thread";
  if (name === "Worker") return "log writer";
  return "other threads";
}

interface Sample {
  rps: number;
  /** µs of CPU per request. */
  target: Record<string, number>;
  simulator: number;
  client: number;
}

const message = { role: "user", content: "Summarise the plot of Hamlet in one sentence, please." };

async function main() {
  const work = mkdtempSync(join(tmpdir(), "spendex-bench-cpu-"));
  const children: Child[] = [];
  try {
    progress("starting simulator, floor, reading proxy and gateway (separate processes)");
    const sim = await spawnServer("bench/serve-simulator.ts", { PORT: "0" });
    children.push(sim);
    const upstream = { PORT: "0", UPSTREAM: `http://127.0.0.1:${sim.port}` };
    const floor = await spawnServer("bench/floor-proxy.ts", upstream);
    children.push(floor);
    const reading = await spawnServer("bench/reading-proxy.ts", upstream);
    children.push(reading);
    const gateway = await startGateway(work, "cpu", sim.port);
    children.push(gateway);
    const targets = [
      { name: "floor", child: floor, key: "sk-bench", model: "gpt-5-nano" },
      { name: "reading proxy", child: reading, key: "sk-bench", model: "gpt-5-nano" },
      { name: "gateway pinned", child: gateway, key: gateway.key, model: "gpt-5-nano" },
      { name: "gateway auto", child: gateway, key: gateway.key, model: "auto" },
    ];
    const load = (target: (typeof targets)[number], count: number) => {
      const init = {
        method: "POST",
        headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: target.model, messages: [message] }),
      };
      const url = `http://127.0.0.1:${target.child.port}/v1/chat/completions`;
      return throughput(count, CONCURRENCY, async () => {
        const response = await fetch(url, init);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${target.name}: HTTP ${response.status}`);
      });
    };
    for (const target of targets) {
      await load(target, WARMUP);
      progress(`warm-up ${target.name}: ${WARMUP} requests`);
    }
    const samples = new Map<string, Sample[]>(targets.map((target) => [target.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of targets) {
        const pid = target.child.process.pid;
        const before = threadSeconds(pid);
        const simBefore = threadSeconds(sim.process.pid);
        const clientBefore = process.cpuUsage();
        const rps = await load(target, PER_ROUND);
        const client = process.cpuUsage(clientBefore);
        const after = threadSeconds(pid);
        const simAfter = threadSeconds(sim.process.pid);
        const perRequest = (seconds: number) => (seconds * 1e6) / PER_ROUND;
        const byGroup: Record<string, number> = {};
        for (const [name, seconds] of after) {
          const key = group(name);
          byGroup[key] = (byGroup[key] ?? 0) + perRequest(seconds - (before.get(name) ?? 0));
        }
        let simSeconds = 0;
        for (const [name, seconds] of simAfter) simSeconds += seconds - (simBefore.get(name) ?? 0);
        samples.get(target.name)?.push({
          rps,
          target: byGroup,
          simulator: perRequest(simSeconds),
          client: (client.user + client.system) / PER_ROUND,
        });
      }
      progress(`round ${round}/${ROUNDS}`);
    }
    report(samples);
  } finally {
    for (const child of children) child.process.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function report(samples: Map<string, Sample[]>): void {
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const floorRps = median((samples.get("floor") ?? []).map((sample) => sample.rps));
  const rows = [...samples].map(([name, list]) => {
    const part = (key: string) => round1(median(list.map((sample) => sample.target[key] ?? 0)));
    const total = round1(
      median(list.map((sample) => Object.values(sample.target).reduce((sum, value) => sum + value, 0))),
    );
    const rps = median(list.map((sample) => sample.rps));
    return {
      target: name,
      req_per_s: Math.round(rps),
      vs_floor: Math.round((rps / floorRps) * 100) / 100,
      cpu_us_per_req: total,
      event_loop: part("event loop"),
      fetch_thread: part("fetch thread"),
      log_writer: part("log writer"),
      other_threads: part("other threads"),
      simulator: round1(median(list.map((sample) => sample.simulator))),
      client: round1(median(list.map((sample) => sample.client))),
    };
  });
  console.log(
    `\nCPU µs per request at concurrency ${CONCURRENCY} (median of ${ROUNDS} interleaved rounds of ${PER_ROUND}; the client, the simulator and the target share the machine's cores)\n`,
  );
  console.log(formatTable(rows));
  mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/cpu-${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}.json`;
  writeFileSync(
    file,
    JSON.stringify({ concurrency: CONCURRENCY, rounds: ROUNDS, perRound: PER_ROUND, rows }, null, 2),
  );
  console.log(`\nwrote ${file}`);
}

await main();
