// Benchmark plumbing: child processes that report their port, latency sampling, percentiles, tables.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { openStore } from "../src/store";

export interface Child {
  port: number;
  process: Subprocess;
}

/** Starts `bun SCRIPT` with env; resolves once it prints `READY <port>` (or a "listening on ...:PORT" line). */
export async function spawnServer(
  script: string,
  env: Record<string, string>,
  /** The checkout to run it from (bench:ab starts gateways of other checkouts). */
  cwd?: string,
): Promise<Child> {
  const child = Bun.spawn(["bun", script], {
    env: { ...process.env, ...env },
    ...(cwd ? { cwd } : {}),
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += decoder.decode(value);
    const match = /READY (\d+)/.exec(seen) ?? /listening on http:\/\/[^:]+:(\d+)/.exec(seen);
    if (match) {
      // Keep draining stdout so the child never blocks on a full pipe.
      void (async () => {
        for (;;) if ((await reader.read()).done) break;
      })();
      return { port: Number(match[1]), process: child };
    }
  }
  child.kill();
  throw new Error(`${script} did not start: ${seen}`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export interface LatencyStats {
  p50: number;
  p99: number;
  mean: number;
  n: number;
}

export function stats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, n: sorted.length };
}

/** Sequential requests (concurrency 1); returns per-request ms, from send to the end of the body. */
export async function sequential(count: number, send: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await send();
    out.push(performance.now() - start);
  }
  return out;
}

/** `concurrency` workers share `count` requests; returns requests per second. */
export async function throughput(
  count: number,
  concurrency: number,
  send: () => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        await send();
      }
    }),
  );
  return (count / (performance.now() - start)) * 1000;
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * A gateway in its own process on a fresh SQLite file under `work`, with one key (returned) that has a generous
 * daily budget, so that the measured path includes reserving and settling spend; OpenAI points at the simulator.
 */
export async function startGateway(
  work: string,
  name: string,
  simPort: number,
  extraEnv: Record<string, string> = {},
  cwd?: string,
): Promise<Child & { key: string }> {
  const db = join(work, `${name}.db`);
  const store = openStore({ url: `sqlite:${db}` });
  const key = (await store.keys.create({ name: "bench", env: "live" })).key;
  // A generous budget, so that the measured path includes reserving and settling spend.
  await store.budgets.set({ scope: "key", name: "bench", period: "day", limitUsd: 1_000_000 });
  await store.close();
  const config = join(work, `${name}.config.json`);
  writeFileSync(
    config,
    JSON.stringify({
      providers: [
        {
          name: "backup",
          baseUrl: `http://127.0.0.1:${simPort}/v1`,
          apiKeyEnv: "BACKUP_API_KEY",
          models: [{ name: "backup-nano", tier: "simple", prices: { input: 0.05, output: 0.4 } }],
        },
      ],
    }),
  );
  const child = await spawnServer(
    "src/main.ts",
    {
      PORT: "0",
      DATABASE_URL: `sqlite:${db}`,
      SPENDEX_CONFIG: config,
      OPENAI_API_KEY: "sk-bench",
      OPENAI_BASE_URL: `http://127.0.0.1:${simPort}/v1`,
      BACKUP_API_KEY: "sk-backup",
      ...extraEnv,
    },
    cwd,
  );
  return { ...child, key };
}

/** A scratch folder and the child processes of one bench run, both removed on exit or Ctrl-C. */
export function benchScratch(name: string): { work: string; children: Child[]; cleanup: () => void } {
  const work = join(tmpdir(), `${name}-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const children: Child[] = [];
  const cleanup = () => {
    for (const child of children) child.process.kill();
    rmSync(work, { recursive: true, force: true });
  };
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  return { work, children, cleanup };
}
