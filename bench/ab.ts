// `bun run bench:ab -- DIR_A DIR_B`: is checkout B faster than checkout A at concurrency 1? Paired, interleaved rounds.
//
// On this shared 2-core machine two runs of `bun run bench` on the same code differ by ±0.03 ms in added p50, which
// is the size of the changes worth making. Here the floor and one gateway per checkout run side by side against one
// simulator; each round measures every target back to back (order alternating), and a change is judged on the
// per-round differences B − A, which the machine's drift hits alike. Running the same checkout twice (A/A) shows
// the noise floor of the method.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatTable } from "../src/cli/table";
import { benchScratch, progress, sequential, spawnServer, startGateway } from "./lib";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) =>
  args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROUNDS = Number(option("rounds", "30"));
const PER_ROUND = Number(option("per-round", "300"));
const MODEL = option("model", "gpt-5-nano");
const checkouts = args.filter((arg) => !arg.startsWith("--")).map((dir) => resolve(dir));
if (checkouts.length === 0 || !Number.isInteger(ROUNDS) || ROUNDS < 2 || !(PER_ROUND > 0)) {
  console.error(
    "usage: bun run bench:ab -- DIR_A [DIR_B ...] [--model=gpt-5-nano|auto] [--rounds=30] [--per-round=300]",
  );
  process.exit(2);
}

const { work, children, cleanup } = benchScratch("spendex-bench-ab");

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

try {
  progress(`starting the simulator, the floor and ${checkouts.length} gateway(s)`);
  const sim = await spawnServer("bench/serve-simulator.ts", { PORT: "0" });
  children.push(sim);
  const floor = await spawnServer("bench/floor-proxy.ts", {
    PORT: "0",
    UPSTREAM: `http://127.0.0.1:${sim.port}`,
  });
  children.push(floor);
  const body = JSON.stringify({
    model: MODEL,
    messages: [{ role: "user", content: "Summarise the plot of Hamlet in one sentence, please." }],
  });
  const targets = [{ name: "floor", port: floor.port, key: "sk-floor" }];
  for (const [index, dir] of checkouts.entries()) {
    const gateway = await startGateway(work, `ab${index}`, sim.port, {}, dir);
    children.push(gateway);
    targets.push({
      name: `${String.fromCharCode(65 + index)}: ${dir}`,
      port: gateway.port,
      key: gateway.key,
    });
  }
  const send = (port: number, key: string) => async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      body,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`HTTP ${response.status} from port ${port}`);
  };
  for (const t of targets) await sequential(3_000, send(t.port, t.key));
  const p50s = targets.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const t = targets[index] as (typeof targets)[number];
      p50s[index]?.push(median(await sequential(PER_ROUND, send(t.port, t.key))));
    }
    if ((round + 1) % 5 === 0) progress(`round ${round + 1}/${ROUNDS}`);
  }
  const floorRounds = p50s[0] as number[];
  const rows = targets.map((t, index) => {
    const rounds = p50s[index] as number[];
    const added = rounds.map((ms, r) => ms - (floorRounds[r] as number));
    return {
      target: t.name,
      p50_ms: round3(median(rounds)),
      minus_floor_p50_ms: index === 0 ? 0 : round3(median(added)),
    };
  });
  console.log(
    `\nConcurrency 1, model ${MODEL}: median over ${ROUNDS} rounds of each round's p50 (${PER_ROUND} requests)\n`,
  );
  console.log(formatTable(rows));
  const pairs = [];
  const a = p50s[1] as number[];
  for (let index = 2; index < targets.length; index++) {
    const b = p50s[index] as number[];
    const diffs = b.map((ms, r) => ms - (a[r] as number));
    pairs.push({
      pair: `${String.fromCharCode(65 + index - 1)} − A`,
      median_diff_ms: round3(median(diffs)),
      rounds_faster: `${diffs.filter((d) => d < 0).length}/${ROUNDS}`,
    });
  }
  if (pairs.length > 0) {
    console.log("\nPer-round differences (negative: faster than A)\n");
    console.log(formatTable(pairs));
  }
  mkdirSync("bench/results", { recursive: true });
  const file = join("bench/results", `ab-${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ model: MODEL, rounds: ROUNDS, perRound: PER_ROUND, rows, pairs, p50s }, null, 2)}\n`,
  );
  console.log(`\nwrote ${file}`);
} finally {
  cleanup();
}
